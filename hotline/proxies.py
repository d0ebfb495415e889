"""What our trusted reverse proxies tell us about a request: X-Forwarded-* read as ProxyFix
reads them, believed only from as many proxies as HOTLINE_TRUSTED_PROXIES names."""

from __future__ import annotations

from flask import current_app, request


def trusted_hops() -> int:
    """How many proxies in front of the app set X-Forwarded-*; 0 when none is trusted."""
    return int(current_app.config.get("TRUSTED_PROXIES") or 0)


def forwarded(name: str, hops: int) -> str | None:
    """The value set by the outermost of our `hops` trusted proxies; anyone can send the
    header, so the values a client put before our proxies appended theirs are ignored."""
    values = [v.strip() for v in request.headers.get(name, "").split(",") if v.strip()]
    return values[-hops] if len(values) >= hops else None
