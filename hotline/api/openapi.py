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
    UserSchema,
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
    "413": "请求体过大",
    "415": "请求体必须是 application/json",
    "422": "违反业务规则（如未知编码 unknown_code）",
    "429": "登录失败次数过多（too_many_attempts），请按 Retry-After 稍后再试",
}


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
        for validator in item.validators:
            document.update(_validator(validator, isinstance(item, fields.List)))
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
        return {"minLength": 1, "maxLength": int(current_app.config["MAX_TEXT_LENGTH"])}
    if isinstance(validator, validate.Length):
        low, high = ("minItems", "maxItems") if is_list else ("minLength", "maxLength")
        found = {low: validator.min, high: validator.max}
        return {k: v for k, v in found.items() if v is not None}
    if isinstance(validator, validate.Range):
        found = {"minimum": validator.min, "maximum": validator.max}
        return {k: v for k, v in found.items() if v is not None}
    if isinstance(validator, validate.OneOf):
        return {"enum": list(validator.choices)}
    if isinstance(validator, validate.Regexp):
        return {"pattern": validator.regex.pattern}
    return {}


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
    errors: tuple[str, ...] = ("401", "403")
    secured: bool = True
    headers: tuple[dict[str, Any], ...] = ()
    # What an error status means here when ERROR_TEXT's generic wording does not fit.
    error_text: tuple[tuple[str, str], ...] = ()
    body_required: bool = True
    upload: bool = False  # a multipart/form-data file upload instead of a JSON body
    # Other representations of the success response (media type → description).
    downloads: tuple[tuple[str, str], ...] = ()
    success_text: str = "成功"


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


def other_operations() -> list[Operation]:
    """The calendar, catalogue, routing-explain and manual-queue endpoints (other blueprints)."""
    from hotline.calendar_api import DaysQuery, DueQuery
    from hotline.catalogue_api import (
        ActivateBody,
        DiffQuery,
        EntryBody,
        ExplainBody,
        FormatQuery,
        QueueQuery,
    )

    editor_errors = ("400", "401", "403", "413", "415", "422")
    return [
        Operation(
            "get",
            "/api/v1/calendar/due",
            "计算办理时限：从 start 起算若干工作日、工作小时或自然小时（三者给一个）",
            "calendar",
            query=DueQuery,
            errors=("400",),
            error_text=(("400", CALENDAR_400),),
            secured=False,
        ),
        Operation(
            "get",
            "/api/v1/calendar/days",
            "工作日历：from 至 to 每天是否上班及原因（节假日、调休、周末），最多 366 天",
            "calendar",
            query=DaysQuery,
            errors=("400",),
            error_text=(("400", CALENDAR_400),),
            secured=False,
        ),
        Operation("get", "/api/v1/catalogue/versions", "派单目录的全部版本", "catalogue", None),
        Operation(
            "post",
            "/api/v1/catalogue/versions",
            "上传派单目录表为草稿版本；有任何问题则整表不导入",
            "catalogue",
            None,
            "201",
            upload=True,
            errors=("400", "401", "403", "413", "422"),
            error_text=(
                ("400", "未以 multipart/form-data 上传字段 file（file_required）"),
                ("422", CATALOGUE_INVALID),
            ),
        ),
        Operation(
            "get",
            "/api/v1/catalogue/versions/{version_id}",
            "派单目录某一版本的条目（JSON），或以 format=xlsx/csv 下载派单目录表",
            "catalogue",
            None,
            query=FormatQuery,
            errors=("400", "401", "403", "404"),
            error_text=(("404", "版本不存在"),),
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
            None,
            body=ActivateBody,
            body_required=False,
            errors=("400", "401", "403", "404", "409", "413", "415", "422"),
            error_text=(
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
            None,
            query=DiffQuery,
            errors=("400", "401", "403", "404"),
            error_text=(("404", "版本不存在"),),
        ),
        Operation(
            "post",
            "/api/v1/catalogue/entries",
            "在启用版本基础上新增一个条目，生成新的草稿版本（如来自待派单工单的派单决定）",
            "catalogue",
            None,
            "201",
            body=EntryBody,
            errors=editor_errors,
            error_text=(("422", CATALOGUE_INVALID + "；或 from_ticket 工单不存在"),),
        ),
        Operation(
            "post",
            "/api/v1/routing/explain",
            "解释一段诉求会如何分类与派单（命中的目录条目、主办与协办单位），不建工单",
            "catalogue",
            None,
            body=ExplainBody,
            errors=editor_errors,
            error_text=(("422", "事项或区域编码不存在（unknown_code）"),),
        ),
        Operation(
            "get",
            "/api/v1/queue/manual",
            "待派单队列：路由无法决定、等待调度员派单的工单，最早受理的在前",
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
            errors=("400", "401", "403", "409", "413", "415", "422"),
            headers=(IDEMPOTENCY_HEADER,),
        ),
        Operation(
            "get",
            "/api/v1/tickets",
            "查询工单（游标分页）",
            "tickets",
            TicketPageSchema,
            query=TicketListQuery,
            errors=("400", "401", "422"),
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
            errors=("400", "401", "403", "404", "409", "415"),
        ),
        Operation(
            "post",
            "/api/v1/auth/login",
            "控制台用户登录",
            "auth",
            UserSchema,
            body=LoginSchema,
            errors=("400", "401", "415", "429"),
            secured=False,
        ),
        Operation("post", "/api/v1/auth/logout", "退出登录", "auth", None, "204", errors=()),
        Operation("get", "/api/v1/auth/me", "当前身份", "auth", UserSchema, errors=("401",)),
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
                errors=("400", "401", "403", "404", "409", "413", "415", "422"),
            )
        )
    return ops + other_operations()


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
    texts = dict(op.error_text)
    for status in op.errors:
        responses[status] = {
            "description": texts.get(status, ERROR_TEXT[status]),
            "content": _json(components.ref(ErrorSchema)),
        }
    document["responses"] = responses
    if not op.secured:
        document["security"] = []
    return document


