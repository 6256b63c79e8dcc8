"""Console pages before the work: sign-in (password, then the TOTP code; the first time, enrolment
with a QR code and a new password), sign-out, the landing redirect, health and static files."""

from __future__ import annotations

import asyncio
import functools
import re

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import audit
from bot.errors import AccountError
from console import accounts, sessions
from console.permissions import Permission
from console.shared import HERE, Console, RouteTable, form_value
from console.sign_in_throttle import TOO_MANY
from console.web import PASSWORD_ONLY, PUBLIC, SIGNED_IN, Access, Context, clear_session_cookie, set_session_cookie

STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

routes = RouteTable()


@routes.route("/console/health", Access(PUBLIC))
async def health(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    return response.json({"status": "ok"})


@routes.route("/console/static/<name>", Access(PUBLIC))
async def static(console: Console, request: Request, ctx: Context, name: str) -> HTTPResponse:
    path = HERE / "static" / name
    if not re.fullmatch(r"[a-z_]+\.(js|css)", name) or not path.is_file():
        return response.text("Not found.", status=404)
    return response.raw(path.read_bytes(), content_type=STATIC_TYPES[path.suffix])


@routes.route("/console/login", Access(PUBLIC))
async def login_page(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    return console.page("login.html", ctx, error=None)


@routes.route("/console/login", Access(PUBLIC), methods=("POST",))
async def login(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    username, address = form_value(request, "username", 64), console.client_address(request)
    if not console.throttle.attempt(address, username):  # before any hashing
        await asyncio.to_thread(audit.record, console.url, "unknown", "session.sign_in_throttled", "console", {})
        return console.page("login.html", ctx, status=429, error=TOO_MANY)
    result = await asyncio.to_thread(accounts.authenticate_password, console.url, username, form_value(request, "password", 256))
    if not result.ok or result.counselor is None:
        console.throttle.failed(address, username)
        await asyncio.to_thread(audit.record, console.url, "unknown", "session.sign_in_failed", "console", {})
        return console.page("login.html", ctx, status=401, error=result.message)
    who = result.counselor
    token = await asyncio.to_thread(sessions.start, console.url, who.id)
    await asyncio.to_thread(audit.record, console.url, who.username, "session.password_accepted", f"counselor:{who.id}", {})
    return set_session_cookie(response.redirect("/console/verify", status=303), token)


@routes.route("/console/verify", Access(PASSWORD_ONLY))
async def verify_page(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    if ctx.session.second_factor_done:
        return response.redirect("/console/", status=303)
    if not ctx.me.totp_enrolled:
        enrolment = await asyncio.to_thread(accounts.start_totp_enrolment, console.url, console.sealer, ctx.me.id)
        return console.page("enrol.html", ctx, enrolment=enrolment, error=None)
    return console.page("verify.html", ctx, error=None)


@routes.route("/console/verify", Access(PASSWORD_ONLY), methods=("POST",))
async def verify(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    code = re.sub(r"\s", "", form_value(request, "code", 16))
    if ctx.me.totp_enrolled:
        ok = await asyncio.to_thread(accounts.verify_totp, console.url, console.sealer, ctx.me.id, code)
    else:
        ok = await asyncio.to_thread(accounts.confirm_totp, console.url, console.sealer, ctx.me.id, code)
    if not ok:
        await console.record(ctx, "session.second_factor_failed", f"counselor:{ctx.me.id}")
        if not ctx.me.totp_enrolled:
            enrolment = await asyncio.to_thread(accounts.start_totp_enrolment, console.url, console.sealer, ctx.me.id)
            return console.page("enrol.html", ctx, status=401, enrolment=enrolment, error=accounts.SIGN_IN_FAILED)
        return console.page("verify.html", ctx, status=401, error=accounts.SIGN_IN_FAILED)
    token = await asyncio.to_thread(sessions.complete_second_factor, console.url, ctx.session.session_id)
    await console.record(ctx, "session.signed_in", f"counselor:{ctx.me.id}", enrolled=not ctx.me.totp_enrolled)
    return set_session_cookie(response.redirect("/console/", status=303), token)


@routes.route("/console/password", Access(PASSWORD_ONLY))
async def password_page(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    return console.page("password.html", ctx, error=None)


@routes.route("/console/password", Access(PASSWORD_ONLY), methods=("POST",))
async def change_password(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    if not ctx.session.second_factor_done:
        return response.redirect("/console/verify", status=303)
    new, again = form_value(request, "new", 256), form_value(request, "again", 256)
    if new != again:
        return console.page("password.html", ctx, status=400, error="The two new passwords differ.")
    try:
        await asyncio.to_thread(
            functools.partial(accounts.change_password, keep_session_id=ctx.session.session_id),
            console.url, ctx.me.id, form_value(request, "old", 256), new,
        )
    except AccountError as error:
        return console.page("password.html", ctx, status=400, error=str(error))
    await console.record(ctx, "counselor.password_changed", f"counselor:{ctx.me.id}")
    return response.redirect("/console/", status=303)


@routes.route("/console/logout", Access(PASSWORD_ONLY), methods=("POST",))
async def logout(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    await asyncio.to_thread(sessions.end, console.url, ctx.session.session_id)
    await console.record(ctx, "session.signed_out", f"counselor:{ctx.me.id}")
    return clear_session_cookie(response.redirect("/console/login", status=303))


@routes.route("/console/", Access(SIGNED_IN))
async def home(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    if console.guard.may(ctx.counselor, Permission.VIEW_QUEUE):
        return response.redirect("/console/queue", status=303)
    if console.guard.may(ctx.counselor, Permission.MANAGE_ACCOUNTS):
        return response.redirect("/console/admin", status=303)
    return console.page("nothing.html", ctx)
