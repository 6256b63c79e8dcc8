"""The local Twilio emulator and the signed-webhook test client (testsupport)."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode

from twilio.request_validator import RequestValidator
from twilio.rest import Client

from testsupport.twilio_client import TEST_ACCOUNT_SID, inbound_sms_params, post_webhook, signed_webhook
from testsupport.twilio_emulator import BackgroundEmulator, num_segments, running_emulator

TOKEN = "emulator-test-token"
SID_PATTERN = re.compile(r"^SM[0-9a-f]{32}$")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def send(
    emulator: BackgroundEmulator, fields: dict[str, str], password: str = TOKEN, user: str = TEST_ACCOUNT_SID
) -> tuple[int, dict[str, str], dict]:
    """POST a Messages.json call with Basic auth; returns (status, headers, JSON body)."""
    credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(
        emulator.messages_url(TEST_ACCOUNT_SID),
        data=urlencode(fields).encode(),
        headers={"Authorization": f"Basic {credentials}"},
        method="POST",
    )
    try:
        with _NO_PROXY.open(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


SMS = {"To": "+15550001111", "From": "+15550002222", "Body": "Hello from the help-line"}


def test_accepted_message_is_recorded() -> None:
    with running_emulator(auth_token=TOKEN) as emulator:
        status, _, body = send(emulator, {**SMS, "StatusCallback": "http://127.0.0.1:9/status"})

        assert status == 201
        assert SID_PATTERN.match(body["sid"])
        assert body["num_segments"] == "1"
        assert (body["status"], body["direction"]) == ("queued", "outbound-api")
        assert (body["to"], body["from"], body["body"]) == (SMS["To"], SMS["From"], SMS["Body"])
        assert body["account_sid"] == TEST_ACCOUNT_SID
        assert body["uri"].endswith(f"/Messages/{body['sid']}.json")
        [message] = emulator.wait_for_messages(1, timeout=2)
        assert (message.sid, message.to, message.from_, message.body) == (body["sid"], SMS["To"], SMS["From"], SMS["Body"])
        assert message.status_callback == "http://127.0.0.1:9/status"
        assert emulator.attempts == 1

        with _NO_PROXY.open(emulator.base_url + "/_emulator/messages", timeout=10) as response:
            listed = json.loads(response.read())
        assert [item["sid"] for item in listed["messages"]] == [body["sid"]]
        assert listed["messages"][0]["from"] == SMS["From"]

        request = urllib.request.Request(emulator.base_url + "/_emulator/messages", method="DELETE")
        with _NO_PROXY.open(request, timeout=10) as response:
            assert response.status == 204
        assert emulator.messages == []


def test_segments_follow_sms_encoding() -> None:
    assert num_segments("a" * 160) == 1
    assert num_segments("a" * 161) == 2
    assert num_segments("ä" * 70) == 1  # GSM-7 covers ä: still one segment
    assert num_segments("ж" * 71) == 2  # UCS-2: 70 per single segment, 67 per part


def test_wrong_auth_is_rejected() -> None:
    with running_emulator(auth_token=TOKEN) as emulator:
        status, _, body = send(emulator, SMS, password="not-the-token")

        assert status == 401
        assert body["code"] == 20003 and body["status"] == 401 and body["message"] == "Authenticate"
        assert emulator.messages == [] and emulator.attempts == 1


def test_missing_fields_are_rejected() -> None:
    with running_emulator(auth_token=TOKEN) as emulator:
        assert send(emulator, {"From": SMS["From"], "Body": "x"})[2]["code"] == 21604
        assert send(emulator, {"To": SMS["To"], "From": SMS["From"]})[2]["code"] == 21602
        assert emulator.messages == []


def test_injected_failures_then_success() -> None:
    with running_emulator(auth_token=TOKEN) as emulator:
        emulator.set_faults(fail_next=[500, 429])

        first, second, third = (send(emulator, SMS) for _ in range(3))

        assert (first[0], first[2]["code"]) == (500, 20500)
        assert (second[0], second[2]["code"]) == (429, 20429)
        assert second[1]["Retry-After"] == "1"
        assert third[0] == 201
        assert emulator.attempts == 3
        assert [message.sid for message in emulator.messages] == [third[2]["sid"]]


def test_faults_can_be_set_over_http() -> None:
    with running_emulator(auth_token=TOKEN) as emulator:
        request = urllib.request.Request(
            emulator.base_url + "/_emulator/faults",
            data=json.dumps({"fail_all_with": 503}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with _NO_PROXY.open(request, timeout=10) as response:
            assert json.loads(response.read())["fail_all_with"] == 503

        assert send(emulator, SMS)[0] == 503
        emulator.set_faults(fail_all_with=None)
        assert send(emulator, SMS)[0] == 201


def test_latency_is_applied() -> None:
    with running_emulator(auth_token=TOKEN) as emulator:
        emulator.set_faults(latency_ms=200)
        started = time.monotonic()
        status, _, _ = send(emulator, SMS)
        assert status == 201
        assert time.monotonic() - started >= 0.2


def test_twilio_sdk_can_send_through_the_emulator() -> None:
    with running_emulator(auth_token=TOKEN) as emulator:
        client = Client(TEST_ACCOUNT_SID, TOKEN)
        client.api.base_url = emulator.base_url

        message = client.messages.create(to=SMS["To"], from_=SMS["From"], body=SMS["Body"])

        assert SID_PATTERN.match(message.sid) and message.status == "queued"
        assert [sent.sid for sent in emulator.messages] == [message.sid]


def test_signed_webhook_validates_and_detects_tampering() -> None:
    url = "https://hotline.example.org/webhooks/twilio/webhook"
    params = inbound_sms_params("whatsapp:+15550002222", "whatsapp:+15550001111", "help", media=["https://x.test/a.png"])
    body, headers = signed_webhook(url, params, TOKEN)

    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["User-Agent"] == "TwilioProxy/1.1" and headers["I-Twilio-Idempotency-Token"]
    received = dict(parse_qsl(body.decode()))
    assert received == params
    assert SID_PATTERN.match(received["MessageSid"]) and received["SmsSid"] == received["MessageSid"]
    assert (received["WaId"], received["NumMedia"], received["MediaContentType0"]) == ("15550002222", "1", "image/png")
    validator = RequestValidator(TOKEN)
    assert validator.validate(url, received, headers["X-Twilio-Signature"])
    assert not validator.validate(url, {**received, "Body": "HELP"}, headers["X-Twilio-Signature"])
    assert not RequestValidator("other-token").validate(url, received, headers["X-Twilio-Signature"])


def _capture_server() -> tuple[ThreadingHTTPServer, list[tuple[dict[str, str], dict[str, str]]]]:
    """A local HTTP server recording (headers, form) of each POST it receives."""
    received: list[tuple[dict[str, str], dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers["Content-Length"])
            received.append((dict(self.headers), dict(parse_qsl(self.rfile.read(length).decode()))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def test_post_webhook_and_signed_status_callbacks() -> None:
    server, received = _capture_server()
    callback_url = f"http://127.0.0.1:{server.server_address[1]}/status"
    try:
        assert post_webhook(callback_url, inbound_sms_params("+15550002222", "+15550001111", "hi"), TOKEN)[0] == 204
        with running_emulator(auth_token=TOKEN, send_status_callbacks=True) as emulator:
            status, _, body = send(emulator, {**SMS, "StatusCallback": callback_url})
            assert status == 201
            deadline = time.monotonic() + 5
            while len(emulator.callback_results) < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert emulator.callback_results == [(callback_url, 204)]
    finally:
        server.shutdown()
        server.server_close()

    validator = RequestValidator(TOKEN)
    for headers, form in received:
        assert validator.validate(callback_url, form, headers["X-Twilio-Signature"])
    callback = received[-1][1]
    assert (callback["MessageSid"], callback["MessageStatus"]) == (body["sid"], "delivered")
    assert (callback["To"], callback["From"], callback["AccountSid"]) == (SMS["To"], SMS["From"], TEST_ACCOUNT_SID)
