"""The GeoReport v2 wire formats: XML (required) and JSON, W3C date-times, and the error body."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from flask import Response, current_app, request

FORMATS: Mapping[str, str] = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
MIME_TYPES = ("text/xml", "application/json")
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# The element name of each member of a list, keyed by the name of the list (the spec's names).
MEMBERS: Mapping[str, str] = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}

# W3C-NOTE-datetime shapes: a year, a year and month, a date, or a date and time to the minute
# or second, the second with "one or more digits" of fraction (.NET's round trip writes seven).
_W3C = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?P<fraction>\.\d+)?)?(?P<zone>Z|[+-]\d{2}:?\d{2})?)?)?)?"
)
# Characters XML 1.0 has no way to write, escaped or not (its Char production): most C0
# controls, lone surrogates, U+FFFE and U+FFFF. Rows stored before intake removed controls, and
# what an error echoes from a request, may hold them; one would make the document unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# An unescaped "+" in a query string arrives as a space: "…T10:15:00 08:00".
_LOST_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


class Open311Error(Exception):
    """An error answered in the spec's format: HTTP status plus one or more descriptions."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions or ("请求有误",)


def requested_format() -> str:
    """The format the path asks for (`.xml` / `.json`); XML when it names none we know."""
    fmt = (request.view_args or {}).get("fmt")
    if fmt in FORMATS:
        return str(fmt)
    suffix = request.path.rsplit(".", 1)[-1].lower() if "." in request.path else ""
    return suffix if suffix in FORMATS else "xml"


def render(
    fmt: str, root: str, body: Sequence[Any] | Mapping[str, Any], status: int = 200
) -> Response:
    """Serialise `body` under the spec's root element (XML) or as plain JSON."""
    if fmt == "json":
        text = json.dumps(body, ensure_ascii=False)
    else:
        element = ElementTree.Element(root)
        _fill(element, root, body)
        text = XML_DECLARATION + ElementTree.tostring(element, encoding="unicode")
    return Response(text, status=status, content_type=FORMATS.get(fmt, FORMATS["xml"]))


def render_errors(fmt: str, status: int, descriptions: Sequence[str]) -> Response:
    body = [{"code": status, "description": text} for text in descriptions]
    return render(fmt, "errors", body, status)


def _fill(element: ElementTree.Element, name: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), key, item)
    elif isinstance(value, list | tuple):
        member = MEMBERS.get(name, "item")
        for item in value:
            _fill(ElementTree.SubElement(element, member), member, item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, float):
        element.text = decimal_text(value)
    elif value is not None:
        element.text = xml_text(str(value))


def decimal_text(value: float) -> str:
    """A coordinate as XML clients parse decimals: 0.00001, never 1e-05."""
    text = repr(value)
    if "e" not in text and "E" not in text:
        return text
    return format(value, ".15f").rstrip("0").rstrip(".") or "0"


def xml_text(text: str) -> str:
    """`text` without the characters an XML 1.0 document cannot hold."""
    return _NOT_XML.sub("", text)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def format_datetime(value: datetime | None) -> str | None:
    """ISO 8601 in the centre's local time with its offset, e.g. 2026-11-28T10:15:00+08:00."""
    if value is None:
        return None
    return value.astimezone(local_zone()).isoformat(timespec="seconds")


def parse_datetime(text: str) -> datetime:
    """Read a W3C date-time; one without an offset is the centre's local time."""
    text = _LOST_PLUS.sub(r"\1+\2", text.strip())
    match = _W3C.fullmatch(text)
    given = text
    if match is None:
        raise ValueError(
            f"日期时间格式不正确：{text}（应为 ISO 8601，如 2026-11-28T10:15:00+08:00）"
        )
    if match["day"] is None:
        # 2026 or 2026-11: the first moment of that year or month.
        text = f"{match['year']}-{match['month'] or '01'}-01"
    elif match["fraction"]:
        # Python reads microseconds: finer digits are cut (".0000000" is .NET's round trip).
        text = text.replace(match["fraction"], match["fraction"][:7], 1)
    try:
        value = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError as error:
        raise ValueError(f"日期时间无效：{given}") from error
    if len(text) == 10:
        value = datetime.combine(value.date(), time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value
