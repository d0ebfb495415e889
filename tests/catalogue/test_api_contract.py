"""The catalogue endpoints answer what the OpenAPI document says: a version as JSON (the
default) or as a sheet, and 404 for a version id no row can have."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from hotline import catalogue_store
from hotline.extensions import db
from tests.api.contract import assert_documented, document
from tests.catalogue.test_api import DEMO_XLSX, upload

VERSION = "/api/v1/catalogue/versions/{version_id}"


def test_a_version_as_json_csv_or_xlsx_is_what_the_document_says(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    client = sign_in("dispatcher")
    doc = document(client)
    active = catalogue_store.active_version(db.session)
    assert active is not None
    content = doc["paths"][VERSION]["get"]["responses"]["200"]["content"]
    assert "application/json" in content
    for query in ("", "?format=json", "?format=csv", "?format=xlsx"):
        response = client.get(f"/api/v1/catalogue/versions/{active.id}{query}")
        assert response.status_code == 200
        assert_documented(doc, "get", VERSION, response)


def test_listing_uploading_and_activating_versions_is_what_the_document_says(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    client = sign_in("dispatcher")
    doc = document(client)
    created = upload(client, DEMO_XLSX.read_bytes(), "catalogue.xlsx")
    assert created.status_code == 201
    assert_documented(doc, "post", "/api/v1/catalogue/versions", created)
    listed = client.get("/api/v1/catalogue/versions")
    assert_documented(doc, "get", "/api/v1/catalogue/versions", listed)
    activated = client.post(
        f"/api/v1/catalogue/versions/{created.get_json()['id']}/activate",
        json={"effective_at": "2099-01-01T00:00:00+08:00"},
    )
    assert activated.status_code == 200
    assert_documented(doc, "post", VERSION + "/activate", activated)


@pytest.mark.parametrize("version_id", [2**31, 2**31 + 7, 2**63, 10**30])
def test_a_version_id_no_row_can_have_is_404_like_a_missing_version(
    app: Flask, sign_in: Callable[[str], Any], version_id: int
) -> None:
    client = sign_in("dispatcher")
    doc = document(client)
    active = catalogue_store.active_version(db.session)
    assert active is not None
    missing = client.get("/api/v1/catalogue/versions/999999").get_json()["error"]
    for method, path, url in (
        ("get", VERSION, f"/api/v1/catalogue/versions/{version_id}"),
        ("get", VERSION, f"/api/v1/catalogue/versions/{version_id}?format=csv"),
        ("post", VERSION + "/activate", f"/api/v1/catalogue/versions/{version_id}/activate"),
        (
            "get",
            "/api/v1/catalogue/diff",
            f"/api/v1/catalogue/diff?from={active.id}&to={version_id}",
        ),
        (
            "get",
            "/api/v1/catalogue/diff",
            f"/api/v1/catalogue/diff?from={version_id}&to={active.id}",
        ),
        ("get", "/api/v1/catalogue/diff", f"/api/v1/catalogue/diff?from=-{version_id}&to=1"),
    ):
        response = client.open(url, method=method.upper())
        assert response.status_code == 404, (url, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == missing["code"] and "派单目录版本" in error["message"]
        assert_documented(doc, method, path, response)
