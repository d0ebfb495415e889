"""GET /api/v1/openapi.json (built from the marshmallow schemas) and GET /api/v1/docs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, jsonify
from marshmallow import RAISE, Schema, fields, missing, validate

from hotline.api import blueprint
from hotline.api.actions import ACTIONS
from hotline.api.schemas import (
    CurrentUserSchema,
    ErrorSchema,
    LoginSchema,
    LookupQuery,
    LookupResultSchema,
    RevealResultSchema,
    RevealSchema,
    TicketCreateSchema,
    TicketDetailSchema,
    TicketListQuery,
    TicketPageSchema,
    TicketSchema,
    not_blank,
    text_length,
)

OPENAPI_VERSION = "3.0.3"
NULL_ONLY: dict[str, Any] = {"type": "object", "nullable": True, "enum": [None]}
ERROR_TEXT = {
    "400": "参数错误（validation_error、invalid_json、invalid_phone、invalid_cursor）",
    "401": "未登录或 API key 无效",
    "403": "角色无权执行",
    "404": "工单不存在",
    "409": "状态不允许此操作，或幂等键冲突",
    "413": "请求体过大（request_entity_too_large）",
    "415": "请求体必须是 application/json",
    "422": "违反业务规则（如未知编码 unknown_code）",
    "429": "登录失败次数过多（too_many_attempts），请按 Retry-After 稍后再试",
}
# auth.check_same_origin: a cookie-session state change sent from another site.
CROSS_SITE_TEXT = "以会话登录时，请求来自其他站点（cross_site_request）"
# The methods that change state; hotline.body_limit refuses a body over MAX_CONTENT_LENGTH with
# 413 on every request before any view runs, and these are the requests that carry one.
STATE_CHANGING = frozenset({"post", "put", "patch", "delete"})
# Not blank (`not_blank`, `text_length`: what str.strip() leaves is not empty): a character other
# than white space somewhere. ECMA-262's \s and str.isspace() differ only on rare characters.
NOT_BLANK_PATTERN = r"\S"


def _schema_name(schema: type[Schema]) -> str:
    return schema.__name__.removesuffix("Schema") or schema.__name__


@dataclass
class Components:
    """The schemas referenced so far, converted once each."""

    schemas: dict[str, Any] = field(default_factory=dict)

    def ref(self, schema: type[Schema]) -> dict[str, str]:
        name = _schema_name(schema)
        if name not in self.schemas:
            self.schemas[name] = {}  # placeholder: breaks cycles
            self.schemas[name] = self.object_schema(schema)
        return {"$ref": f"#/components/schemas/{name}"}

    def object_schema(self, schema: type[Schema]) -> dict[str, Any]:
        instance = schema()
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, item in instance.fields.items():
            key = item.data_key or name
            properties[key] = self.field_schema(item)
            if item.required:
                required.append(key)
        document: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            document["required"] = required
        # marshmallow refuses unknown fields unless a schema says otherwise (Open311's exclude).
        if instance.unknown == RAISE:
            document["additionalProperties"] = False
        return document

    def field_schema(self, item: fields.Field) -> dict[str, Any]:  # type: ignore[type-arg]
        document = self._type(item)
        constraints: dict[str, Any] = {}
        for validator in item.validators:
            _merge(constraints, _validator(validator, isinstance(item, fields.List)))
        document.update(constraints)
        if item.allow_none:
            if "$ref" in document:
                # OpenAPI 3.0 ignores what stands beside a $ref, and "nullable" needs a "type"
                # beside it: a nullable object is the object or a null-only object schema.
                document = {"anyOf": [document, NULL_ONLY]}
            else:
                document["nullable"] = True
        default = item.load_default
        if default is not missing and not callable(default):
            document["default"] = default
        description = item.metadata.get("description")
        if description:
            if "$ref" in document:
                document = {"allOf": [document], "description": description}
            else:
                document["description"] = description
        return document

    def _type(self, item: fields.Field) -> dict[str, Any]:  # type: ignore[type-arg]
        declared = item.metadata.get("type")
        if declared:
            document: dict[str, Any] = {"type": declared}
            if item.metadata.get("format"):
                document["format"] = item.metadata["format"]
            return document
        if isinstance(item, fields.Nested):
            target = item.schema
            reference = self.ref(type(target))
            return {"type": "array", "items": reference} if item.many else reference
        if isinstance(item, fields.List):
            return {"type": "array", "items": self.field_schema(item.inner)}
        if isinstance(item, fields.Dict):
            return {"type": "object", "additionalProperties": True}
        for kind, document in (
            (fields.Email, {"type": "string", "format": "email"}),
            (fields.DateTime, {"type": "string", "format": "date-time"}),
            (fields.Date, {"type": "string", "format": "date"}),
            (fields.Boolean, {"type": "boolean"}),
            (fields.Integer, {"type": "integer"}),
            (fields.Number, {"type": "number"}),
            (fields.String, {"type": "string"}),
        ):
            if isinstance(item, kind):
                return dict(document)
        return {}


def _validator(validator: Any, is_list: bool) -> dict[str, Any]:
    if validator is text_length:
        limit = int(current_app.config["MAX_TEXT_LENGTH"])
        return {"minLength": 1, "maxLength": limit, "pattern": NOT_BLANK_PATTERN}
    if validator is not_blank:
        return {"minLength": 1, "pattern": NOT_BLANK_PATTERN}
    if isinstance(validator, validate.Length):
        low, high = ("minItems", "maxItems") if is_list else ("minLength", "maxLength")
        if validator.equal is not None:
            return {low: validator.equal, high: validator.equal}
        found = {low: validator.min, high: validator.max}
        return {k: v for k, v in found.items() if v is not None}
    if isinstance(validator, validate.Range):
        # OpenAPI 3.0 (OPENAPI_VERSION): exclusiveMinimum/exclusiveMaximum are booleans
        # qualifying minimum/maximum (3.1 would make them the bound itself).
        found = {}
        if validator.min is not None:
            found["minimum"] = validator.min
            if not validator.min_inclusive:
                found["exclusiveMinimum"] = True
        if validator.max is not None:
            found["maximum"] = validator.max
            if not validator.max_inclusive:
                found["exclusiveMaximum"] = True
        return found
    if isinstance(validator, validate.OneOf):
        return {"enum": list(validator.choices)}
    if isinstance(validator, validate.Regexp):
        return {"pattern": ecma_pattern(validator.regex)}
    return {}


def _stricter_bound(
    into: dict[str, Any], found: dict[str, Any], key: str, exclusive: str, lower: bool
) -> None:
    """Keep the stricter of two numeric bounds (two Range validators on one field)."""
    if key not in found:
        return
    new = (found[key], bool(found.get(exclusive)))
    if key in into:
        old = (into[key], bool(into.get(exclusive)))
        stricter = new[0] > old[0] if lower else new[0] < old[0]
        if not (stricter or (new[0] == old[0] and new[1])):
            return
    into[key] = new[0]
    into.pop(exclusive, None)
    if new[1]:
        into[exclusive] = True


def _merge(into: dict[str, Any], found: dict[str, Any]) -> None:
    """Add one validator's constraints to a field's: every validator applies, so the strictest
    bound wins, and a second pattern joins the first instead of replacing it."""
    _stricter_bound(into, found, "minimum", "exclusiveMinimum", lower=True)
    _stricter_bound(into, found, "maximum", "exclusiveMaximum", lower=False)
    bounds = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
    for key, value in found.items():
        if key in bounds:
            continue
        if key not in into:
            into[key] = value
        elif key in ("minLength", "minItems"):
            into[key] = max(into[key], value)
        elif key in ("maxLength", "maxItems"):
            into[key] = min(into[key], value)
        elif key == "enum":
            into[key] = [choice for choice in into[key] if choice in value]
        elif key == "pattern" and value != into[key]:
            into.setdefault("allOf", []).append({"pattern": value})


def ecma_pattern(regex: re.Pattern[str] | re.Pattern[bytes]) -> str:
    r"""A schema's pattern as JSON Schema reads it: an ECMA-262 regular expression, searched
    unanchored. marshmallow's Regexp matches from the start, and the schemas anchor with \A and
    \Z, which ECMA-262 writes ^ and $ (without the m flag they match only at the ends). The
    schemas use no other syntax the two read differently; tests/api/test_openapi_contract.py
    checks that every documented pattern compiles as ECMA-262 and keeps no Python-only syntax."""
    source = regex.pattern
    if not isinstance(source, str):
        raise ValueError("a bytes pattern has no JSON Schema form")
    pattern = source.replace(r"\A", "^").replace(r"\Z", "$")
    return pattern if pattern.startswith("^") else f"^(?:{pattern})"


def _json(reference: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": reference}}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    response: type[Schema] | None = None
    status: str = "200"
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    # The statuses this operation's own checks answer. Those every operation of its kind can
    # answer are added by `error_statuses`: 413 for any state-changing request, 400 and 415 for
    # a JSON body, 403 for a state change from another site with a cookie session.
    errors: tuple[str, ...] = ("401", "403")
    secured: bool = True
    headers: tuple[dict[str, Any], ...] = ()
    # What an error status means here when ERROR_TEXT's generic wording does not fit.
    error_texts: tuple[tuple[str, str], ...] = ()
    body_required: bool = True
    upload: bool = False  # a multipart/form-data file upload instead of a JSON body
    # Other representations of the success response (media type → description).
    downloads: tuple[tuple[str, str], ...] = ()
    success_text: str = "成功"

    def error_statuses(self) -> list[str]:
        statuses = set(self.errors)
        if self.method in STATE_CHANGING:
            statuses.add("413")  # hotline.body_limit, before any view
            if self.secured:
                statuses.add("403")  # auth.check_same_origin for a cookie session
        if self.body is not None:
            statuses |= {"400", "415"}  # parsing.json_body: invalid_json, not application/json
        if self.upload:
            statuses.add("400")
        return sorted(statuses)

    def error_text(self, status: str) -> str:
        text = dict(self.error_texts).get(status, ERROR_TEXT[status])
        cross_site = status == "403" and self.method in STATE_CHANGING and self.secured
        if cross_site and "cross_site_request" not in text:
            text += "；或" + CROSS_SITE_TEXT
        return text


IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "同一键同一内容重放首次结果（响应头 Idempotent-Replayed: true）；"
    "内容不同返回 409",
    "schema": {"type": "string", "maxLength": 255},
}


UPLOAD = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {
                    "type": "string",
                    "format": "binary",
                    "description": "派单目录表（.xlsx 或 .csv，中文表头）",
                },
                "note": {"type": "string", "description": "版本说明"},
            },
        }
    }
}
CATALOGUE_INVALID = "派单目录表或新条目有问题（catalogue_invalid，details.problems 逐行列出）"
CALENDAR_400 = "参数错误（validation_error），或日期超出工作日历（calendar_not_covered）"


def reference_operations() -> list[Operation]:
    """GET /units, /areas, /matters (hotline.reference_api)."""
    from hotline.reference_api import (
        AreaListSchema,
        AreasQuery,
        MatterListSchema,
        MattersQuery,
        UnitListSchema,
        UnitsQuery,
    )

    return [
        Operation(
            "get",
            "/api/v1/units",
            "承办单位列表（派单时选单位；active=false 列出已停用的单位）",
            "reference",
            UnitListSchema,
            query=UnitsQuery,
            errors=("400", "401"),
        ),
        Operation(
            "get",
            "/api/v1/areas",
            "行政区划列表（可按级别、上级筛选）",
            "reference",
            AreaListSchema,
            query=AreasQuery,
            errors=("400", "401"),
        ),
        Operation(
            "get",
            "/api/v1/matters",
            "事项分类列表（leaves=true 只列可派单的末级事项）",
            "reference",
            MatterListSchema,
            query=MattersQuery,
            errors=("400", "401"),
        ),
    ]


def other_operations() -> list[Operation]:
    """The calendar, catalogue, routing-explain and manual-queue endpoints (other blueprints)."""
    from hotline.calendar_api import DaysQuery, DueQuery
    from hotline.catalogue_api import (
        ActivateBody,
        CatalogueDiffSchema,
        CatalogueNewEntrySchema,
        CatalogueVersionEntriesSchema,
        CatalogueVersionListSchema,
        CatalogueVersionSchema,
        DiffQuery,
        EntryBody,
        ExplainBody,
        FormatQuery,
        QueueQuery,
    )

    editor_errors = ("400", "401", "403", "422")
    return [
        Operation(
            "get",
            "/api/v1/calendar/due",
            "计算办理时限：从 start 起算若干工作日、工作小时或自然小时（三者给一个）",
            "calendar",
            query=DueQuery,
            errors=("400",),
            error_texts=(("400", CALENDAR_400),),
            secured=False,
        ),
        Operation(
            "get",
            "/api/v1/calendar/days",
            "工作日历：from 至 to 每天是否上班及原因（节假日、调休、周末），最多 366 天",
            "calendar",
            query=DaysQuery,
            errors=("400",),
            error_texts=(("400", CALENDAR_400),),
            secured=False,
        ),
        Operation(
            "get",
            "/api/v1/catalogue/versions",
            "派单目录的全部版本",
            "catalogue",
            CatalogueVersionListSchema,
        ),
        Operation(
            "post",
            "/api/v1/catalogue/versions",
            "上传派单目录表为草稿版本；有任何问题则整表不导入",
            "catalogue",
            CatalogueVersionSchema,
            "201",
            upload=True,
            errors=("400", "401", "403", "422"),
            error_texts=(
                ("400", "未以 multipart/form-data 上传字段 file（file_required）"),
                ("422", CATALOGUE_INVALID),
            ),
        ),
        Operation(
            "get",
            "/api/v1/catalogue/versions/{version_id}",
            "派单目录某一版本的条目（JSON，默认），或以 format=xlsx/csv 下载派单目录表",
            "catalogue",
            CatalogueVersionEntriesSchema,
            query=FormatQuery,
            errors=("400", "401", "403", "404"),
            error_texts=(("404", "版本不存在"),),
            downloads=(
                ("text/csv", "format=csv：UTF-8 派单目录表"),
                (
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "format=xlsx：派单目录表",
                ),
            ),
        ),
        Operation(
            "post",
            "/api/v1/catalogue/versions/{version_id}/activate",
            "启用某一版本，原启用版本随之停用；可指定生效时间：晚于当前时间则预定生效"
            "（state 为 scheduled），此前仍按原启用版本派单",
            "catalogue",
            CatalogueVersionSchema,
            body=ActivateBody,
            body_required=False,
            errors=("400", "401", "403", "404", "409", "422"),
            error_texts=(
                ("404", "版本不存在"),
                (
                    "409",
                    "启用冲突（catalogue_activation_conflict）：已启用的版本不能更改生效时间，"
                    "或已有另一版本待生效",
                ),
            ),
        ),
        Operation(
            "get",
            "/api/v1/catalogue/diff",
            "比较两个版本的派单目录：新增、删除、修改的条目",
            "catalogue",
            CatalogueDiffSchema,
            query=DiffQuery,
            errors=("400", "401", "403", "404"),
            error_texts=(("404", "版本不存在"),),
        ),
        Operation(
            "post",
            "/api/v1/catalogue/entries",
            "在启用版本基础上新增一个条目，生成新的草稿版本（如来自待派单工单的派单决定）",
            "catalogue",
            CatalogueNewEntrySchema,
            "201",
            body=EntryBody,
            errors=editor_errors,
            error_texts=(("422", CATALOGUE_INVALID + "；或 from_ticket 工单不存在"),),
        ),
        Operation(
            "post",
            "/api/v1/routing/explain",
            "解释一段诉求会如何分类与派单（命中的目录条目、主办与协办单位），不建工单",
            "catalogue",
            None,
            body=ExplainBody,
            errors=editor_errors,
            error_texts=(("422", "事项或区域编码不存在（unknown_code）"),),
        ),
        Operation(
            "get",
            "/api/v1/queue/manual",
            "待派单队列：路由无法决定、等待调度员派单的工单，特急、紧急、一般依次在前，"
            "同级最早受理的在前",
            "catalogue",
            None,
            query=QueueQuery,
            errors=("400", "401", "403"),
        ),
    ]


def operations() -> list[Operation]:
    ops = [
        Operation(
            "post",
            "/api/v1/tickets",
            "受理诉求（分诊、分类、查重、派单）",
            "tickets",
            TicketSchema,
            "201",
            body=TicketCreateSchema,
            errors=("400", "401", "403", "409", "422"),
            headers=(IDEMPOTENCY_HEADER,),
        ),
        Operation(
            "get",
            "/api/v1/tickets",
            "查询工单（游标分页）",
            "tickets",
            TicketPageSchema,
            query=TicketListQuery,
            errors=("400", "401", "403", "422"),
            error_texts=(
                (
                    "403",
                    "单位或 API key 按个人信息（电话、证件号、银行卡号、姓名、门牌等）查找工单"
                    "（personal_data_search）",
                ),
            ),
        ),
        Operation(
            "get",
            "/api/v1/tickets/{ident}",
            "工单详情与流转记录（个人信息按角色脱敏并留痕）",
            "tickets",
            TicketDetailSchema,
            errors=("401", "404"),
        ),
        Operation(
            "get",
            "/api/v1/requesters/lookup",
            "按电话查询诉求人历史工单",
            "requesters",
            LookupResultSchema,
            query=LookupQuery,
            errors=("400", "401", "403"),
        ),
        Operation(
            "post",
            "/api/v1/tickets/{ident}/requester/reveal",
            "查看保密诉求人联系方式（回访或转达，须说明理由，留痕）",
            "requesters",
            RevealResultSchema,
            body=RevealSchema,
            errors=("400", "401", "403", "404", "409"),
        ),
        Operation(
            "post",
            "/api/v1/auth/login",
            "控制台用户登录",
            "auth",
            CurrentUserSchema,
            body=LoginSchema,
            errors=("400", "401", "429"),
            secured=False,
        ),
        Operation(
            "post",
            "/api/v1/auth/logout",
            "退出登录",
            "auth",
            None,
            "204",
            errors=("403",),
            error_texts=(("403", CROSS_SITE_TEXT),),
        ),
        Operation(
            "get",
            "/api/v1/auth/me",
            "当前身份：会话登录的用户，或 API key 的集成方（id、username 为 null）",
            "auth",
            CurrentUserSchema,
            errors=("401",),
        ),
        Operation("get", "/api/v1/openapi.json", "本文档", "meta", None, secured=False, errors=()),
        Operation("get", "/api/v1/docs", "接口文档页面", "meta", None, secured=False, errors=()),
    ]
    for action in ACTIONS:
        ops.append(
            Operation(
                "post",
                f"/api/v1/tickets/{{ident}}/{action.path}",
                action.summary,
                "lifecycle",
                TicketDetailSchema,
                body=action.schema,
                errors=("400", "401", "403", "404", "409", "422"),
            )
        )
    return ops + other_operations() + reference_operations()


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", path)
    ]


def _query_parameters(components: Components, schema: type[Schema]) -> list[dict[str, Any]]:
    parameters = []
    for name, item in schema().fields.items():
        parameter: dict[str, Any] = {
            "name": item.data_key or name,
            "in": "query",
            "required": bool(item.required),
            "schema": components.field_schema(item),
        }
        parameters.append(parameter)
    return parameters


def _operation(components: Components, op: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
        "operationId": op.method + re.sub(r"\W+", "_", op.path.removeprefix("/api/v1")),
    }
    parameters = _path_parameters(op.path) + list(op.headers)
    if op.query is not None:
        parameters += _query_parameters(components, op.query)
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": op.body_required,
            "content": _json(components.ref(op.body)),
        }
    if op.upload:
        document["requestBody"] = {"required": True, "content": UPLOAD}
    success: dict[str, Any] = {"description": op.success_text}
    if op.response is not None:
        success["content"] = _json(components.ref(op.response))
    for media_type, description in op.downloads:
        success.setdefault("content", {})[media_type] = {
            "schema": {"type": "string", "format": "binary", "description": description}
        }
    responses: dict[str, Any] = {op.status: success}
    for status in op.error_statuses():
        responses[status] = {
            "description": op.error_text(status),
            "content": _json(components.ref(ErrorSchema)),
        }
    document["responses"] = responses
    if not op.secured:
        document["security"] = []
    return document


def _flask_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _other_routes(
    app: Flask, described: dict[str, Any], components: Components
) -> dict[str, dict[str, Any]]:
    """Routes other blueprints serve under /api/v1, described minimally by path."""
    found: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        path = _flask_path(rule.rule)
        if not path.startswith("/api/v1/") or path in described:
            continue
        doc = (app.view_functions[rule.endpoint].__doc__ or "").strip()
        summary = doc.splitlines()[0] if doc else rule.endpoint
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.setdefault(path, {})[method.lower()] = _minimal(
                components, path, method.lower(), summary
            )
    return found


def _minimal(
    components: Components, path: str, method: str, summary: str, tag: str | None = None
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "summary": summary,
        "tags": [tag or path.removeprefix("/api/v1/").split("/")[0]],
        "operationId": method + re.sub(r"\W+", "_", path.removeprefix("/api/v1")),
        "responses": {"200": {"description": "成功"}},
    }
    if method in STATE_CHANGING:
        document["responses"]["413"] = {
            "description": ERROR_TEXT["413"],
            "content": _json(components.ref(ErrorSchema)),
        }
    parameters = _path_parameters(path)
    if parameters:
        document["parameters"] = parameters
    return document


def build_document(app: Flask) -> dict[str, Any]:
    components = Components()
    paths: dict[str, dict[str, Any]] = {}
    for op in operations():
        paths.setdefault(op.path, {})[op.method] = _operation(components, op)
    paths.update(_other_routes(app, paths, components))
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "12345 热线工单 API",
            "version": "1.0.0",
            "description": "诉求受理、派单、办理、回访的 REST 接口。"
            "集成方使用 Bearer API key；控制台用户使用会话登录。",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.schemas.items())),
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "security": [{"apiKey": []}, {"session": []}],
    }


@blueprint.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(build_document(current_app._get_current_object()))  # type: ignore[attr-defined]


DOCS_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>12345 热线工单 API 文档</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;max-width:70rem}
h2{border-bottom:1px solid #ccc}.op{margin:.6rem 0;padding:.4rem .6rem;background:#f6f8fa}
.m{display:inline-block;width:4rem;font-weight:bold;text-transform:uppercase}
pre{background:#fff;border:1px solid #ddd;padding:.5rem;overflow:auto;font-size:.85rem}
</style></head><body>
<h1>12345 热线工单 API</h1>
<p>机器可读文档：<a href="openapi.json">openapi.json</a></p>
<div id="paths">正在加载……</div><h2>数据结构</h2><div id="schemas"></div>
<script>
// Each operation is drawn on its own: one the page cannot read shows a note, the rest still show.
function schemaName(schema) {
  if (!schema) { return ""; }
  if (schema.$ref) { return schema.$ref.split("/").pop(); }
  if (schema.properties) { return "{" + Object.keys(schema.properties).join(", ") + "}"; }
  return schema.type || "";
}
function bodyText(requestBody) {
  // Any media type (JSON, multipart/form-data...): the first one the operation lists.
  var content = requestBody.content, types = Object.keys(content);
  if (!types.length) { return ""; }
  return "请求体（" + types[0] + "）：" + schemaName(content[types[0]].schema);
}
function line(tag, className, text) {
  var node = document.createElement(tag);
  node.className = className; node.textContent = text; return node;
}
function operationDiv(path, method, op) {
  var div = document.createElement("div");
  div.className = "op";
  div.appendChild(line("span", "m", method));
  div.appendChild(line("code", "", path));
  try {
    div.appendChild(line("span", "", " — " + (op.summary || "")));
    if (op.requestBody) {
      var body = bodyText(op.requestBody);
      if (body) { div.appendChild(line("div", "", body)); }
    }
  } catch (error) {
    div.appendChild(line("div", "", "（无法显示此接口的说明：" + error.message + "）"));
  }
  return div;
}
fetch("openapi.json").then(function (r) { return r.json(); }).then(function (doc) {
  var paths = document.getElementById("paths"); paths.textContent = "";
  Object.keys(doc.paths).forEach(function (path) {
    Object.keys(doc.paths[path]).forEach(function (method) {
      paths.appendChild(operationDiv(path, method, doc.paths[path][method]));
    });
  });
  var schemas = document.getElementById("schemas");
  Object.keys(doc.components.schemas).forEach(function (name) {
    var pre = line("pre", "", JSON.stringify(doc.components.schemas[name], null, 2));
    schemas.appendChild(line("h3", "", name)); schemas.appendChild(pre);
  });
}).catch(function (error) {
  document.getElementById("paths").textContent = "文档加载失败：" + error.message;
});
</script></body></html>
"""


@blueprint.get("/docs")
def docs_page() -> Response:
    return Response(DOCS_PAGE, mimetype="text/html")
