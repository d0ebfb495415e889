"""The city's service area: coordinates far outside it are a mistake or another city's matter."""

from __future__ import annotations

from flask import current_app


def outside_service_area(lat: float | None, long: float | None) -> str | None:
    """Why the point cannot be this city's (None: it can, or no bounds are configured)."""
    bounds = current_app.config.get("SERVICE_AREA_BOUNDS")
    if bounds is None or lat is None or long is None:
        return None
    south, west, north, east = bounds
    if south <= lat <= north and west <= long <= east:
        return None
    return (
        f"位置（{lat}, {long}）不在本市服务范围内"
        f"（纬度 {south}～{north}，经度 {west}～{east}）；外地事项请联系当地 12345"
    )
