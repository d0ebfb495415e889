"""Twilio webhooks for SMS, voice and delivery status under /webhooks/twilio."""

from flask import Blueprint

blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")
