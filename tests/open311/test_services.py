"""GET discovery, GET services and GET a service definition, in XML and JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hotline.extensions import db
from hotline.models import Matter
from tests.open311.helpers import error_descriptions, xml

SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]


def test_discovery_names_the_georeport_v2_endpoint_and_both_formats(client: Any) -> None:
    root = xml(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://localhost/open311/v2"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]
    assert "+08:00" in (root.findtext("changeset") or "")


def test_the_discovery_changeset_follows_the_last_change_to_a_service(client: Any) -> None:
    matter = db.session.get(Matter, "01.01.01")
    assert matter is not None
    matter.changed_at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    db.session.flush()
    body = client.get("/open311/v2/discovery.json").json
    assert body["changeset"] == "2030-01-02T11:04:05+08:00"
    assert body["endpoints"][0]["changeset"] == body["changeset"]


def test_discovery_uses_the_public_url_when_one_is_configured(app: Any) -> None:
    app.config["PUBLIC_URL"] = "https://12345.yunjiang.gov.cn/"
    try:
        body = app.test_client().get("/open311/v2/discovery.json").json
    finally:
        app.config["PUBLIC_URL"] = None
    assert body["endpoints"][0]["url"] == "https://12345.yunjiang.gov.cn/open311/v2"
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]


def test_services_lists_one_realtime_service_per_leaf_matter(client: Any) -> None:
    root = xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    services = {s.findtext("service_code"): s for s in root.findall("service")}
    assert "01.01.01" in services
    assert "01.01" not in services and "01" not in services
    lift = services["01.01.01"]
    assert [child.tag for child in lift] == SERVICE_FIELDS
    assert lift.findtext("service_name") == "电梯故障"
    assert lift.findtext("group") == "城乡建设"
    assert lift.findtext("type") == "realtime"
    assert lift.findtext("metadata") == "true"
    assert "困人" in (lift.findtext("keywords") or "")


def test_services_in_json_are_a_list_of_objects_with_string_codes(client: Any) -> None:
    response = client.get("/open311/v2/services.json")
    assert response.content_type.startswith("application/json")
    services = response.json
    lift = next(s for s in services if s["service_code"] == "01.01.01")
    assert list(lift) == SERVICE_FIELDS
    assert lift["metadata"] is True
    assert lift["service_name"] == "电梯故障"


def test_a_service_definition_lists_its_attributes_and_values(client: Any) -> None:
    root = xml(client.get("/open311/v2/services/01.01.01.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "01.01.01"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["appeal_type", "urgency", "confidential"]
    appeal = attributes[0]
    assert [child.tag for child in appeal] == ATTRIBUTE_FIELDS
    assert appeal.findtext("variable") == "true"
    assert appeal.findtext("datatype") == "singlevaluelist"
    assert appeal.findtext("order") == "1"
    names = [v.findtext("name") for v in appeal.findall("values/value")]
    assert names == ["咨询", "求助", "投诉", "举报", "建议"]
    assert appeal.find("values/value/key") is not None


def test_a_service_definition_in_json_nests_values_as_key_and_name(client: Any) -> None:
    body = client.get("/open311/v2/services/01.01.01.json").json
    assert body["service_code"] == "01.01.01"
    urgency = body["attributes"][1]
    assert urgency["code"] == "urgency"
    assert urgency["required"] is False
    assert {"key": "critical", "name": "特急"} in urgency["values"]


def test_an_unknown_service_code_is_a_404_in_the_spec_error_format(client: Any) -> None:
    response = client.get("/open311/v2/services/99.99.99.xml")
    assert response.status_code == 404
    assert "99.99.99" in error_descriptions(response)[0]
    as_json = client.get("/open311/v2/services/99.99.99.json")
    assert as_json.status_code == 404
    assert as_json.json[0]["code"] == 404
    assert set(as_json.json[0]) == {"code", "description"}


def test_a_category_that_is_not_a_leaf_is_not_a_service(client: Any) -> None:
    assert client.get("/open311/v2/services/01.01.json").status_code == 404


def test_a_foreign_jurisdiction_is_not_found(client: Any) -> None:
    response = client.get("/open311/v2/services.xml?jurisdiction_id=elsewhere.gov")
    assert response.status_code == 404
    assert "jurisdiction_id" in error_descriptions(response)[0]
    ours = client.get("/open311/v2/services.json?jurisdiction_id=yunjiang.gov.cn")
    assert ours.status_code == 200


def test_the_jurisdiction_is_the_citys_domain_in_any_letter_case(client: Any) -> None:
    response = client.get("/open311/v2/services.json?jurisdiction_id=YunJiang.Gov.CN")
    assert response.status_code == 200


def test_unknown_paths_and_wrong_methods_answer_in_the_spec_error_format(client: Any) -> None:
    missing = client.get("/open311/v2/nothing.json")
    assert missing.status_code == 404
    assert missing.json[0]["code"] == 404
    # The spec allows 404, 403 and "basically 400 for any other error": not 405.
    wrong = client.post("/open311/v2/services.xml")
    assert wrong.status_code == 400
    assert "GET" in wrong.headers["Allow"]
    assert error_descriptions(wrong) == ["不支持该请求方法"]
    assert client.delete("/open311/v2/requests.json").json == [
        {"code": 400, "description": "不支持该请求方法"}
    ]


def test_discovery_publishes_the_configured_contact_and_key_service(app: Any) -> None:
    app.config["OPEN311_CONTACT"] = "某市 12345 热线，电话 12345"
    app.config["OPEN311_KEY_SERVICE"] = "请向某市热线中心申请"
    try:
        body = app.test_client().get("/open311/v2/discovery.json").json
    finally:
        app.config["OPEN311_CONTACT"] = app.config["OPEN311_KEY_SERVICE"] = None
    assert body["contact"] == "某市 12345 热线，电话 12345"
    assert body["key_service"] == "请向某市热线中心申请"
