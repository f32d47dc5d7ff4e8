"""`flask open311 import`: a city's existing Open311 services become categories, all or nothing."""

import json

from sqlalchemy import select

from seeclick.categories.models import Category

SERVICES_XML = """<?xml version="1.0" encoding="utf-8"?>
<services>
  <service><service_code>S0301</service_code><service_name>Bulk Trash Pickup</service_name>
    <description>Furniture and appliances</description><metadata>true</metadata><type>realtime</type>
    <keywords>trash, bulk</keywords><group>Sanitation</group></service>
  <service><service_code>S0276</service_code><service_name>Graffiti Removal</service_name>
    <description></description><metadata>false</metadata><type>realtime</type><keywords/><group/></service>
</services>"""

DEFINITION_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_definition><service_code>S0301</service_code><attributes>
  <attribute><variable>false</variable><code>NOTE</code><datatype>string</datatype><required>false</required>
    <datatype_description/><order>1</order><description>Put items at the curb by 6 AM.</description><values/>
  </attribute>
  <attribute><variable>true</variable><code>ITEMS</code><datatype>multivaluelist</datatype><required>true</required>
    <datatype_description/><order>5</order><description>What items?</description>
    <values><value><key>SOFA</key><name>Sofa</name></value>
      <value><key>FRIDGE</key><name>Refrigerator</name></value></values>
  </attribute>
  <attribute><variable>true</variable><code>COUNT</code><datatype>number</datatype><required>false</required>
    <datatype_description/><order>3</order><description>How many?</description><values/></attribute>
