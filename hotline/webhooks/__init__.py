"""Twilio webhooks for SMS, voice and delivery status under /webhooks/twilio."""

from flask import Blueprint, Response

from hotline.webhooks.twilio_request import BadForm, plain

blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@blueprint.errorhandler(BadForm)
def _bad_form(error: BadForm) -> Response:
    return plain(400, f"Twilio 请求参数不符：{error.messages}")


# The views register themselves on the blueprint.
from hotline.webhooks import sms, status, voice  # noqa: E402, F401
