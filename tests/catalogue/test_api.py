"""The catalogue API: versions, upload, download, activation, diff, a dispatcher's new entry,
and who may do what."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook

from hotline import catalogue_store
from hotline.demo.loader import DATA
from hotline.extensions import db
from tests.catalogue.conftest import DEMO_ENTRIES
from tests.catalogue.test_versions import HEADER, version_count

DEMO_XLSX = DATA / "catalogue.xlsx"
CABLE_TV = "13.03.01"  # 有线电视: a demo matter with no catalogue entry


def upload(client: Any, data: bytes, filename: str) -> Any:
    return client.post(
        "/api/v1/catalogue/versions",
        data={"file": (io.BytesIO(data), filename), "note": "测试导入"},
        content_type="multipart/form-data",
    )


def test_a_dispatcher_uploads_a_sheet_as_a_draft_version(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    client = sign_in("dispatcher")
    response = upload(client, DEMO_XLSX.read_bytes(), "catalogue.xlsx")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] == "draft" and body["entry_count"] == DEMO_ENTRIES
    assert body["note"] == "测试导入" and body["created_by"] == "周宇航"

    listed = client.get("/api/v1/catalogue/versions").get_json()["versions"]
    assert listed[0]["id"] == body["id"]
    assert any(v["state"] == "active" for v in listed)


def test_an_upload_with_problems_is_refused_with_every_problem_and_stores_nothing(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    client = sign_in("supervisor")
    before = version_count()
    sheet = "\n".join(
        (HEADER, "X1,99.99.99,,,,,C-SCJGJ,,,,,,,,", "X2,01.01.01,,,,,C-SCJGJ,,NOPE,,,,,,")
    )
    response = upload(client, sheet.encode("gb18030"), "bad.csv")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "catalogue_invalid"
    assert [(p["row"], p["column"]) for p in error["details"]["problems"]] == [
        (2, "事项编码"),
        (3, "协办单位"),
    ]
    assert all(p["reason"] for p in error["details"]["problems"])
    assert version_count() == before


def test_an_upload_without_a_file_is_a_bad_request(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    response = sign_in("admin").post(
        "/api/v1/catalogue/versions", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "file_required"


def test_a_version_reads_as_json_and_downloads_as_xlsx_or_csv(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    client = sign_in("agent")
    active = catalogue_store.active_version(db.session)
    assert active is not None
    body = client.get(f"/api/v1/catalogue/versions/{active.id}").get_json()
    assert len(body["entries"]) == DEMO_ENTRIES and body["entries"][0]["entry_id"] == "E0001"

    xlsx = client.get(f"/api/v1/catalogue/versions/{active.id}?format=xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.data))["派单目录"]
    assert sheet.max_row == DEMO_ENTRIES + 1

    csv = client.get(f"/api/v1/catalogue/versions/{active.id}?format=csv")
    assert csv.data.decode("utf-8-sig").splitlines()[0].startswith("条目编号,事项编码")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"

    assert client.get("/api/v1/catalogue/versions/999999").status_code == 404


def test_activation_and_diff_through_the_api(app: Flask, sign_in: Callable[[str], Any]) -> None:
    client = sign_in("dispatcher")
    previous = catalogue_store.active_version(db.session)
    assert previous is not None
    text = DATA.joinpath("catalogue.csv").read_text(encoding="utf-8-sig")
    edited = text.replace(",utility,电梯停运、电梯维保,", ",urgent,电梯停运、电梯维保,", 1)
    created = upload(client, edited.encode("utf-8"), "edited.csv").get_json()

    response = client.post(f"/api/v1/catalogue/versions/{created['id']}/activate")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "active"
    assert catalogue_store.active_version(db.session).id == created["id"]  # type: ignore[union-attr]

    diff = client.get(f"/api/v1/catalogue/diff?from={previous.id}&to={created['id']}").get_json()
    assert diff["added"] == [] and diff["removed"] == []
    assert diff["changed"] == [
        {
            "entry_id": "E0001",
            "fields": ["tier"],
            "before": {"tier": "utility"},
            "after": {"tier": "urgent"},
        }
    ]
    assert client.get("/api/v1/catalogue/diff?from=1").status_code == 400


def test_an_activation_for_a_later_time_is_scheduled_and_routing_keeps_the_current_version(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    client = sign_in("dispatcher")
    previous = catalogue_store.active_version(db.session)
    assert previous is not None
    created = upload(client, DEMO_XLSX.read_bytes(), "catalogue.xlsx").get_json()
    response = client.post(
        f"/api/v1/catalogue/versions/{created['id']}/activate",
        json={"effective_at": "2099-01-01T00:00:00+08:00"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "scheduled"
    assert response.get_json()["effective_at"] == "2099-01-01T00:00:00+08:00"

    versions = client.get("/api/v1/catalogue/versions").get_json()["versions"]
    by_id = {version["id"]: version for version in versions}
    assert by_id[previous.id]["state"] == "active"
    assert by_id[previous.id]["retired_at"] == "2099-01-01T00:00:00+08:00"
    explained = client.post("/api/v1/routing/explain", json={"text": "小区电梯困人了"})
    assert explained.get_json()["catalogue_version"] == previous.id


def test_re_activating_the_active_version_with_another_effective_time_is_a_409(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    client = sign_in("dispatcher")
    active = catalogue_store.active_version(db.session)
    assert active is not None
    url = f"/api/v1/catalogue/versions/{active.id}/activate"
    response = client.post(url, json={"effective_at": "2099-01-01T00:00:00+08:00"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "catalogue_activation_conflict"
    assert "不能再更改生效时间" in error["message"]
    assert error["details"]["version"] == active.id

    again = client.post(url)  # the same activation again, with no time: nothing to change
    assert again.status_code == 200
    assert again.get_json()["state"] == "active"
    assert again.get_json()["retired_at"] is None


def test_a_dispatchers_decision_becomes_an_entry_of_a_new_draft(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    client = sign_in("dispatcher")
    active = catalogue_store.active_version(db.session)
    assert active is not None
    response = client.post(
        "/api/v1/catalogue/entries",
        json={
            "matter_code": CABLE_TV,
            "area_code": None,
            "appeal_types": [],
            "lead": "C-WGLJ",
            "assists": ["属地街道"],
            "legal_basis": "《广播电视管理条例》第五条",
            "tier": "normal",
            "from_ticket": None,
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] == "draft" and body["entry_count"] == active.entry_count + 1
    assert (
        body["entry"]["entry_id"] == f"E{DEMO_ENTRIES + 1:04d}"
        and body["entry"]["matter_code"] == CABLE_TV
    )
    assert f"第 {active.id} 版" in body["note"]
    assert catalogue_store.active_version(db.session).id == active.id  # type: ignore[union-attr]


def test_a_new_entry_overlapping_an_existing_one_is_refused(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    before = version_count()
    response = sign_in("admin").post(
        "/api/v1/catalogue/entries", json={"matter_code": "01.01.01", "lead": "C-ZJJ"}
    )
    assert response.status_code == 422
    problems = response.get_json()["error"]["details"]["problems"]
    assert [p["column"] for p in problems] == ["诉求类型"]
    assert "E0001" in problems[0]["reason"]
    assert version_count() == before


# One caller per test: inside the test's app context `g` (where auth caches the caller) is shared
# by every request.
@pytest.mark.parametrize("role", ["agent", "unit"])
def test_agents_and_unit_staff_may_not_change_the_catalogue(
    app: Flask, sign_in: Callable[[str], Any], role: str
) -> None:
    client = sign_in(role)
    assert client.post("/api/v1/catalogue/entries", json={}).status_code == 403
    assert client.post("/api/v1/catalogue/versions/1/activate").status_code == 403


def test_agents_may_read_the_manual_queue_they_may_dispatch_from(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    assert sign_in("agent").get("/api/v1/queue/manual").status_code == 200


def test_unit_staff_may_not_read_the_manual_queue(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    assert sign_in("unit").get("/api/v1/queue/manual").status_code == 403


def test_unit_staff_may_not_read_the_catalogue(app: Flask, sign_in: Callable[[str], Any]) -> None:
    assert sign_in("unit").get("/api/v1/catalogue/versions").status_code == 403


def test_an_anonymous_caller_is_refused(app: Flask) -> None:
    assert app.test_client().get("/api/v1/catalogue/versions").status_code == 401


def test_an_integration_may_not_read_catalogue_versions(
    app: Flask, integration_headers: dict[str, str]
) -> None:
    response = app.test_client().get("/api/v1/catalogue/versions", headers=integration_headers)
    assert response.status_code == 403
