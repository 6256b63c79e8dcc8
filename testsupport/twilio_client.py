"""Send webhooks to the bot exactly as Twilio does (signed form posts), for tests and benchmarks.

``inbound_sms_params`` builds the fields Twilio posts for an inbound SMS or WhatsApp message,
``signed_webhook`` encodes them and adds Twilio's headers (including ``X-Twilio-Signature``),
and ``post_webhook`` / ``post_webhook_async`` deliver them.
"""

from __future__ import annotations

import mimetypes
import secrets
import urllib.error
import urllib.request
import uuid
from typing import Dict, Mapping, Sequence, Union
from urllib.parse import urlencode

import aiohttp
from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"

# A media item is a URL (content type guessed from it) or a (url, content_type) pair.
Media = Union[str, tuple[str, str]]


def new_sid(prefix: str) -> str:
    """A random Twilio-style SID: two-letter prefix and 32 hex digits."""
    return prefix + secrets.token_hex(16)


# An obviously fake account SID (all zeros), built at run time so it never looks like a real one.
TEST_ACCOUNT_SID = "AC" + "0" * 32


def channel_environment(api_url: str, auth_token: str, public_url: str) -> Dict[str, str]:
    """The settings that point the Twilio channel at a local emulator instead of Twilio."""
    return {
        "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": auth_token,
        "HOTLINE_TWILIO_API_URL": api_url,
        "HOTLINE_PUBLIC_URL": public_url,
    }


def signed_webhook(
    url: str, params: Mapping[str, object], auth_token: str
) -> tuple[bytes, dict[str, str]]:
    """The form-encoded body and the headers Twilio would send when posting ``params`` to ``url``."""
    fields = {name: str(value) for name, value in params.items()}
    signature = RequestValidator(auth_token).compute_signature(url, fields)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        "User-Agent": "TwilioProxy/1.1",
        "Accept": "*/*",
    }
    return urlencode(fields).encode("utf-8"), headers


def inbound_sms_params(
    from_: str,
    to: str,
    body: str,
    message_sid: str | None = None,
    account_sid: str = TEST_ACCOUNT_SID,
    media: Sequence[Media] = (),
    profile_name: str = "Test User",
) -> dict[str, str]:
    """The fields Twilio posts to a messaging webhook for one inbound SMS or WhatsApp message."""
    sid = message_sid or new_sid("SM")
    params = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": str(len(media)),
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": API_VERSION,
    }
    for index, item in enumerate(media):
        url, content_type = (item, None) if isinstance(item, str) else item
        params[f"MediaUrl{index}"] = url
        params[f"MediaContentType{index}"] = (
            content_type or mimetypes.guess_type(url)[0] or "image/jpeg"
        )
    if from_.startswith("whatsapp:"):
        params["ProfileName"] = profile_name
        params["WaId"] = from_.removeprefix("whatsapp:").lstrip("+")
    return params


def post_webhook(
    url: str,
    params: Mapping[str, object],
    auth_token: str,
    timeout: float = 10,
    signature_url: str | None = None,
) -> tuple[int, str]:
    """POST a signed webhook with urllib; returns (status, body text), also for error statuses.

    ``signature_url`` is the public URL Twilio would sign, when it differs from ``url``
    (e.g. behind a reverse proxy). Environment proxies are ignored: targets are local.
    """
    data, headers = signed_webhook(signature_url or url, params, auth_token)
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


async def post_webhook_async(
    url: str,
    params: Mapping[str, object],
    auth_token: str,
    timeout: float = 10,
    signature_url: str | None = None,
    session: aiohttp.ClientSession | None = None,
) -> tuple[int, str]:
    """Like ``post_webhook`` but with aiohttp; reuses ``session`` when given."""
    data, headers = signed_webhook(signature_url or url, params, auth_token)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    own_session = session is None
    session = session or aiohttp.ClientSession()
    try:
        async with session.post(url, data=data, headers=headers, timeout=client_timeout) as response:
            return response.status, await response.text()
    finally:
        if own_session:
            await session.close()
