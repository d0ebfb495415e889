"""Control characters in what people and clients send: what no column can store (refused where
a request is read) and what free text must not keep (removed at intake, whatever the channel)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_to_bytes

# C0 controls but tab, line feed and carriage return; DEL; C1 controls. NUL is one of them.
# None has a meaning in an appeal: they come from terminal pastes (ESC), broken SMS gateways
# and C strings (NUL), or mis-decoded Windows-1252 (C1), and XML 1.0 forbids most of them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_controls(text: str) -> str:
    """`text` with its control characters removed; tabs and line breaks stay."""
    return _CONTROL.sub("", text)


def unstorable(text: str) -> str | None:
    """Why the database cannot store `text` (PostgreSQL refuses NUL; lone surrogates are not
    UTF-8), or None."""
    if "\x00" in text:
        return "不能包含 NUL (\\u0000) 字符"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "包含无效的 Unicode 字符（孤立代理项）"
    return None


def find_unstorable(value: object, path: str = "") -> tuple[str, str] | None:
    """The dotted path of the first key or string anywhere in `value` that cannot be stored,
    and why; None when everything can."""
    pending: list[tuple[object, str]] = [(value, path)]
    while pending:  # iterative: a deeply nested body must not exhaust the stack here
        item, where = pending.pop()
        if isinstance(item, str):
            problem = unstorable(item)
            if problem is not None:
                return where, problem
        elif isinstance(item, dict):
            for key, child in item.items():
                # A key that is itself unstorable cannot be echoed in the path.
                label = str(key) if unstorable(str(key)) is None else "?"
                name = f"{where}.{label}" if where else label
                pending.append((key, name))
                pending.append((child, name))
        elif isinstance(item, list):
            pending.extend((child, f"{where}[{index}]") for index, child in enumerate(item))
    return None


def undecodable_parameters(raw: bytes) -> Iterable[str]:
    """The names of the parameters of a urlencoded string whose name or value is not UTF-8.

    Werkzeug decodes a query or form leniently (%FF arrives as a replacement character), so
    what a client meant cannot be known: the parameter is refused, not guessed.
    """
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            for part in (name, value):
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            label = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
            yield label if unstorable(label) is None else "?"
