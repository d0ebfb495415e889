"""Parameters refused before any Open311 view reads them: bytes that are not UTF-8 and characters
no column can store, each a 400 in the spec's shape naming the parameter, on every database."""

from __future__ import annotations

from flask import request

from hotline import json_documents
from hotline.control_characters import find_unstorable, undecodable_parameters
from hotline.open311 import blueprint
from hotline.open311.formats import Open311Error

FORM_TYPE = "application/x-www-form-urlencoded"
MULTIPART_TYPE = "multipart/form-data"
REPLACEMENT = "\ufffd"
# The catch-all answering unserved paths: its path is not a parameter.
UNKNOWN_PATH = "open311.unknown"


@blueprint.before_request
def refuse_unreadable_parameters() -> None:
    """Werkzeug decodes a form or query leniently: %FF arrives as the three characters "%FF",
    and would be stored so. NUL would reach the database, which PostgreSQL refuses (SQLite
    does not), so the answer must not depend on which database runs."""
    if request.endpoint == UNKNOWN_PATH:
        return
    encoded = [request.query_string]
    if request.method == "POST" and request.mimetype == FORM_TYPE:
        encoded.append(request.get_data(cache=True))  # cached: the form is parsed from it later
    undecodable = [name for raw in encoded for name in undecodable_parameters(raw)]
    if request.method == "POST" and request.mimetype == MULTIPART_TYPE:
        # Werkzeug decodes a multipart field's bytes with replacement characters; no citizen
        # types U+FFFD, so one there is a byte that was not UTF-8.
        undecodable += [
            name if REPLACEMENT not in name else "?"
            for name, value in request.form.items(multi=True)
            if REPLACEMENT in name or REPLACEMENT in value
        ]
    if undecodable:
        raise Open311Error(400, *(f"{name}：参数值不是有效的 UTF-8 编码" for name in undecodable))
    given: list[tuple[str, object]] = [*(request.view_args or {}).items()]
    given += request.args.items(multi=True)
    if request.method == "POST":
        given += request.form.items(multi=True)
        try:
            body = json_documents.request_object() if request.is_json else None
        except json_documents.UnreadableJson as error:
            raise Open311Error(400, error.message) from None
        if body is not None:
            given += body.items()
    for name, value in given:
        found = find_unstorable({name: value})
        if found is not None:
            raise Open311Error(400, "：".join(found))
