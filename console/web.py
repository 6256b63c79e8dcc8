"""How every console route is guarded: routes are denied unless marked.

Each route is registered with :func:`Guard.route` and an :class:`Access`: public, signed in with
the password only (the second-factor and password-change pages), or fully signed in with a
permission (any of several). For a route about one conversation the permission is checked with
``assigned_to_me`` for that conversation. POSTs need the session's CSRF token. After the routes
are added, :func:`Guard.check_all_marked` refuses to start a console with an unmarked route.
Every response carries a strict Content-Security-Policy and no-store caching.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional, Sequence, Set, Tuple
from urllib.parse import urlsplit

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff import queue as handoff_queue
from bot.handoff.queue import QueueItem, QueueState
from console import sessions
from console.accounts import CounselorInfo, get_counselor
from console.permissions import Permission, Rules, allowed

PUBLIC, PASSWORD_ONLY, SIGNED_IN = "public", "password_only", "signed_in"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # (with no-referrer, Chromium sends "Origin: null" on our own forms)
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Access:
    level: str
    permissions: Tuple[Permission, ...] = ()
    about_conversation: bool = False  # the route has an ``escalation_id``; checked with assigned_to_me


@dataclass(frozen=True)
class Context:
    """Who is asking, and (for conversation routes) about which escalation."""

    signed_in: Optional[sessions.SignedIn]
    counselor: Optional[CounselorInfo]
    escalation: Optional[QueueItem] = None

    @property
    def csrf(self) -> str:
        return self.signed_in.csrf_token if self.signed_in else ""

    # What the guard has established before a handler runs, typed as present: a route that is not
    # public has a session; a fully signed-in route has the counselor; a conversation route has it.
    @property
    def session(self) -> sessions.SignedIn:
        if self.signed_in is None:
            raise LookupError("this route has no session (it is public)")
        return self.signed_in

    @property
    def me(self) -> CounselorInfo:
        if self.counselor is None:
            raise LookupError("this route has no signed-in counselor")
        return self.counselor

    @property
    def item(self) -> QueueItem:
        if self.escalation is None:
            raise LookupError("this route is not about one conversation")
        return self.escalation


Handler = Callable[..., Awaitable[HTTPResponse]]


def secured(resp: HTTPResponse) -> HTTPResponse:
    for name, value in SECURITY_HEADERS.items():
        resp.headers.setdefault(name, value)
    return resp


def refuse(status: int, text: str) -> HTTPResponse:
    return secured(response.text(text, status=status))


class Guard:
    def __init__(self, app: Sanic, database_url: str, rules: Rules, limits: sessions.SessionLimits) -> None:
        self.app = app
        self.url = database_url
        self.rules = rules
        self.limits = limits
        self._marked: Set[Callable] = set()

    def may(self, counselor: Optional[CounselorInfo], permission: Permission, assigned_to_me: Optional[bool] = None) -> bool:
        return counselor is not None and allowed(self.rules, permission, counselor.role, assigned_to_me=assigned_to_me)

    def route(self, path: str, access: Access, methods: Sequence[str] = ("GET",)) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            @functools.wraps(handler)
            async def guarded(request: Request, **params: Any) -> HTTPResponse:
                outcome = await self._admit(request, access, params)
                if isinstance(outcome, HTTPResponse):
                    return secured(outcome)
                result = await handler(request, outcome, **params)
                return secured(result) if isinstance(result, HTTPResponse) else result

            self._marked.add(guarded)
            self.app.add_route(guarded, path, methods=list(methods), name=handler.__name__)
            return guarded

        return register

    def check_all_marked(self) -> None:
        unmarked = [route.path for route in self.app.router.routes if route.handler not in self._marked]
        if unmarked:
            raise RuntimeError(f"console routes without an access rule: {unmarked}")

    async def _admit(self, request: Request, access: Access, params: Dict[str, Any]):
        if request.method == "POST" and not same_origin(request):
            return response.text("Cross-site request refused.", status=403)
        if access.level == PUBLIC:
            return Context(None, None)
        token = request.cookies.get(sessions.COOKIE)
        signed_in = await asyncio.to_thread(sessions.lookup, self.url, token, self.limits)
        if signed_in is None:
            return self._to_sign_in(request)
        counselor = await asyncio.to_thread(get_counselor, self.url, signed_in.counselor_id)
        if counselor is None or not counselor.active:
            return self._to_sign_in(request)
        if request.method == "POST":
            offered = request.headers.get("X-CSRF-Token") or (request.form.get("csrf") if request.form else None)
            if not sessions.csrf_ok(signed_in, offered):
                return response.text("The form expired. Go back, reload the page and try again.", status=403)
        if access.level == SIGNED_IN:
            if not signed_in.second_factor_done:
                return response.redirect("/console/verify", status=303)
            if counselor.must_change_password:
                return response.redirect("/console/password", status=303)
        escalation = None
        if access.about_conversation:
            try:
                escalation_id = int(params.get("escalation_id", ""))
            except ValueError:
                return response.text("Not found.", status=404)
            escalation = await asyncio.to_thread(handoff_queue.get, self.url, escalation_id)
            if escalation is None:
                return response.text("Not found.", status=404)
        if not self.permitted(counselor, access, escalation):
            return response.text("You do not have access to this.", status=403)
        return Context(signed_in, counselor, escalation)

    def permitted(self, counselor: CounselorInfo, access: Access, escalation: Optional[QueueItem]) -> bool:
        """Whether the route's permissions allow this counselor, about this escalation as it is now.

        "Assigned to me" means held now: a conversation closed, returned to the bot, put back in
        the queue or transferred is no longer its former counselor's."""
        assigned = None if escalation is None else (
            escalation.counselor_id == counselor.id and escalation.status == QueueState.WITH_COUNSELOR
        )
        return not access.permissions or any(self.may(counselor, p, assigned) for p in access.permissions)

    async def still_admitted(self, ctx: Context, access: Access) -> bool:
        """For an open stream, on every tick: the session still live, the account still active and
        the route still permitted (about the escalation as it is now); the stream ends otherwise."""
        if not await asyncio.to_thread(sessions.still_valid, self.url, ctx.session.session_id, self.limits):
            return False
        if not access.about_conversation:
            return True
        escalation = await asyncio.to_thread(handoff_queue.get, self.url, ctx.item.id)
        return escalation is not None and self.permitted(ctx.me, access, escalation)

    @staticmethod
    def _to_sign_in(request: Request) -> HTTPResponse:
        if request.method == "GET" and "text/event-stream" not in request.headers.get("accept", ""):
            return response.redirect("/console/login", status=303)
        return response.text("Sign in again.", status=401)


def same_origin(request: Request) -> bool:
    """A browser's POST names where it comes from; it must be this console (no header: not a browser form)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


def set_session_cookie(resp: HTTPResponse, token: str) -> HTTPResponse:
    resp.cookies[sessions.COOKIE] = token
    cookie = resp.cookies[sessions.COOKIE]
    cookie["httponly"] = True
    cookie["secure"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/console"
    return resp


def clear_session_cookie(resp: HTTPResponse) -> HTTPResponse:
    resp.cookies[sessions.COOKIE] = ""
    cookie = resp.cookies[sessions.COOKIE]
    cookie["max-age"] = 0
    cookie["httponly"] = True
    cookie["secure"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/console"
    return resp
