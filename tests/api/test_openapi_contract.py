"""The OpenAPI document says what the API does: valid ECMA-262 patterns, the bodies and statuses
the endpoints really answer, constraints as the validators apply them, and a docs page that
renders every operation."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
from marshmallow import fields, validate

from tests.api.conftest import API_KEY, create, login
from tests.api.contract import assert_documented, document, operations, schema_errors

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def _walk(node: Any, key: str) -> list[Any]:
    if isinstance(node, dict):
        found = [node[key]] if key in node else []
        return found + [v for value in node.values() for v in _walk(value, key)]
    if isinstance(node, list):
        return [v for value in node for v in _walk(value, key)]
    return []


def _node(script: str, data: Any) -> Any:
    assert NODE is not None
    result = subprocess.run(
        [NODE, "-e", script],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# ---- 1. patterns are ECMA-262 -------------------------------------------------------------

# Python-only regular expression syntax: \A, \Z, \z anchors, named groups (?P<..>), (?P=..),
# comments (?#...) and inline flags such as (?i) or (?a:...).
NOT_BLANK = r"\S"  # hotline.api.openapi.NOT_BLANK_PATTERN
PYTHON_ONLY = re.compile(r"\\[AZz]|\(\?P|\(\?#|\(\?[aiLmsux-]+[:)]")


def test_every_pattern_in_the_document_is_ecma_262_not_python(client: Any) -> None:
    patterns = _walk(document(client), "pattern")
    assert patterns, "the document has patterns (source_line)"
    for pattern in patterns:
        assert not PYTHON_ONLY.search(pattern.replace("\\\\", "")), pattern


@needs_node
def test_the_documented_source_line_pattern_accepts_in_ecma_262_what_the_api_accepts(
    client: Any,
) -> None:
    (pattern,) = set(_walk(document(client), "pattern")) - {NOT_BLANK}
    samples = ["12315", "12", "a12315", "123a", "0123456789012345", "01234567890123456"]
    validator = validate.Regexp(r"\A[0-9]{3,16}\Z")
    expected = []
    for sample in samples:
        try:
            validator(sample)
            expected.append(True)
        except Exception:
            expected.append(False)
    script = """
    const [pattern, samples] = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log(JSON.stringify(samples.map((s) => new RegExp(pattern, "u").test(s))));
    """
    assert _node(script, [pattern, samples]) == expected


@needs_node
def test_every_pattern_in_the_document_compiles_as_ecma_262_unicode(client: Any) -> None:
    patterns = _walk(document(client), "pattern")
    script = """
    const patterns = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const bad = [];
    for (const p of patterns) { try { new RegExp(p, "u"); } catch (e) { bad.push(p); } }
    console.log(JSON.stringify(bad));
    """
    assert _node(script, patterns) == []


# ---- 2. what login and me answer ---------------------------------------------------------


def test_login_and_me_answer_what_the_document_says(app: Any) -> None:
    client = app.test_client()
    doc = document(client)
    response = client.post(
        "/api/v1/auth/login", json={"username": "dispatcher1", "password": "test-password"}
    )
    assert response.status_code == 200
    assert_documented(doc, "post", "/api/v1/auth/login", response)
    me = client.get("/api/v1/auth/me")
    assert me.get_json()["user"]["username"] == "dispatcher1"
    assert_documented(doc, "get", "/api/v1/auth/me", me)


def test_me_for_an_api_key_has_no_id_nor_username_and_is_documented(client: Any) -> None:
    doc = document(client)
    me = client.get("/api/v1/auth/me", headers=API_KEY)
    assert me.get_json()["user"]["username"] is None
    assert_documented(doc, "get", "/api/v1/auth/me", me)
    user = doc["components"]["schemas"]["User"]["properties"]
    assert user["id"]["nullable"] is True and user["username"]["nullable"] is True


# ---- 3. nullable fields of ticket views ----------------------------------------------------


def test_a_withheld_ticket_matches_its_documented_schemas(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    doc = document(client)
    created = client.post(
        "/api/v1/tickets",
        json={"appeal_type": "report", "title": "举报", "text": "某饭店后厨卫生很差"},
        headers=API_KEY,
    )
    assert created.status_code == 201
    assert created.get_json()["title"] is None  # content withheld from another system
    assert_documented(doc, "post", "/api/v1/tickets", created)
    number = created.get_json()["number"]
    shown = client.get(f"/api/v1/tickets/{number}", headers=API_KEY)
    assert shown.get_json()["title"] is None
    assert_documented(doc, "get", "/api/v1/tickets/{ident}", shown)
    listed = client.get("/api/v1/tickets", headers=API_KEY)
    assert any(item["title"] is None for item in listed.get_json()["items"])
    assert_documented(doc, "get", "/api/v1/tickets", listed)
    # And the centre's view of the same ticket, every field filled in that can be.
    assert_documented(doc, "get", "/api/v1/tickets/{ident}", agent.get(f"/api/v1/tickets/{number}"))


def test_a_dispatched_ticket_and_its_timeline_match_their_documented_schemas(
    client: Any, agent: Any, elevator_catalogue: None
) -> None:
    doc = document(client)
    ticket = create(client, location={"lat": 28.2, "long": 112.9})
    for who in (client, agent):
        headers = API_KEY if who is client else None
        shown = who.get(f"/api/v1/tickets/{ticket['id']}", headers=headers)
        assert shown.status_code == 200
        assert_documented(doc, "get", "/api/v1/tickets/{ident}", shown)


# ---- 4. the errors each operation can answer ------------------------------------------------


def test_a_unit_or_api_key_searching_personal_data_is_a_documented_403(
    client: Any, district: Any
) -> None:
    doc = document(client)
    for who, headers in ((client, API_KEY), (district, None)):
        response = who.get("/api/v1/tickets", query_string={"q": "13811112222"}, headers=headers)
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "personal_data_search"
        assert_documented(doc, "get", "/api/v1/tickets", response)
    described = doc["paths"]["/api/v1/tickets"]["get"]["responses"]["403"]["description"]
    assert "personal_data_search" in described


def test_every_state_changing_operation_documents_the_413_it_answers(app: Any) -> None:
    client = app.test_client()
    doc = document(client)
    too_big = b" " * (int(app.config["MAX_CONTENT_LENGTH"]) + 1)
    checked = []
    for method, path, operation in operations(doc):
        if method == "get":
            continue
        url = re.sub(r"{\w+}", "1", path)
        response = client.open(
            url, method=method.upper(), data=too_big, content_type="application/json"
        )
        assert response.status_code == 413, (method, path)
        assert "413" in operation["responses"], (method, path)
        assert_documented(doc, method, path, response)
        checked.append(path)
    assert {
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/tickets/{ident}/requester/reveal",
        "/api/v1/catalogue/versions",
    } <= set(checked)


def test_logout_from_another_site_is_a_documented_403(agent: Any) -> None:
    doc = document(agent)
    response = agent.post("/api/v1/auth/logout", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "cross_site_request"
    assert_documented(doc, "post", "/api/v1/auth/logout", response)
    assert agent.post("/api/v1/auth/logout").status_code == 204


def test_json_bodies_document_their_media_type_and_parse_errors(client: Any) -> None:
    for method, path, operation in operations(document(client)):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            assert {"400", "413", "415"} <= set(operation["responses"]), (method, path)


def test_a_session_post_from_another_site_is_a_documented_403_everywhere(app: Any) -> None:
    agent = login(app.test_client(), "agent1")
    doc = document(agent)
    for method, path, operation in operations(doc):
        if method == "get" or operation.get("security") == []:
            continue
        url = re.sub(r"{\w+}", "1", path)
        response = agent.open(
            url, method=method.upper(), json={}, headers={"Origin": "https://evil.example"}
        )
        assert response.status_code == 403, (method, path, response.get_json())
        assert "cross_site_request" in operation["responses"]["403"]["description"], path


# ---- 6. the docs page renders every operation ---------------------------------------------

# Runs the page's script against the document with a minimal DOM: what it appended, per
# operation, and whether it got to the schemas at the end.
DOCS_HARNESS = """
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
function element(tag) {
  return { tag, className: "", textContent: "", children: [],
           appendChild(child) { this.children.push(child); return child; } };
}
const nodes = { paths: element("div"), schemas: element("div") };
globalThis.document = { getElementById: (id) => nodes[id], createElement: element };
globalThis.fetch = () => Promise.resolve({ json: () => Promise.resolve(input.document) });
process.on("unhandledRejection", (error) => { console.error(String(error)); process.exit(3); });
eval(input.script);
setTimeout(() => {
  const text = (node) => node.textContent + node.children.map(text).join("");
  console.log(JSON.stringify({
    operations: nodes.paths.children.filter((c) => c.className === "op").map(text),
    schemas: nodes.schemas.children.filter((c) => c.tag === "h3").map((c) => c.textContent),
  }));
}, 50);
"""


def _docs_script(client: Any) -> str:
    page = client.get("/api/v1/docs").get_data(as_text=True)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 1
    return scripts[0]


@needs_node
def test_the_docs_page_script_renders_every_operation_and_schema(client: Any) -> None:
    doc = document(client)
    rendered = _node(DOCS_HARNESS, {"script": _docs_script(client), "document": doc})
    expected = operations(doc)
    assert len(rendered["operations"]) == len(expected)
    for (method, path, operation), shown in zip(expected, rendered["operations"], strict=True):
        assert method in shown and path in shown
        for media_type in list(operation.get("requestBody", {}).get("content", {}))[:1]:
            assert media_type in shown
        assert "无法显示" not in shown, shown
    assert rendered["schemas"] == list(doc["components"]["schemas"])
    upload = rendered["operations"][
        [(m, p) for m, p, _ in expected].index(("post", "/api/v1/catalogue/versions"))
    ]
    assert "multipart/form-data" in upload and "file" in upload


@needs_node
def test_the_docs_page_keeps_going_past_an_operation_it_cannot_read(client: Any) -> None:
    doc = document(client)
    # An operation whose body the page cannot make sense of must not stop the page.
    doc["paths"]["/api/v1/tickets"]["post"]["requestBody"] = {"content": None}
    rendered = _node(DOCS_HARNESS, {"script": _docs_script(client), "document": doc})
    assert len(rendered["operations"]) == len(operations(doc))
    assert rendered["schemas"] == list(doc["components"]["schemas"])


def test_every_request_body_has_a_media_type_with_a_schema_the_page_can_show(
    client: Any,
) -> None:
    for method, path, operation in operations(document(client)):
        if "requestBody" not in operation:
            continue
        content = operation["requestBody"]["content"]
        assert content, (method, path)
        first = next(iter(content.values()))
        schema = first["schema"]
        assert "$ref" in schema or schema.get("properties"), (method, path)


# ---- 7. constraints as the validators apply them --------------------------------------------


def test_an_exclusive_range_is_documented_as_exclusive(client: Any) -> None:
    doc = document(client)
    assert doc["openapi"].startswith("3.0.")  # 3.0: exclusiveMinimum is a boolean
    parameters = doc["paths"]["/api/v1/calendar/due"]["get"]["parameters"]
    by_name = {p["name"]: p["schema"] for p in parameters}
    for name in ("working_hours", "hours"):
        assert by_name[name]["minimum"] == 0
        assert by_name[name]["exclusiveMinimum"] is True
        assert "exclusiveMaximum" not in by_name[name]
    assert "exclusiveMinimum" not in by_name["working_days"]
    response = client.get("/api/v1/calendar/due?start=2026-03-02T09:00:00%2B08:00&hours=0")
    assert response.status_code == 400


def test_required_non_blank_strings_are_documented_with_a_minimum_length(client: Any) -> None:
    schemas = document(client)["components"]["schemas"]
    for name, field in (
        ("Text", "text"),
        ("RequiredNote", "note"),
        ("Return", "reason"),
        ("Return", "legal_basis"),
        ("Redispatch", "reason"),
        ("Extension", "reason"),
        ("Reason", "reason"),
        ("TicketCreate", "text"),
        ("TicketCreate", "answer"),
    ):
        documented = schemas[name]["properties"][field]
        assert documented["minLength"] == 1, (name, field)
        # Not blank: a character other than white space somewhere.
        assert errors_for(documented, "   ") and not errors_for(documented, " x "), (name, field)
    assert schemas["Reveal"]["properties"]["reason"]["minLength"] == 2  # the stricter bound stays
    assert "minLength" not in schemas["Note"]["properties"]["note"]


def errors_for(schema: dict[str, Any], value: Any) -> list[str]:
    return schema_errors({"components": {}}, schema, value)


def test_several_validators_on_a_field_keep_the_strictest_bounds() -> None:
    from hotline.api.openapi import Components
    from hotline.api.schemas import not_blank

    field = fields.String(
        validate=[validate.Length(min=3, max=10), validate.Length(max=8), not_blank]
    )
    documented = Components().field_schema(field)
    assert documented["minLength"] == 3 and documented["maxLength"] == 8
    assert documented["pattern"]
