"""Local stand-in for Twilio's REST API (outbound Messages), for tests and benchmarks.

Serves ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with Twilio's auth, validation,
error bodies and Message resource, records every accepted message, and can inject latency and
failures. Control endpoints: ``GET``/``DELETE /_emulator/messages``, ``GET``/``POST /_emulator/faults``.

Use ``TwilioEmulator`` from async code, ``running_emulator()`` from synchronous tests (it runs the
server on its own event loop in a background thread), or run it standalone::

    python -m testsupport.twilio_emulator --port 8099 --auth-token X
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, Iterator

from aiohttp import BasicAuth, ClientSession, ClientTimeout, web

from testsupport.twilio_client import API_VERSION, new_sid, signed_webhook

MESSAGES_PATH = f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json"
_UNSET: Any = object()
# GSM 03.38 basic set; characters of the extension table take two septets.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")
_ERROR_MESSAGES = {
    400: "Bad Request",
    401: "Authenticate",
    404: "The requested resource was not found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class SentMessage:
    """One message the emulator accepted."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    received_at: datetime

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["from"] = data.pop("from_")
        data["received_at"] = self.received_at.isoformat()
        return data


@dataclass
class Faults:
    """Injected faults: added latency, statuses for the next calls, or a status for every call."""

    latency_ms: float = 0
    fail_next: list[int] = field(default_factory=list)
    fail_all_with: int | None = None


