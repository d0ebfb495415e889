"""GET /api/v1/openapi.json and /api/v1/docs: the API described from its own schemas."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate

from hotline.api.actions import ACTIONS
from hotline.api.schemas import TicketSchema
from tests.api.conftest import API_KEY, create

METHODS = {"get", "post", "put", "patch", "delete"}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _document(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


def test_the_document_is_openapi_3_with_resolvable_references(client: Any) -> None:
    document = _document(client)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"]
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/")
        assert ref.split("/")[-1] in schemas


def test_the_document_passes_the_openapi_specification_validator(client: Any) -> None:
    validate(_document(client))


def test_every_operation_has_responses_and_declares_its_path_parameters(client: Any) -> None:
    for path, item in _document(client)["paths"].items():
        assert path.startswith("/api/v1/")
        for method, operation in item.items():
            assert method in METHODS
            assert operation["responses"]
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == {part[1:-1] for part in path.split("/") if part.startswith("{")}


def test_operation_ids_are_unique(client: Any) -> None:
    ids = [
        op["operationId"] for item in _document(client)["paths"].values() for op in item.values()
    ]
    assert len(ids) == len(set(ids))


def test_every_endpoint_is_described(client: Any) -> None:
    paths = _document(client)["paths"]
    expected = {
        "/api/v1/tickets",
        "/api/v1/tickets/{ident}",
        "/api/v1/requesters/lookup",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/calendar/due",
        "/api/v1/calendar/days",
        "/api/v1/catalogue/versions",
        "/api/v1/routing/explain",
    } | {f"/api/v1/tickets/{{ident}}/{action.path}" for action in ACTIONS}
    assert expected <= set(paths)
    assert set(paths["/api/v1/tickets"]) == {"get", "post"}


def test_the_creation_body_comes_from_the_marshmallow_schema(client: Any) -> None:
    document = _document(client)
    body = document["components"]["schemas"]["TicketCreate"]
    assert body["required"] == ["text"]
    assert body["properties"]["text"]["type"] == "string"
    assert body["properties"]["channel"]["default"] == "web"
    assert "wechat" in body["properties"]["channel"]["enum"]
    assert body["properties"]["location"]["anyOf"][0] == {"$ref": "#/components/schemas/Location"}
    assert document["components"]["schemas"]["Location"]["properties"]["lat"]["maximum"] == 90
    assert body["additionalProperties"] is False
    assert body["properties"]["text"]["maxLength"] == 4000


def test_a_schema_that_refuses_unknown_fields_is_documented_as_closed(client: Any) -> None:
    schemas = _document(client)["components"]["schemas"]
    assert schemas["ExplainBody"]["additionalProperties"] is False
    response = client.post(
        "/api/v1/routing/explain", json={"text": "路灯不亮", "colour": "red"}, headers=API_KEY
    )
    assert response.status_code == 400


def test_the_documented_ticket_matches_what_the_api_returns(
    client: Any, no_catalogue: None
) -> None:
    returned = set(create(client))
    assert returned == set(TicketSchema().fields)
    documented = set(_document(client)["components"]["schemas"]["Ticket"]["properties"])
    assert returned == documented


def test_the_docs_page_is_self_contained_html(client: Any) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "openapi.json" in page
    assert "http://" not in page and "https://" not in page


def test_every_operation_has_a_real_summary_not_an_endpoint_name(client: Any) -> None:
    for path, item in _document(client)["paths"].items():
        for method, operation in item.items():
            summary = operation["summary"]
            assert summary and not re.fullmatch(r"[\w.]+", summary, re.ASCII), (
                method,
                path,
                summary,
            )


QUERY_PARAMETERS = {
    ("get", "/api/v1/tickets"): {"state", "unit", "area", "matter", "q", "cursor", "limit"},
    ("get", "/api/v1/calendar/due"): {"start", "working_days", "working_hours", "hours"},
    ("get", "/api/v1/calendar/days"): {"from", "to"},
    ("get", "/api/v1/catalogue/versions/{version_id}"): {"format"},
    ("get", "/api/v1/catalogue/diff"): {"from", "to"},
    ("get", "/api/v1/queue/manual"): {"limit", "offset"},
}


def test_operations_that_read_the_query_string_declare_its_parameters(client: Any) -> None:
    paths = _document(client)["paths"]
    for (method, path), names in QUERY_PARAMETERS.items():
        parameters = paths[path][method].get("parameters", [])
        assert names <= {p["name"] for p in parameters if p["in"] == "query"}, path


def test_catalogue_and_routing_operations_declare_their_bodies_and_errors(client: Any) -> None:
    paths = _document(client)["paths"]
    upload = paths["/api/v1/catalogue/versions"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "401", "403", "422"} <= set(upload["responses"])
    for path in ("/api/v1/catalogue/entries", "/api/v1/routing/explain"):
        operation = paths[path]["post"]
        assert "application/json" in operation["requestBody"]["content"]
        assert {"400", "401", "403", "422"} <= set(operation["responses"])
    download = paths["/api/v1/catalogue/versions/{version_id}"]["get"]["responses"]["200"]
    assert "text/csv" in download["content"]
    assert "404" in paths["/api/v1/catalogue/diff"]["get"]["responses"]


def _validator(document: dict[str, Any], name: str) -> Any:
    from openapi_schema_validator import OAS30Validator

    # The references (#/components/schemas/...) resolve against the root the schema sits in.
    root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return OAS30Validator(root)


def test_a_ticket_with_no_dispatch_and_no_location_matches_its_documented_schema(
    client: Any,
) -> None:
    # A contact not accepted has no dispatch decision and this one no location: null where the
    # schema documents an object, which OpenAPI 3.0 allows only as a nullable allOf.
    response = client.post(
        "/api/v1/tickets",
        json={"channel": "web", "appeal_type": "other", "text": "喂喂 你好"},
        headers=API_KEY,
    )
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["dispatch"] is None and ticket["location"] is None
    errors = list(_validator(_document(client), "Ticket").iter_errors(ticket))
    assert errors == []


def test_a_dispatched_ticket_with_a_location_matches_its_documented_schema(
    client: Any, no_catalogue: None
) -> None:
    ticket = create(client, location={"lat": 28.2, "long": 112.9})
    errors = list(_validator(_document(client), "Ticket").iter_errors(ticket))
    assert errors == []
