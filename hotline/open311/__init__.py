"""Open311 GeoReport v2 under /open311/v2."""

from flask import Blueprint

blueprint = Blueprint("open311", __name__, url_prefix="/open311/v2")

# The views register themselves on the blueprint; imported last because they import it.
from hotline.open311 import (  # noqa: E402, F401
    discovery,
    encoding,
    errors,
    service_requests,
    services,
)
