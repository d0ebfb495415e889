"""`X-Twilio-Signature` is checked against exactly what Twilio signs: the full URL it called
(query string as sent, public base, default port or not), every POST field, a JSON body's
hash, or a GET's query; with the auth token, or a webhook SharedKey when Twilio says so."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from hotline.extensions import db
from hotline.models import InboundMessage, Ticket
from tests.twilio_support import (
    AUTH_TOKEN,
    FROM_NUMBER,
    LOCAL_BASE,
    get_signed,
    post_json_signed,
    post_signed,
    sign,
)
from tests.webhooks.test_sms import APPEAL, PATH, reply_text, sms

PUBLIC = "https://12345.example.gov.cn"


def inbound_count() -> int:
    return db.session.scalar(select(func.count()).select_from(InboundMessage)) or 0


def test_a_query_string_with_percent_escapes_is_checked_as_twilio_sent_it(
    twilio_app: Flask,
) -> None:
    path = PATH + "?line=%E5%B8%82%E6%B0%91&next=https%3A%2F%2Fx.cn%2Fa%20b"
    response = post_signed(twilio_app.test_client(), path, sms())
    assert response.status_code == 200
    assert "您的诉求已受理" in reply_text(response)


def test_the_public_url_is_joined_to_the_path_and_the_query_string(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(twilio_app.config, "PUBLIC_URL", PUBLIC + "/")
    path = PATH + "?source=%E7%9F%AD%E4%BF%A1"
    response = post_signed(twilio_app.test_client(), path, sms(), signed_url=PUBLIC + path)
    assert response.status_code == 200


@pytest.mark.parametrize("signed_base", [PUBLIC, PUBLIC + ":443"])
def test_a_url_signed_with_or_without_the_default_port_is_accepted(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch, signed_base: str
) -> None:
    monkeypatch.setitem(twilio_app.config, "PUBLIC_URL", PUBLIC)
    response = post_signed(twilio_app.test_client(), PATH, sms(), signed_url=signed_base + PATH)
    assert response.status_code == 200


def forwarded_post(twilio_app: Flask) -> int:
    """A request a TLS-terminating proxy passed on, signed for the public https URL."""
    params = sms()
    response = twilio_app.test_client().post(
        PATH,
        data=params,
        headers={
            "X-Twilio-Signature": sign(PUBLIC + PATH, params),
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "12345.example.gov.cn",
        },
    )
    return response.status_code


def test_forwarded_headers_are_not_believed_unless_a_proxy_is_trusted(twilio_app: Flask) -> None:
    assert forwarded_post(twilio_app) == 403


def test_forwarded_headers_from_a_trusted_proxy_give_the_url_twilio_signed(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(twilio_app.config, "TRUSTED_PROXIES", 1)
    assert forwarded_post(twilio_app) == 200


def test_every_value_of_a_repeated_form_field_is_signed(twilio_app: Flask) -> None:
    params = MultiDict([*sms().items(), ("Tag", "b"), ("Tag", "a")])
    signature = sign("http://localhost" + PATH, params)
    client = twilio_app.test_client()
    dropped = MultiDict([*sms().items(), ("Tag", "b")])
    refused = client.post(PATH, data=dropped, headers={"X-Twilio-Signature": signature})
    assert refused.status_code == 403
    accepted = client.post(PATH, data=params, headers={"X-Twilio-Signature": signature})
    assert accepted.status_code == 200


def test_a_json_body_signed_through_its_sha256_becomes_a_ticket(twilio_app: Flask) -> None:
    response = post_json_signed(twilio_app.test_client(), PATH, sms())
    assert response.status_code == 200
    ticket = db.session.scalars(select(Ticket).where(Ticket.external_id == sms()["MessageSid"]))
    assert ticket.one().text == APPEAL


def test_a_json_body_that_does_not_match_its_sha256_is_refused(twilio_app: Flask) -> None:
    signed = json.dumps(sms(), ensure_ascii=False)
    path = f"{PATH}?bodySHA256={hashlib.sha256(signed.encode()).hexdigest()}"
    tampered = json.dumps(sms(body="别的内容"), ensure_ascii=False)
    response = twilio_app.test_client().post(
        path,
        data=tampered.encode(),
        content_type="application/json",
        headers={"X-Twilio-Signature": sign("http://localhost" + path, {})},
    )
    assert response.status_code == 403
    assert inbound_count() == 0


def test_a_json_body_without_a_sha256_in_the_url_is_refused(twilio_app: Flask) -> None:
    response = twilio_app.test_client().post(
        PATH, json=sms(), headers={"X-Twilio-Signature": sign("http://localhost" + PATH, {})}
    )
    assert response.status_code == 403


def test_a_get_webhook_is_signed_over_its_query_string(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    path = f"{PATH}?{urlencode(sms())}"
    response = get_signed(client, path)
    assert response.status_code == 200
    assert "您的诉求已受理" in reply_text(response)
    assert client.get(path, headers={"X-Twilio-Signature": sign(PATH, {})}).status_code == 403


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_an_unsigned_request_is_refused_whatever_its_content_type(
    twilio_app: Flask, content_type: str | None
) -> None:
    response = twilio_app.test_client().post(PATH, data="Body=x", content_type=content_type)
    assert response.status_code == 403


def test_a_signed_body_of_another_content_type_is_an_unsupported_media_type(
    twilio_app: Flask,
) -> None:
    response = twilio_app.test_client().post(
        PATH,
        data="MessageSid=SM1",
        content_type="text/plain",
        headers={"X-Twilio-Signature": sign("http://localhost" + PATH, {})},
    )
    assert response.status_code == 415


def shared_key_post(twilio_app: Flask, secret: str) -> int:
    settings = "key=webhooks_sharedkey_01hzexample,algorithm=HMAC_SHA256"
    params = sms()
    response = twilio_app.test_client().post(
        PATH,
        data=params,
        headers={
            "X-Twilio-Signature": sign("http://localhost" + PATH, params, secret, "HMAC_SHA256"),
            "X-Twilio-Webhooks-Signature-Settings": settings,
        },
    )
    return response.status_code


def test_a_webhook_signed_with_the_configured_shared_key_is_accepted(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(twilio_app.config, "TWILIO_WEBHOOK_SHARED_KEY", "shared-key-secret")
    assert shared_key_post(twilio_app, "shared-key-secret") == 200


def test_a_webhook_signed_with_an_unknown_shared_key_is_refused(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(twilio_app.config, "TWILIO_WEBHOOK_SHARED_KEY", "shared-key-secret")
    assert shared_key_post(twilio_app, "another-secret") == 403
    assert shared_key_post(twilio_app, AUTH_TOKEN + "x") == 403


@pytest.mark.parametrize(
    ("public", "mount", "signed"),
    [
        # A public URL with a path is the whole base, whatever prefix the proxy maps it to.
        ("https://gov.example.cn/12345", "/hotline", "https://gov.example.cn/12345"),
        ("https://gov.example.cn/hotline", "/hotline", "https://gov.example.cn/hotline"),
        # A bare host keeps the mount point the app is served under.
        ("https://gov.example.cn", "/hotline", "https://gov.example.cn/hotline"),
        ("https://gov.example.cn/", "", "https://gov.example.cn"),
    ],
)
def test_the_signed_url_and_the_callback_urls_follow_the_public_url_under_a_mount(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch, public: str, mount: str, signed: str
) -> None:
    monkeypatch.setitem(twilio_app.config, "PUBLIC_URL", public)
    params = {"CallSid": "CA" + "7" * 32, "From": "+8613800138000", "To": FROM_NUMBER}
    url = f"{signed}/webhooks/twilio/voice"
    response = twilio_app.test_client().post(
        "/webhooks/twilio/voice",
        data=params,
        headers={"X-Twilio-Signature": sign(url, params)},
        environ_overrides={"SCRIPT_NAME": mount},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert f'action="{signed}/webhooks/twilio/voice/menu"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("raw", "says"),
    [("[" * 5000 + "]" * 5000, "嵌套过深"), ('{"Body": ' + "9" * 5000 + "}", "数字位数过多")],
)
@pytest.mark.parametrize("path", [PATH, "/webhooks/twilio/voice", "/webhooks/twilio/status"])
def test_a_signed_json_body_that_is_no_document_is_a_400(
    twilio_app: Flask, path: str, raw: str, says: str
) -> None:
    url_path = f"{path}?bodySHA256={hashlib.sha256(raw.encode()).hexdigest()}"
    response = twilio_app.test_client().post(
        url_path,
        data=raw.encode(),
        content_type="application/json",
        headers={"X-Twilio-Signature": sign(LOCAL_BASE + url_path, {}, AUTH_TOKEN)},
    )
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)
    assert inbound_count() == 0
