"""GET /api/v1/units, /areas and /matters: the names behind every code, for pick lists."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from hotline.extensions import db
from hotline.models import Unit
from tests.api.conftest import API_KEY
from tests.api.contract import assert_documented, document


def get(client: FlaskClient, path: str, **query: Any) -> Any:
    response = client.get(path, query_string=query, headers=API_KEY)
    assert_documented(document(client), "get", path, response)
    return response


def test_street_offices_are_listed_with_their_areas(client: FlaskClient) -> None:
    units = get(client, "/api/v1/units", kind="street_office").get_json()["units"]
    assert len(units) == 30
    assert {
        "code": "S990102001",
        "name": "南湖街道办事处",
        "kind": "street_office",
        "parent_code": "D990102",
        "area_code": "990102001",
        "active": True,
    } in units


def test_a_deactivated_unit_is_listed_only_when_asked_for(client: FlaskClient) -> None:
    unit = db.session.get(Unit, "C-ZJJ")
    assert unit is not None
    unit.active = False
    db.session.flush()
    active = {u["code"] for u in get(client, "/api/v1/units").get_json()["units"]}
    inactive = {u["code"] for u in get(client, "/api/v1/units", active="false").get_json()["units"]}
    assert "C-ZJJ" not in active and inactive == {"C-ZJJ"}


def test_the_communities_of_a_street_are_listed(client: FlaskClient) -> None:
    areas = get(client, "/api/v1/areas", parent="990102001").get_json()["areas"]
    assert {a["level"] for a in areas} == {"community"}
    assert {
        "code": "990102001001",
        "name": "翠苑社区",
        "level": "community",
        "parent_code": "990102001",
    } in areas


def test_only_leaf_matters_are_listed_when_asked(client: FlaskClient) -> None:
    leaves = get(client, "/api/v1/matters", leaves="true").get_json()["matters"]
    everything = get(client, "/api/v1/matters").get_json()["matters"]
    assert len(leaves) == 248 and len(everything) == 334
    assert all(m["leaf"] for m in leaves)
    lift = next(m for m in leaves if m["code"] == "01.01.01")
    assert lift == {"code": "01.01.01", "name": "电梯故障", "parent_code": "01.01", "leaf": True}


def test_a_units_staff_may_read_the_lists_and_strangers_may_not(app: Any) -> None:
    from tests.api.conftest import login

    unit_staff = login(app.test_client(), "u-c-zjj")
    assert unit_staff.get("/api/v1/areas").status_code == 200
    assert app.test_client().get("/api/v1/areas").status_code == 401


def test_an_unknown_filter_or_kind_is_a_400_naming_it(client: FlaskClient) -> None:
    wrong_kind = get(client, "/api/v1/units", kind="ministry")
    assert wrong_kind.status_code == 400
    assert wrong_kind.get_json()["error"]["details"]["field"] == "kind"
    unknown = get(client, "/api/v1/areas", colour="red")
    assert unknown.status_code == 400
