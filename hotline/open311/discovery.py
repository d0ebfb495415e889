"""The service discovery document: where the GeoReport v2 endpoint is and what it speaks."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, current_app, request
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Matter
from hotline.open311 import blueprint
from hotline.open311.formats import MIME_TYPES, format_datetime, render
from hotline.open311.jurisdiction import setting

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed. The changeset published is the later of this and
# the last change to a matter (a service's name, group or keywords): clients compare it to
# refresh the service list and definitions they cached.
CHANGESET = datetime(2026, 11, 1, tzinfo=UTC)


def services_changeset() -> datetime:
    services_changed: datetime | None = db.session.scalar(select(func.max(Matter.changed_at)))
    return CHANGESET if services_changed is None else max(CHANGESET, services_changed)


def endpoint_url() -> str:
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + (blueprint.url_prefix or "")


@blueprint.get("/discovery.<any(xml, json):fmt>")
def discovery(fmt: str) -> Response:
    changeset = format_datetime(services_changeset())
    body = {
        "changeset": changeset,
        "contact": setting("OPEN311_CONTACT"),
        "key_service": setting("OPEN311_KEY_SERVICE"),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url(),
                "changeset": changeset,
                "type": "production",
                "formats": list(MIME_TYPES),
            }
        ],
    }
    return render(fmt, "discovery", body)
