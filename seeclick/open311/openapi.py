"""The OpenAPI 3.1 document of the JSON side of the Open311 API, served at /open311/v2/openapi.json."""


def _nullable(kind, **extra):
    return {"type": [kind, "null"], **extra}


ERROR = {"type": "array", "items": {"type": "object", "required": ["code", "description"], "properties": {
    "code": {"type": "integer"}, "description": {"type": "string"}}}}

SERVICE = {"type": "object", "required": ["service_code", "service_name", "description", "metadata", "type",
                                          "keywords", "group"], "properties": {
    "service_code": {"type": "string"}, "service_name": {"type": "string"}, "description": _nullable("string"),
    "metadata": {"type": "boolean"}, "type": {"enum": ["realtime", "batch", "blackbox"]},
    "keywords": _nullable("string"), "group": {"type": "string"}}}

DEFINITION = {"type": "object", "required": ["service_code", "attributes"], "properties": {
    "service_code": {"type": "string"},
    "attributes": {"type": "array", "items": {"type": "object", "required": [
        "variable", "code", "datatype", "required", "order", "description", "values"], "properties": {
        "variable": {"type": "boolean"}, "code": {"type": "string"},
        "datatype": {"enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]},
        "required": {"type": "boolean"}, "datatype_description": _nullable("string"),
        "order": {"type": "integer", "minimum": 1}, "description": {"type": "string"},
        "values": {"type": "array", "items": {"type": "object", "properties": {
            "key": {"type": "string"}, "name": {"type": "string"}}}}}}}}}

TIME = _nullable("string", format="date-time")
REQUEST = {"type": "object", "required": [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url"], "properties": {
    "service_request_id": {"type": "string"}, "status": {"enum": ["open", "closed"]},
    "status_notes": _nullable("string"), "service_name": _nullable("string"), "service_code": {"type": "string"},
    "description": _nullable("string", maxLength=4000), "agency_responsible": _nullable("string"),
    "service_notice": _nullable("string"), "requested_datetime": {"type": "string", "format": "date-time"},
    "updated_datetime": TIME, "expected_datetime": TIME, "address": {"type": "string"},
    "address_id": _nullable("string"), "zipcode": _nullable("string"), "lat": {"type": "number"},
    "long": {"type": "number"}, "media_url": _nullable("string", format="uri"),
    "extended_attributes": {"type": "object", "description": "Only with extensions=true."},
    "notes": {"type": "array", "description": "Only with extensions=true: the public timeline.",
              "items": {"type": "object", "properties": {"datetime": {"type": "string", "format": "date-time"},
                                                         "summary": {"type": "string"},
                                                         "type": {"enum": ["activity", "closed"]},
                                                         "description": _nullable("string")}}}}}


UPDATE = {"type": "object", "required": ["update_id", "service_request_id", "status", "updated_datetime",
                                         "description", "media_url", "external_status_code"], "properties": {
    "update_id": {"type": "string"}, "service_request_id": {"type": "string"},
    "status": {"type": "string", "description": "mySociety's status words: open, investigating, in_progress, "
                                                "fixed, no_further_action, duplicate, not_councils_responsibility"},
    "updated_datetime": {"type": "string", "format": "date-time"}, "description": _nullable("string"),
    "media_url": _nullable("string", format="uri"),
    "external_status_code": {"type": "string", "description": "This city's own status, exactly."}}}


def _query(name, description, schema=None):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _answers(schema_ref, description="OK"):
    return {
        "200": {"description": description, "content": {"application/json": {"schema": schema_ref}}},
        "400": {"description": "Bad request", "content": {"application/json": {"schema": ERROR}}},
        "404": {"description": "Not found", "content": {"application/json": {"schema": ERROR}}},
    }


JURISDICTION = _query("jurisdiction_id", "Optional; if given it must be this endpoint's jurisdiction.")


def document(server_url: str, jurisdiction: str) -> dict:
    requests_query = [
        JURISDICTION,
        _query("service_request_id", "Comma-separated ids; overrides every other filter."),
        _query("service_code", "Comma-separated service codes."),
        _query("start_date", "W3C date-time, or a date (a day of the city); requested on or after. "
                             "Default: 90 days ago.", TIME),
        _query("end_date", "W3C date-time, or a date (to its end); requested on or before. At most 90 days after "
                           "start_date.", TIME),
        _query("status", "open, closed, or both comma-separated."),
        _query("updated_after", "W3C date-time.", TIME),
        _query("updated_before", "W3C date-time.", TIME),
        _query("bbox", "long1,lat1,long2,lat2 (WGS84)."),
        _query("lat", "WGS84 latitude, with long and radius.", {"type": "number"}),
        _query("long", "WGS84 longitude, with lat and radius.", {"type": "number"}),
        _query("radius", "Metres around lat/long (default 500, at most 10,000).", {"type": "number"}),
        _query("page", "1-based page number.", {"type": "integer", "minimum": 1}),
        _query("page_size", "Requests per page (default and most 1000; more is refused).",
               {"type": "integer", "minimum": 1, "maximum": 1000}),
        _query("extensions", "true: add notes (the public timeline) and extended_attributes.",
               {"enum": ["true", "false"]}),
    ]
    return {
        "openapi": "3.1.0",
        "info": {"title": "seeclick Open311 GeoReport v2", "version": "2",
                 "description": f"GeoReport v2 for {jurisdiction}. Every path also answers as .xml "
                                "(text/xml) with the standard's element names."},
        "servers": [{"url": server_url}],
        "paths": {
            "/discovery.json": {"get": {"summary": "Service discovery", "responses": {"200": {
                "description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/services.json": {"get": {"summary": "The service list", "parameters": [JURISDICTION],
                                       "responses": _answers({"type": "array", "items": SERVICE})}},
            "/services/{service_code}.json": {"get": {
                "summary": "A service definition (its questions)",
                "parameters": [{"name": "service_code", "in": "path", "required": True,
                                "schema": {"type": "string"}}, JURISDICTION],
                "responses": _answers(DEFINITION)}},
            "/requests.json": {
                "get": {"summary": "Service requests", "parameters": requests_query,
                        "responses": _answers({"type": "array", "items": REQUEST})},
                "post": {
                    "summary": "Post a service request (needs an api_key)",
                    "requestBody": {"required": True, "content": {
                        "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Post"}},
                        "multipart/form-data": {"schema": {"$ref": "#/components/schemas/Post"}}}},
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                    "description": "A retry with the same key answers the request made first.",
                                    "schema": {"type": "string"}}],
                    "responses": {**_answers({"type": "array", "items": {"type": "object", "properties": {
                        "service_request_id": {"type": "string"}, "service_notice": _nullable("string"),
                        "account_id": _nullable("string")}}}),
                        "403": {"description": "Missing or wrong api_key, or the sender (email, phone) is blocked",
                                "content": {"application/json": {"schema": ERROR}}}}}},
            "/requests/{service_request_id}.json": {"get": {
                "summary": "One service request (a list of one)",
                "parameters": [{"name": "service_request_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}, JURISDICTION,
                               _query("extensions", "true: add notes and extended_attributes.")],
                "responses": _answers({"type": "array", "items": REQUEST})}},
            "/servicerequestupdates.json": {
                "get": {"summary": "FixMyStreet's service request updates: the public updates in a window, oldest "
                                   "first", "parameters": [
                    JURISDICTION, _query("api_key", "Accepted and not needed: the updates are public."),
                    _query("start_date", "W3C date-time or date. Default: 24 hours before end_date.", TIME),
                    _query("end_date", "W3C date-time or date. Default: now. At most 90 days after start_date.", TIME),
                    _query("page", "1-based page number.", {"type": "integer", "minimum": 1}),
                    _query("page_size", "Updates per page (at most 1000). Without page or page_size a window "
                                        "holding more than 1000 is refused.",
                           {"type": "integer", "minimum": 1, "maximum": 1000})],
                    "responses": _answers({"type": "array", "items": UPDATE})},
                "post": {
                    "summary": "A FixMyStreet site's update of a request (needs an api_key)",
                    "requestBody": {"required": True, "content": {
                        "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/PostUpdate"}}}},
                    "responses": {**_answers({"type": "array", "items": {"type": "object", "properties": {
                        "update_id": {"type": "string"}}}}),
                        "403": {"description": "Missing or wrong api_key",
                                "content": {"application/json": {"schema": ERROR}}}}}},
            "/tokens/{token}.json": {"get": {
                "summary": "Requests are made at once (realtime), so no token is ever pending",
                "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": _answers({"type": "array"})}},
        },
        "components": {"schemas": {"PostUpdate": {"type": "object", "required": [
            "api_key", "service_request_id", "update_id", "status", "updated_datetime", "description"], "properties": {
            "api_key": {"type": "string"}, "service_request_id": {"type": "string"},
            "update_id": {"type": "string", "description": "The client's own id: posted again, nothing more is made."},
            "status": {"type": "string"}, "updated_datetime": {"type": "string", "format": "date-time"},
            "description": {"type": "string", "maxLength": 4000},
            "media_url": {"type": "string", "format": "uri", "description": "Repeat it for several."}}},
            "Post": {"type": "object", "required": ["api_key", "service_code"],
                                            "properties": {
            "api_key": {"type": "string"}, "jurisdiction_id": {"type": "string"},
            "service_code": {"type": "string"}, "lat": {"type": "number"}, "long": {"type": "number"},
            "address_string": {"type": "string", "description": "Instead of lat and long: placed in the "
                                                                "neighbourhood it names, marked approximate."},
            "media_url": {"type": "string", "format": "uri", "description": "A link, kept and never fetched."},
            "description": {"type": "string", "maxLength": 4000},
            "email": {"type": "string"}, "first_name": {"type": "string"}, "last_name": {"type": "string"},
            "phone": {"type": "string"}, "media": {"type": "string", "format": "binary"},
        }, "additionalProperties": {"type": "string",
                                    "description": "attribute[CODE] or attribute[CODE][] answers"}}}},
    }