</attributes></service_definition>"""


def files(tmp_path, services=SERVICES_XML, definition=DEFINITION_XML):
    (tmp_path / "services.xml").write_text(services)
    folder = tmp_path / "definitions"
    folder.mkdir()
    (folder / "S0301.xml").write_text(definition)
    return str(tmp_path / "services.xml"), str(folder)


def test_a_citys_services_become_categories_its_clients_still_recognise(cli, client, session, tmp_path):
    services, definitions = files(tmp_path)
    result = cli.invoke(args=["open311", "import", services, "--definitions", definitions, "--desk", "311",
                              "--sla-hours", "96"])
    assert result.exit_code == 0, result.output
    assert "2 categories made" in result.output
    bulk = session.scalar(select(Category).where(Category.code == "S0301"))
    assert (bulk.name, bulk.group, bulk.keywords, bulk.sla_hours) == ("Bulk Trash Pickup", "Sanitation",
                                                                       ["trash", "bulk"], 96)
    assert "Put items at the curb by 6 AM." in bulk.description  # informational attributes are kept as text
    assert [(q.code, q.datatype.value, q.required) for q in bulk.questions] == [
        ("COUNT", "number", False), ("ITEMS", "multivaluelist", True)]  # in the city's order, codes as they were
    definition = client.get("/open311/v2/services/S0301.json").get_json()
    assert [v["key"] for v in definition["attributes"][1]["values"]] == ["SOFA", "FRIDGE"]
    assert bulk.fallback_department.code == "311"


def test_json_lists_are_read_too(cli, session, tmp_path):
    (tmp_path / "services.json").write_text(json.dumps([{"service_code": "pothole-json", "service_name": "Hole",
                                                         "metadata": False, "type": "realtime"}]))
    result = cli.invoke(args=["open311", "import", str(tmp_path / "services.json"), "--desk", "311"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(Category.name).where(Category.code == "pothole-json")) == "Hole"


def test_services_whose_definitions_are_missing_are_imported_with_their_questions_pending(cli, client, session,
                                                                                           tmp_path, login_as):
    every_one = SERVICES_XML.replace("<metadata>false</metadata>", "<metadata>true</metadata>")
    (tmp_path / "services.xml").write_text(every_one)  # a real city's list: every service has a definition
    result = cli.invoke(args=["open311", "import", str(tmp_path / "services.xml"), "--desk", "311"])
    assert result.exit_code == 0, result.output
    assert "2 categories made" in result.output
    assert "pending: S0301, S0276" in result.output  # one message naming every missing definition
    made = session.scalars(select(Category).where(Category.code.in_(["S0301", "S0276"]))).all()
    assert [(c.definition_pending, c.questions) for c in made] == [(True, []), (True, [])]
    login_as("admin")
    assert "pending: the city" in client.get("/admin/categories").get_data(as_text=True)
    services, definitions = files(tmp_path, services=every_one)  # the definitions come: asked from now on
    again = cli.invoke(args=["open311", "import", services, "--definitions", definitions, "--desk", "311",
                             "--replace"])
    assert again.exit_code == 0, again.output and "S0276" in again.output
    bulk = session.scalar(select(Category).where(Category.code == "S0301"))
    assert not bulk.definition_pending and [q.code for q in bulk.questions] == ["COUNT", "ITEMS"]


def test_replacing_from_the_city_keeps_questions_whose_codes_it_reuses(cli, client, session, tmp_path):
    services, definitions = files(tmp_path)
    imported = cli.invoke(args=["open311", "import", services, "--definitions", definitions, "--desk", "311"])
    assert imported.exit_code == 0, imported.output
    first = {q.code: q.id for q in session.scalar(select(Category).where(Category.code == "S0301")).questions}
    changed = DEFINITION_XML.replace("How many?", "How many items?").replace(
        "<value><key>FRIDGE</key><name>Refrigerator</name></value>",
        "<value><key>FRIDGE</key><name>Fridge</name></value><value><key>TV</key><name>Television</name></value>")
    (tmp_path / "definitions" / "S0301.xml").write_text(changed)
    result = cli.invoke(args=["open311", "import", services, "--definitions", definitions, "--desk", "311",
                              "--replace"])
    assert result.exit_code == 0, result.output  # no IntegrityError: the same codes are the same questions
    session.expire_all()
    bulk = session.scalar(select(Category).where(Category.code == "S0301"))
    assert {q.code: q.id for q in bulk.questions} == first
    assert [q.prompt for q in bulk.questions] == ["How many items?", "What items?"]
    assert [v["name"] for v in bulk.questions[1].values] == ["Sofa", "Fridge", "Television"]
    (tmp_path / "definitions" / "S0301.xml").write_text(changed.replace("<code>COUNT</code>", "<code>HOWMANY</code>"))
    assert cli.invoke(args=["open311", "import", services, "--definitions", definitions, "--desk", "311",
                            "--replace"]).exit_code == 0
    session.expire_all()
    assert [q.code for q in session.scalar(select(Category).where(Category.code == "S0301")).questions] == [
        "HOWMANY", "ITEMS"]


def test_datatype_description_and_the_case_of_keywords_are_kept(cli, client, session, tmp_path):
    described = DEFINITION_XML.replace("<datatype_description/><order>3</order>",
                                       "<datatype_description>A whole number, 1 to 20</datatype_description>"
                                       "<order>3</order>")
    services, definitions = files(tmp_path, services=SERVICES_XML.replace("trash, bulk", "NYC Trash, BQE"),
                                  definition=described)
    imported = cli.invoke(args=["open311", "import", services, "--definitions", definitions, "--desk", "311"])
    assert imported.exit_code == 0, imported.output
    bulk = session.scalar(select(Category).where(Category.code == "S0301"))
    assert bulk.keywords == ["NYC Trash", "BQE"]
    served = client.get("/open311/v2/services/S0301.json").get_json()
    assert served["attributes"][0]["datatype_description"] == "A whole number, 1 to 20"
    [listed] = [s for s in client.get("/open311/v2/services.json").get_json() if s["service_code"] == "S0301"]
    assert listed["keywords"] == "NYC Trash, BQE"


def test_an_existing_category_is_replaced_only_when_asked(cli, session, tmp_path):
    (tmp_path / "services.json").write_text(json.dumps([{"service_code": "pothole", "service_name": "Pot hole",
                                                         "metadata": False}]))
    refused = cli.invoke(args=["open311", "import", str(tmp_path / "services.json"), "--desk", "311"])
    assert refused.exit_code == 1 and "--replace" in refused.output
    replaced = cli.invoke(args=["open311", "import", str(tmp_path / "services.json"), "--desk", "311", "--replace"])
    assert replaced.exit_code == 0 and "1 replaced" in replaced.output
    pothole = session.scalar(select(Category).where(Category.code == "pothole"))
    assert pothole.name == "Pot hole" and pothole.questions == [] and pothole.departments  # its handlers stay


def test_bad_files_are_named_with_what_is_wrong(cli, tmp_path):
    (tmp_path / "broken.xml").write_text("<services><service>")
    (tmp_path / "nocode.json").write_text(json.dumps([{"service_name": "No code"}]))
    for name, says in (("broken.xml", "not well-formed XML"), ("nocode.json", "service 1 has no service_code")):
        result = cli.invoke(args=["open311", "import", str(tmp_path / name), "--desk", "311"])
        assert result.exit_code == 1 and name in result.output and says in result.output
    unknown = cli.invoke(args=["open311", "import", str(tmp_path / "nocode.json"), "--desk", "nobody"])
    assert "There is no department 'nobody'" in unknown.output