def _flask_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _other_routes(app: Flask, described: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Routes other blueprints serve under /api/v1, described minimally by path."""
    found: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        path = _flask_path(rule.rule)
        if not path.startswith("/api/v1/") or path in described:
            continue
        doc = (app.view_functions[rule.endpoint].__doc__ or "").strip()
        summary = doc.splitlines()[0] if doc else rule.endpoint
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.setdefault(path, {})[method.lower()] = _minimal(path, method.lower(), summary)
    return found


def _minimal(path: str, method: str, summary: str, tag: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "summary": summary,
        "tags": [tag or path.removeprefix("/api/v1/").split("/")[0]],
        "operationId": method + re.sub(r"\W+", "_", path.removeprefix("/api/v1")),
        "responses": {"200": {"description": "成功"}},
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
    paths.update(_other_routes(app, paths))
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
fetch("openapi.json").then(function (r) { return r.json(); }).then(function (doc) {
  var paths = document.getElementById("paths"); paths.textContent = "";
  Object.keys(doc.paths).forEach(function (path) {
    Object.keys(doc.paths[path]).forEach(function (method) {
      var op = doc.paths[path][method], div = document.createElement("div");
      div.className = "op";
      var m = document.createElement("span"); m.className = "m"; m.textContent = method;
      var p = document.createElement("code"); p.textContent = path;
      var s = document.createElement("span"); s.textContent = " — " + (op.summary || "");
      div.appendChild(m); div.appendChild(p); div.appendChild(s);
      var body = op.requestBody && op.requestBody.content["application/json"].schema.$ref;
      if (body) {
        var b = document.createElement("div");
        b.textContent = "请求体：" + body.split("/").pop(); div.appendChild(b);
      }
      paths.appendChild(div);
    });
  });
  var schemas = document.getElementById("schemas");
  Object.keys(doc.components.schemas).forEach(function (name) {
    var h = document.createElement("h3"); h.textContent = name;
    var pre = document.createElement("pre");
    pre.textContent = JSON.stringify(doc.components.schemas[name], null, 2);
    schemas.appendChild(h); schemas.appendChild(pre);
  });
});
</script></body></html>
"""


@blueprint.get("/docs")
def docs_page() -> Response:
    return Response(DOCS_PAGE, mimetype="text/html")
