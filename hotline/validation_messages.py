"""marshmallow's error messages in Chinese, like every other message the service gives.

Field instances copy their class's messages when they are built, so this runs on import of
`hotline` itself, before any schema class is defined.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

FIELD_MESSAGES: dict[type[fields.Field[Any]], dict[str, str]] = {
    fields.Field: {
        "required": "缺少必填字段",
        "null": "不能为空值",
        "validator_failed": "取值无效",
    },
    fields.String: {"invalid": "必须是文本", "invalid_utf8": "不是有效的 UTF-8 文本"},
    fields.Integer: {"invalid": "必须是整数"},
    fields.Number: {"invalid": "必须是数字", "too_large": "数字过大"},
    fields.Float: {"special": "不允许 NaN 或无穷大"},
    fields.Decimal: {"special": "不允许 NaN 或无穷大"},
    fields.Boolean: {"invalid": "必须是 true 或 false"},
    fields.Date: {"invalid": "必须是日期（YYYY-MM-DD）"},
    fields.Email: {"invalid": "邮箱地址格式不正确"},
    fields.Url: {"invalid": "网址格式不正确"},
    fields.List: {"invalid": "必须是列表"},
    fields.Mapping: {"invalid": "必须是对象"},
    fields.Nested: {"type": "必须是对象"},
    fields.Tuple: {"invalid": "必须是列表"},
    fields.UUID: {"invalid_uuid": "不是有效的 UUID"},
    fields.Enum: {"unknown": "必须是以下之一：{choices}"},
}
# The temporal fields (DateTime, Time) share one message with the type's name in it.
TEMPORAL_MESSAGES = {
    "invalid": "必须是 ISO 8601 时间",
    "invalid_awareness": "必须是带时区的 ISO 8601 时间",
    "format": "无法格式化为时间：{input}",
}
SCHEMA_MESSAGES = {"type": "请求内容必须是 JSON 对象", "unknown": "未知字段"}


def install() -> None:
    for cls, messages in FIELD_MESSAGES.items():
        cls.default_error_messages = {**cls.default_error_messages, **messages}
    for cls in (fields.DateTime, fields.NaiveDateTime, fields.AwareDateTime, fields.Time):
        cls.default_error_messages = {**cls.default_error_messages, **TEMPORAL_MESSAGES}
    Schema._default_error_messages = {**Schema._default_error_messages, **SCHEMA_MESSAGES}
    validate.OneOf.default_message = "必须是以下之一：{choices}"
    validate.NoneOf.default_message = "取值无效"
    validate.ContainsOnly.default_message = "只能包含以下取值：{choices}"
    validate.Equal.default_message = "必须等于 {other}"
    validate.Regexp.default_message = "格式不正确"
    validate.Email.default_message = "邮箱地址格式不正确"
    validate.URL.default_message = "网址格式不正确"
    validate.Length.message_min = "长度不能少于 {min}"
    validate.Length.message_max = "长度不能超过 {max}"
    validate.Length.message_all = "长度必须在 {min} 到 {max} 之间"
    validate.Length.message_equal = "长度必须是 {equal}"
    validate.Range.message_min = "必须{min_op} {{min}}"
    validate.Range.message_max = "必须{max_op} {{max}}"
    validate.Range.message_all = "必须{min_op} {{min}} 且{max_op} {{max}}"
    validate.Range.message_gte = "大于或等于"
    validate.Range.message_gt = "大于"
    validate.Range.message_lte = "小于或等于"
    validate.Range.message_lt = "小于"


install()
