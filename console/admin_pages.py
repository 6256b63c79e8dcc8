"""Supervision (waits, load, every conversation) and administration (accounts, opening hours,
the settings in force, the audit check)."""

from __future__ import annotations

import asyncio
import re
from typing import Any, List, Tuple

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import audit, opening_hours
from bot.config import Settings
from bot.errors import AccountError, ConfigError
from bot.handoff import queue as handoff_queue
from console import accounts, sessions
from console.permissions import Permission
from console.shared import Console, RouteTable, form_value
from console.web import SIGNED_IN, Access, Context


def settings_in_force(settings: Settings) -> List[Tuple[str, str]]:
    """What an admin may read of the settings (environment variables; secrets only as set / not set)."""
    return [
        ("HOTLINE_LANGUAGES", ", ".join(settings.languages)),
        ("HOTLINE_DEFAULT_LANGUAGE", settings.default_language),
        ("HOTLINE_DEFAULT_JURISDICTION", settings.default_jurisdiction or "not set (the bot asks)"),
        ("HOTLINE_PUBLIC_URL", settings.public_url or "not set"),
        ("TWILIO_AUTH_TOKEN", "set" if settings.twilio_auth_token else "not set (the Twilio webhook refuses everything)"),
        ("HOTLINE_HANDOFF_NOTICE_INTERVAL", f"{settings.handoff_notice_interval_s} s"),
        ("HOTLINE_SILENCE_CLOSE", f"{settings.silence_close_s} s"),
        ("HOTLINE_ROUTING_GRACE", f"{settings.routing_grace_s} s"),
        ("HOTLINE_WAIT_TARGETS", ", ".join(f"{s // 60}" for s in settings.wait_targets_s) + " min (danger first)"),
        ("HOTLINE_LONG_WAIT", f"{settings.long_wait_s // 60} min"),
        ("HOTLINE_CONSOLE_IDLE_TIMEOUT", f"{settings.console_idle_timeout_s} s"),
        ("HOTLINE_CONSOLE_MAX_SESSION", f"{settings.console_max_session_s} s"),
        ("HOTLINE_QUICK_EXIT_URL", settings.quick_exit_url),
    ]


routes = RouteTable()


@routes.route("/console/supervision", Access(SIGNED_IN, (Permission.VIEW_SUPERVISION,)))
async def supervision(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    load = await asyncio.to_thread(handoff_queue.load, console.url)
    people = {c.id: c for c in await asyncio.to_thread(accounts.list_counselors, console.url)}
    waiting = [console.row(item) for item in await asyncio.to_thread(handoff_queue.waiting, console.url)]
    assigned = [console.row(item) for item in await asyncio.to_thread(handoff_queue.assigned_to, console.url)]
    on_shift = await asyncio.to_thread(sessions.signed_in_counselors, console.url, console.guard.limits)
    await console.record(ctx, "supervision.view", "queue")
    return console.page(
        "supervision.html", ctx, load=load, people=people, waiting=waiting, assigned=assigned, on_shift=on_shift,
        over_target=sum(1 for item in waiting if item["over_target"]),
    )


# The administration page: each section shows only to those with its own permission.
ADMIN_SECTIONS = (Permission.MANAGE_ACCOUNTS, Permission.MANAGE_OPENING_HOURS, Permission.MANAGE_SETTINGS, Permission.VERIFY_AUDIT)


async def admin_page(console: Console, ctx: Context, status: int = 200, **shown: Any) -> HTTPResponse:
    sees_accounts = console.guard.may(ctx.me, Permission.MANAGE_ACCOUNTS)
    values = {
        "people": await asyncio.to_thread(accounts.list_counselors, console.url) if sees_accounts else [],
        "roles": sorted(console.rules.roles),
        "hours": await asyncio.to_thread(opening_hours.current_text, console.url, console.settings.opening_hours_file),
        "created": None,
        "error": None,
        "audit_result": None,
        "hours_error": None,
        "hours_saved": False,
        "settings_view": settings_in_force(console.settings),
    }
    return console.page("admin.html", ctx, status=status, **{**values, **shown})


@routes.route("/console/admin", Access(SIGNED_IN, ADMIN_SECTIONS))
async def admin(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    return await admin_page(console, ctx)


@routes.route("/console/admin/counselors", Access(SIGNED_IN, (Permission.MANAGE_ACCOUNTS,)), methods=("POST",))
async def add_counselor(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    try:
        created = await asyncio.to_thread(
            accounts.create_counselor,
            console.url,
            console.sealer,
            form_value(request, "username", 64),
            form_value(request, "display_name", 128),
            form_value(request, "role", 16),
            form_value(request, "languages", 64),
        )
    except AccountError as error:
        return await admin_page(console, ctx, status=400, error=str(error))
    await console.record(ctx, "counselor.add", f"counselor:{created.counselor.id}", role=created.counselor.role)
    return await admin_page(console, ctx, created=created)


@routes.route("/console/admin/counselors/<counselor_id>/<change>", Access(SIGNED_IN, (Permission.MANAGE_ACCOUNTS,)), methods=("POST",))
async def change_counselor(console: Console, request: Request, ctx: Context, counselor_id: str, change: str) -> HTTPResponse:
    target = await asyncio.to_thread(accounts.get_counselor, console.url, int(counselor_id) if counselor_id.isdigit() else -1)
    changes = {
        "disable": accounts.disable_counselor,
        "enable": accounts.enable_counselor,
        "reset-2fa": accounts.reset_second_factor,
        "reset-password": accounts.reset_password,
    }
    if target is None or change not in changes:
        return response.text("Not found.", status=404)
    try:
        result = await asyncio.to_thread(changes[change], console.url, target.username)
    except AccountError as error:
        return await admin_page(console, ctx, status=400, error=str(error))
    await console.record(ctx, "counselor." + change.replace("-", "_"), f"counselor:{target.id}")
    if isinstance(result, accounts.NewAccount):  # a new one-time password: shown once, here
        return await admin_page(console, ctx, created=result)
    return response.redirect("/console/admin", status=303)


@routes.route("/console/admin/opening-hours", Access(SIGNED_IN, (Permission.MANAGE_OPENING_HOURS,)), methods=("POST",))
async def save_opening_hours(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    text = (request.form.get("hours") if request.form else "") or ""
    if len(text) > 20_000:
        return await admin_page(console, ctx, status=413, hours_error="The opening hours are too long.")
    try:
        await asyncio.to_thread(opening_hours.save_schedules, console.url, text, ctx.me.id)
    except ConfigError as error:
        return await admin_page(console, ctx, status=400, hours=text, hours_error=str(error))
    await console.record(ctx, "opening_hours.save", "opening_hours")
    return await admin_page(console, ctx, hours_saved=True)


@routes.route("/console/admin/audit", Access(SIGNED_IN, (Permission.VERIFY_AUDIT,)))
async def verify_audit(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    head = request.args.get("head", "").strip().lower()
    if head and not re.fullmatch(r"[0-9a-f]{64}", head):
        return response.text("A head is 64 hexadecimal characters, as the last check printed it.", status=400)
    result = await asyncio.to_thread(audit.verify, console.url, head or None)
    await console.record(ctx, "audit.verify", "audit_log", ok=result.ok, with_head=bool(head))
    return await admin_page(console, ctx, audit_result=result)
