"""The `X-Twilio-Signature` check: the exact URL Twilio requested, the parameters it signed and
the secret it signed them with, handed to the SDK's `RequestValidator`."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from flask import current_app, request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from werkzeug.datastructures import MultiDict

from hotline.proxies import forwarded, trusted_hops

log = logging.getLogger(__name__)

JSON_TYPE = "application/json"
# Characters a path keeps as they are when it is put back into a URL (werkzeug's own set).
_PATH_SAFE = "/%:@!$&'()*+,;=~"


def base_url() -> str:
    """Scheme, host and mount point of the URL Twilio calls, without a trailing slash.

    HOTLINE_PUBLIC_URL wins; otherwise X-Forwarded-* are believed only from as many proxies as
    HOTLINE_TRUSTED_PROXIES names, since anyone can send those headers.
    """
    public: str | None = current_app.config.get("PUBLIC_URL")
    if public:
        return public.rstrip("/")
    scheme, host, prefix = request.scheme, request.host, request.root_path
    hops = trusted_hops()
    if hops:
        scheme = forwarded("X-Forwarded-Proto", hops) or scheme
        forwarded_host = forwarded("X-Forwarded-Host", hops)
        if forwarded_host:
            host = forwarded_host
            port = forwarded("X-Forwarded-Port", hops)
            if port and ":" not in host:
                host = f"{host}:{port}"
        prefix = (forwarded("X-Forwarded-Prefix", hops) or "").rstrip("/") + prefix
    return f"{scheme}://{host}{quote(prefix.rstrip('/'), safe=_PATH_SAFE)}"


def below_base(path: str) -> str:
    """A path below this app's mount point, as a URL path below `base_url()`.

    A HOTLINE_PUBLIC_URL with a path is the app's whole public base, whatever prefix a proxy
    maps it to (https://gov.example.cn/12345 served as SCRIPT_NAME /hotline); one with only a
    host keeps the mount point the app is served under (https://gov.example.cn + /hotline).
    """
    path = quote(path, safe=_PATH_SAFE)
    public: str | None = current_app.config.get("PUBLIC_URL")
    mount = quote(request.root_path.rstrip("/"), safe=_PATH_SAFE)
    if public and mount and not urlsplit(public).path.strip("/"):
        path = mount + path
    return path


def signed_url() -> str:
    """The full URL Twilio signed, query string included exactly as it was sent.

    Not `request.url`: werkzeug decodes percent-escapes in it ('%E4%B8%AD' becomes '中'), and
    Twilio signs the URL as configured, still encoded.
    """
    query = request.query_string.decode("utf-8", errors="replace")
    return base_url() + below_base(request.path) + (f"?{query}" if query else "")


def signed_params() -> MultiDict[str, str] | str:
    """What Twilio signed besides the URL: every POST field with its repeats, the raw body of a
    JSON request (whose hash is the URL's bodySHA256), and nothing for a GET."""
    if request.method == "GET":
        return MultiDict()
    if request.mimetype == JSON_TYPE:
        return request.get_data(as_text=True)
    return request.form


def _secrets(settings: str | None) -> list[str]:
    """The account auth token, and first the webhook SharedKey when Twilio says it used one."""
    secrets: list[str] = []
    shared_key: str | None = current_app.config.get("TWILIO_WEBHOOK_SHARED_KEY")
    if settings and shared_key:
        secrets.append(shared_key)
    token: str | None = current_app.config.get("TWILIO_AUTH_TOKEN")
    if token:
        secrets.append(token)
    return secrets


def _loggable(url: str) -> str:
    """The checked URL for the log: the query's parameter names only, since a GET webhook carries
    the caller's number and message there."""
    base, _, query = url.partition("?")
    if not query:
        return base
    names = sorted({part.partition("=")[0] for part in query.split("&") if part})
    return f"{base}?[{','.join(names)}]"


def _refused(reason: str, url: str) -> bool:
    # Never the secret, nor the signature: the reason, and the URL it was checked against (a
    # URL differing from the one configured at Twilio is the usual cause behind a proxy).
    log.warning("Twilio signature check failed (%s); checked against %s", reason, _loggable(url))
    return False


def signature_is_valid() -> bool:
    signature = request.headers.get(SIGNATURE_HEADER, "")
    url = signed_url()
    if not signature:
        return _refused(f"no {SIGNATURE_HEADER} header", url)
    params = signed_params()
    if isinstance(params, str) and "bodySHA256" not in request.args:
        # Twilio always adds bodySHA256 to a JSON webhook; without it the body is unsigned.
        return _refused("a JSON body without bodySHA256 in the URL", url)
    settings = request.headers.get(SIGNATURE_SETTINGS_HEADER)
    algorithm = get_signature_algorithm(settings)
    secrets = _secrets(settings)
    if not secrets:
        return _refused(
            "no secret configured: TWILIO_AUTH_TOKEN is unset"
            + (", and TWILIO_WEBHOOK_SHARED_KEY too" if settings else "")
            + "; every webhook is refused",
            url,
        )
    if any(
        RequestValidator(secret).validate(url, params, signature, algorithm) for secret in secrets
    ):
        return True
    return _refused(
        "the signature matches no configured secret: a forged request, another account's"
        " token, or a URL differing from the one Twilio called",
        url,
    )
