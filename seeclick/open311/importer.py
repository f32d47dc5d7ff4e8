"""Read a city's existing Open311 service list and service definitions (XML or JSON). Pure."""

import json
from pathlib import Path
from xml.etree import ElementTree

DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


class ImportError_(ValueError):
    """A file that cannot be read as Open311; the message names the file and what is wrong."""


def read_services(path: Path) -> list[dict]:
    """The services of a services.json or services.xml, as dicts with the standard's field names."""
    document = _load(path)
    if isinstance(document, ElementTree.Element):
        if document.tag != "services":
            raise ImportError_(f"{path.name}: the XML root is <{document.tag}>, not <services>")
        services = [{child.tag: (child.text or "").strip() for child in service}
                    for service in document.iter("service")]
    elif isinstance(document, list):
        services = [s for s in document if isinstance(s, dict)]
    else:
        raise ImportError_(f"{path.name}: a service list is a JSON array or an XML <services> document")
    for number, service in enumerate(services, start=1):
        if not str(service.get("service_code") or "").strip() or not str(service.get("service_name") or "").strip():
            raise ImportError_(f"{path.name}: service {number} has no service_code or service_name")
    return services


def read_definition(path: Path) -> dict:
    """A service definition's attributes, as dicts with the standard's field names, in their order."""
    document = _load(path)
    if isinstance(document, ElementTree.Element):
        attributes = []
        for attribute in document.iter("attribute"):
            item = {child.tag: (child.text or "").strip() for child in attribute if child.tag != "values"}
            item["values"] = [{"key": v.findtext("key", "").strip(), "name": v.findtext("name", "").strip()}
                              for v in attribute.iter("value")]
            attributes.append(item)
        code = document.findtext("service_code", "").strip()
    elif isinstance(document, dict):
        attributes, code = document.get("attributes") or [], str(document.get("service_code") or "")
    else:
        raise ImportError_(f"{path.name}: a service definition is a JSON object or an XML <service_definition>")
    clean = []
    for number, a in enumerate(attributes, start=1):
        datatype = str(a.get("datatype") or "").strip().lower()
        if datatype not in DATATYPES:
            raise ImportError_(f"{path.name}: attribute {number} has datatype {datatype!r}, not one of "
                               f"{', '.join(sorted(DATATYPES))}")
        clean.append({
            "code": str(a.get("code") or "").strip(),
            "variable": _true(a.get("variable", True)),
            "required": _true(a.get("required", False)),
            "datatype": datatype,
            "description": str(a.get("description") or "").strip(),
            "datatype_description": str(a.get("datatype_description") or "").strip(),
            "order": _order(a.get("order"), number),
            "values": [{"key": str(v.get("key", "")).strip(), "name": str(v.get("name", "")).strip()}
                       for v in (a.get("values") or []) if str(v.get("key", "")).strip()],
        })
    return {"service_code": code, "attributes": sorted(clean, key=lambda a: a["order"])}


def _load(path: Path):
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportError_(f"{path}: {error.strerror}") from None
    if raw.lstrip().startswith(b"<"):
        try:
            return ElementTree.fromstring(raw)
        except ElementTree.ParseError as error:
            raise ImportError_(f"{path.name}: not well-formed XML ({error})") from None
    try:
        return json.loads(raw)
    except ValueError as error:
        raise ImportError_(f"{path.name}: neither XML nor JSON ({error})") from None


def _true(value) -> bool:
    return value is True or str(value).strip().lower() == "true"


def _order(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
