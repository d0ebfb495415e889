"""Checking a live response against what /api/v1/openapi.json says the operation answers."""

from __future__ import annotations

import json
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker


def document(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    found: dict[str, Any] = response.get_json()
    return found


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation the document describes."""
    return [
        (method, path, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
    ]


def schema_errors(doc: dict[str, Any], schema: dict[str, Any], instance: Any) -> list[str]:
    # References (#/components/schemas/...) resolve against the root the schema sits in.
    root = {**schema, "components": doc["components"]}
    validator = OAS30Validator(root, format_checker=oas30_format_checker)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def assert_documented(doc: dict[str, Any], method: str, path: str, response: Any) -> None:
    """The response's status is one the operation documents, with this media type, and its JSON
    body matches the documented schema (additionalProperties, nullability, formats)."""
    operation = doc["paths"][path][method]
    status = str(response.status_code)
    assert status in operation["responses"], (method, path, status, response.get_data()[:300])
    documented = operation["responses"][status].get("content", {})
    if not response.get_data():
        return
    media_type = response.mimetype
    assert media_type in documented, (method, path, status, media_type, list(documented))
    if media_type != "application/json":
        return
    body = json.loads(response.get_data())
    errors = schema_errors(doc, documented[media_type]["schema"], body)
    assert errors == [], (method, path, status, errors)
