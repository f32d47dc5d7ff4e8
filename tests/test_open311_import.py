"""`flask open311 import`: a city's existing Open311 services become categories, all or nothing."""

import json

from sqlalchemy import func, select

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


def test_a_service_without_its_definition_imports_nothing(cli, session, tmp_path):
    (tmp_path / "services.xml").write_text(SERVICES_XML)
    before = session.scalar(select(func.count()).select_from(Category))
    result = cli.invoke(args=["open311", "import", str(tmp_path / "services.xml"), "--desk", "311"])
    assert result.exit_code == 1
    assert "S0301 has metadata=true but no definition file" in result.output and "Nothing was imported" in result.output
    assert session.scalar(select(func.count()).select_from(Category)) == before


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