def num_segments(body: str) -> int:
    """How many SMS segments Twilio would bill for ``body`` (GSM-7 or UCS-2 encoding)."""
    if all(char in _GSM_BASIC or char in _GSM_EXTENDED for char in body):
        units = sum(2 if char in _GSM_EXTENDED else 1 for char in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else -(-units // multi)


def twilio_error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON error response shaped like Twilio's."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status, headers=headers)


def injected_failure(status: int) -> web.Response:
    """The response for an injected fault with HTTP ``status`` (Twilio code 20000 + status)."""
    headers = {"Retry-After": "1"} if status == 429 else None
    return twilio_error(status, 20000 + status, _ERROR_MESSAGES.get(status, "Error"), headers)


class TwilioEmulator:
    """A Twilio Messages API emulator; its state is safe to read and change from other threads."""

    def __init__(
        self,
        auth_token: str = "test-auth-token",
        account_sid: str | None = None,
        send_status_callbacks: bool = False,
    ) -> None:
        """``account_sid``, when given, is the only account accepted; otherwise any is."""
        self.auth_token = auth_token
        self.account_sid = account_sid
        self.send_status_callbacks = send_status_callbacks
        self.base_url: str | None = None
        self._lock = threading.Lock()
        self._messages: list[SentMessage] = []
        self._attempts = 0
        self._faults = Faults()
        self._callback_results: list[tuple[str, int | str]] = []
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._callback_tasks: set[asyncio.Task[None]] = set()

    # -- state -----------------------------------------------------------------------------
    @property
    def messages(self) -> list[SentMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def attempts(self) -> int:
        """Messages API calls received, failed ones included."""
        with self._lock:
            return self._attempts

    @property
    def callback_results(self) -> list[tuple[str, int | str]]:
        """(url, HTTP status or error text) for each status callback sent."""
        with self._lock:
            return list(self._callback_results)

    @property
    def faults(self) -> Faults:
        with self._lock:
            return Faults(self._faults.latency_ms, list(self._faults.fail_next), self._faults.fail_all_with)

    def set_faults(
        self, latency_ms: float = _UNSET, fail_next: list[int] = _UNSET, fail_all_with: int | None = _UNSET
    ) -> None:
        """Change the given fault settings; the others keep their values."""
        with self._lock:
            if latency_ms is not _UNSET:
                self._faults.latency_ms = float(latency_ms)
            if fail_next is not _UNSET:
                self._faults.fail_next = [int(status) for status in fail_next]
            if fail_all_with is not _UNSET:
                self._faults.fail_all_with = None if fail_all_with is None else int(fail_all_with)

    def clear(self) -> None:
        """Forget recorded messages and reset the attempt count (faults are kept)."""
        with self._lock:
            self._messages.clear()
            self._attempts = 0

    async def wait_for_messages(self, n: int, timeout: float = 5.0) -> list[SentMessage]:
        """Wait until at least ``n`` messages were accepted; raises ``TimeoutError`` otherwise."""
        deadline = time.monotonic() + timeout
        while len(messages := self.messages) < n:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"expected {n} messages, got {len(messages)} within {timeout}s")
            await asyncio.sleep(0.01)
        return messages

    # -- server ----------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(MESSAGES_PATH, self._handle_send)
        app.router.add_get("/_emulator/messages", self._handle_list)
        app.router.add_delete("/_emulator/messages", self._handle_clear)
        app.router.add_get("/_emulator/faults", self._handle_get_faults)
        app.router.add_post("/_emulator/faults", self._handle_set_faults)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving; returns the base URL, e.g. ``http://127.0.0.1:PORT``."""
        self._session = ClientSession(timeout=ClientTimeout(total=10))
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_port = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        """Finish pending status callbacks and stop serving."""
        if self._callback_tasks:
            await asyncio.wait(self._callback_tasks, timeout=5)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _authorised(self, request: web.Request, account_sid: str) -> bool:
        try:
            auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            return False
        if self.account_sid is not None and account_sid != self.account_sid:
            return False
        user_ok = auth.login == account_sid or auth.login.startswith("SK")
        return user_ok and auth.password == self.auth_token

    async def _handle_send(self, request: web.Request) -> web.Response:
        with self._lock:
            self._attempts += 1
            latency_ms = self._faults.latency_ms
            fail_with = self._faults.fail_next.pop(0) if self._faults.fail_next else self._faults.fail_all_with
        if latency_ms > 0:
            await asyncio.sleep(latency_ms / 1000)
        if fail_with is not None:
            return injected_failure(fail_with)
        account_sid = request.match_info["account_sid"]
        if not self._authorised(request, account_sid):
            return twilio_error(401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        form = await request.post()
        to, from_, body = (str(form.get(name, "")) for name in ("To", "From", "Body"))
        service_sid = str(form.get("MessagingServiceSid", "")) or None
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service_sid:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not body and "MediaUrl" not in form:
            return twilio_error(400, 21602, "Message body is required.")
        message = SentMessage(
            sid=new_sid("SM"),
            account_sid=account_sid,
            to=to,
            from_=from_,
            body=body,
            status_callback=str(form.get("StatusCallback", "")) or None,
            received_at=datetime.now(timezone.utc),
        )
        with self._lock:
            self._messages.append(message)
        if self.send_status_callbacks and message.status_callback:
            task = asyncio.create_task(self._send_status_callback(message))
            self._callback_tasks.add(task)
            task.add_done_callback(self._callback_tasks.discard)
        return web.json_response(self._resource(message, service_sid, len(form.getall("MediaUrl", []))), status=201)

    @staticmethod
    def _resource(message: SentMessage, service_sid: str | None, num_media: int) -> dict[str, Any]:
        created = format_datetime(message.received_at)
        uri = f"/{API_VERSION}/Accounts/{message.account_sid}/Messages/{message.sid}"
        return {
            "sid": message.sid,
            "account_sid": message.account_sid,
            "messaging_service_sid": service_sid,
            "to": message.to,
            "from": message.from_ or None,
            "body": message.body,
            "status": "queued",
            "num_segments": str(num_segments(message.body)),
            "num_media": str(num_media),
            "direction": "outbound-api",
            "api_version": API_VERSION,
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "date_created": created,
            "date_updated": created,
            "date_sent": None,
            "uri": f"{uri}.json",
            "subresource_uris": {"media": f"{uri}/Media.json"},
        }

    async def _send_status_callback(self, message: SentMessage) -> None:
        url = message.status_callback or ""
        params = {
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": "delivered",
            "SmsStatus": "delivered",
            "To": message.to,
            "From": message.from_,
            "AccountSid": message.account_sid,
            "ApiVersion": API_VERSION,
        }
        data, headers = signed_webhook(url, params, self.auth_token)
        assert self._session is not None
        try:
            async with self._session.post(url, data=data, headers=headers) as response:
                result: int | str = response.status
        except Exception as error:  # noqa: BLE001 - recorded for the test to inspect
            result = repr(error)
        with self._lock:
            self._callback_results.append((url, result))

    async def _handle_list(self, request: web.Request) -> web.Response:
        messages = [message.to_json() for message in self.messages]
        return web.json_response({"messages": messages, "attempts": self.attempts})

    async def _handle_clear(self, request: web.Request) -> web.Response:
        self.clear()
        return web.Response(status=204)

    async def _handle_get_faults(self, request: web.Request) -> web.Response:
        return web.json_response(asdict(self.faults))

    async def _handle_set_faults(self, request: web.Request) -> web.Response:
        try:
            changes = await request.json()
            unknown = set(changes) - {"latency_ms", "fail_next", "fail_all_with"}
            if unknown:
                raise ValueError(f"unknown fault settings: {sorted(unknown)}")
            self.set_faults(**changes)
        except (ValueError, TypeError, AttributeError) as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(asdict(self.faults))


class BackgroundEmulator:
    """A ``TwilioEmulator`` running on its own event loop in a background thread."""

    def __init__(self, emulator: TwilioEmulator, loop: asyncio.AbstractEventLoop) -> None:
        self.emulator = emulator
        self._loop = loop

    @property
    def base_url(self) -> str:
        assert self.emulator.base_url is not None
        return self.emulator.base_url

    @property
    def auth_token(self) -> str:
        return self.emulator.auth_token

    @property
    def messages(self) -> list[SentMessage]:
        return self.emulator.messages

    @property
    def attempts(self) -> int:
        return self.emulator.attempts

    @property
    def callback_results(self) -> list[tuple[str, int | str]]:
        return self.emulator.callback_results

    def messages_url(self, account_sid: str) -> str:
        return self.base_url + MESSAGES_PATH.format(account_sid=account_sid)

    def set_faults(self, **changes: Any) -> None:
        self.emulator.set_faults(**changes)

    def clear(self) -> None:
        self.emulator.clear()

    def wait_for_messages(self, n: int, timeout: float = 5.0) -> list[SentMessage]:
        future = asyncio.run_coroutine_threadsafe(self.emulator.wait_for_messages(n, timeout), self._loop)
        return future.result(timeout + 1)


@contextlib.contextmanager
def running_emulator(
    auth_token: str = "test-auth-token", host: str = "127.0.0.1", port: int = 0, **options: Any
) -> Iterator[BackgroundEmulator]:
    """Run an emulator in a background thread for the duration of the ``with`` block."""
    emulator = TwilioEmulator(auth_token=auth_token, **options)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="twilio-emulator", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(emulator.start(host, port), loop).result(10)
        yield BackgroundEmulator(emulator, loop)
    finally:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _serve_forever(args: argparse.Namespace) -> None:
    emulator = TwilioEmulator(args.auth_token, args.account_sid, args.send_status_callbacks)
    emulator.set_faults(latency_ms=args.latency_ms)
    base_url = await emulator.start(args.host, args.port)
    print(f"Twilio emulator listening on {base_url}", flush=True)
    stopped = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stopped.set)
    try:
        await stopped.wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--auth-token", default="test-auth-token")
    parser.add_argument("--account-sid", default=None, help="accept only this account (default: any)")
    parser.add_argument("--send-status-callbacks", action="store_true")
    parser.add_argument("--latency-ms", type=float, default=0)
    asyncio.run(_serve_forever(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
