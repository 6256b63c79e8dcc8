"""The counselor console: a small server-rendered web app (``hotline console``, port 5007).

Pages: sign-in (password, then the TOTP code; first sign-in changes the one-time password and
enrols the authenticator with a QR code), the live queue, one conversation (handoff summary on
top, full transcript, reply, canned responses, internal notes, transfer, back to the queue, return
to the bot, close with a wrap-up), supervision (waits and load, reassign) and administration
(accounts, opening hours, audit check). Every route is guarded (``bot.console.web``); every
opening of a transcript and every action goes to the audit log (``bot.audit``). Text from people
is always escaped (Jinja autoescape, ``textContent`` in the script); no message text is logged.

The console process also runs the queue's notices (``bot.queue_notices``) every few seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import audit, handoff_queue
from bot.config import Settings, load_settings
from bot.console import accounts, sessions
from bot.console.live import QueueWatcher, Snapshot
from bot.console.permissions import Permission, Rules, load_rules
from bot.console.web import (
    PASSWORD_ONLY,
    PUBLIC,
    SIGNED_IN,
    Access,
    Context,
    Guard,
    clear_session_cookie,
    secured,
    set_session_cookie,
)
from bot.crypto import Sealer
from bot.dialogue.nlg import Notices
from bot.errors import AccountError, ConfigError
from bot.inbox import MessageStore
from bot import opening_hours
from bot.opening_hours import current_schedules
from bot.queue_notices import sweep
from bot.storage.db import new_session
from bot.storage.models import CaseNote, utcnow

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
MAX_REPLY_CHARS = 1600
MAX_NOTE_CHARS = 4000
SWEEP_SECONDS = 5.0
SSE_SECONDS = 300.0
UNSETTLED = ("pending", "sending", "sent")  # a reply's delivery can still change
QUEUE_ROWS = 100  # the live view lists the most urgent this many; the rest are counted
OUTCOMES = {
    "information_given": "Information given",
    "referral_made": "Referral made",
    "emergency_services": "Emergency services contacted",
    "safety_plan": "Safety plan made",
    "no_response": "Person stopped answering",
    "not_trafficking": "Not a trafficking or exploitation situation",
    "other": "Other",
}
BLOCKED_EXPLANATIONS = {
    "outside WhatsApp's 24-hour reply window": "Not sent: WhatsApp only lets us answer within 24 hours of the person's last message. It is saved here; it will not be delivered unless they write again.",
    "the person replied STOP": "Not sent: the person replied STOP, so nothing may be sent until they write START.",
}
QUEUE_VIEW = Access(SIGNED_IN, (Permission.VIEW_QUEUE,))
CONVERSATION_VIEW = Access(SIGNED_IN, (Permission.VIEW_OWN_CONVERSATION, Permission.VIEW_ANY_CONVERSATION), True)


def conversation_action(permission: Permission) -> Access:
    return Access(SIGNED_IN, (permission,), True)


@dataclass
class Console:
    """What the handlers share: settings, stores, rules, templates and the live queue."""

    settings: Settings
    sealer: Sealer
    store: MessageStore
    rules: Rules
    guard: Guard
    templates: Environment
    watcher: QueueWatcher
    canned: Dict[str, List[Dict[str, str]]]

    @property
    def url(self) -> str:
        return self.settings.database_url

    def page(self, name: str, ctx: Context, status: int = 200, **values: Any) -> HTTPResponse:
        may = {p.value: self.guard.may(ctx.counselor, p) for p in Permission}
        body = self.templates.get_template(name).render(me=ctx.counselor, csrf=ctx.csrf, may=may, **values)
        return response.html(body, status=status)

    async def record(self, ctx: Context, action: str, target: str, **detail: Any) -> None:
        actor = ctx.counselor.username if ctx.counselor else "unknown"
        await asyncio.to_thread(audit.record, self.url, actor, action, target, detail)


def item_view(item: handoff_queue.QueueItem, now=None) -> Dict[str, Any]:
    view = item.as_dict(now)
    view["indicators"] = [key.replace("_", " ") for key in item.indicators]
    return view


def _form(request: Request, name: str, limit: int = 200) -> str:
    value = (request.form.get(name) if request.form else None) or ""
    return value.strip()[:limit]


def build_app(settings: Optional[Settings] = None) -> Sanic:
    settings = settings or load_settings()
    sealer = Sealer(settings.require_secret_key())
    app = Sanic("hotline_console", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    app.config.RESPONSE_TIMEOUT = SSE_SECONDS + 30
    rules = load_rules()
    guard = Guard(app, settings.database_url, rules, settings.console_idle_timeout_s)
    templates = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(default=True))
    with open(HERE / "canned_responses.yml", encoding="utf-8") as handle:
        canned = yaml.safe_load(handle) or {}
    console = Console(
        settings, sealer, MessageStore(settings.database_url, sealer), rules, guard, templates,
        QueueWatcher(settings.database_url), canned,
    )
    _add_sign_in_routes(console)
    _add_queue_routes(console)
    _add_conversation_routes(console)
    _add_admin_routes(console)
    guard.check_all_marked()

    @app.listener("after_server_start")
    async def start_background(app_: Sanic, loop) -> None:
        # Database calls run in threads. SQLite takes one writer at a time and makes the others
        # sleep and retry, so there one thread queues them without sleeping; PostgreSQL gets many.
        workers = 1 if settings.database_url.startswith("sqlite") else 32
        loop.set_default_executor(ThreadPoolExecutor(max_workers=workers, thread_name_prefix="console-db"))
        await asyncio.to_thread(handoff_queue.waiting, settings.database_url)  # migrate before serving
        app_.add_task(console.watcher.run())
        app_.add_task(_keep_queue(console))

    return app


async def _keep_queue(console: Console) -> None:
    notices = Notices(console.settings)

    def note(action: str, target: str, detail: dict) -> None:
        audit.record(console.url, "system", action, target, detail)

    while True:
        try:
            schedules = await asyncio.to_thread(current_schedules, console.url, console.settings.opening_hours_file)
            await asyncio.to_thread(sweep, console.settings, console.store, notices, schedules, note)
        except Exception:
            logger.exception("The queue sweep failed; trying again.")
        await asyncio.sleep(SWEEP_SECONDS)


# ------------------------------------------------------------------ sign-in
def _add_sign_in_routes(console: Console) -> None:
    guard, url = console.guard, console.url

    @guard.route("/console/health", Access(PUBLIC))
    async def health(request: Request, ctx: Context) -> HTTPResponse:
        return response.json({"status": "ok"})

    @guard.route("/console/static/<name>", Access(PUBLIC))
    async def static(request: Request, ctx: Context, name: str) -> HTTPResponse:
        path = HERE / "static" / name
        if not re.fullmatch(r"[a-z_]+\.(js|css)", name) or not path.is_file():
            return response.text("Not found.", status=404)
        return response.raw(path.read_bytes(), content_type=STATIC_TYPES[path.suffix])

    @guard.route("/console/login", Access(PUBLIC))
    async def login_page(request: Request, ctx: Context) -> HTTPResponse:
        return console.page("login.html", ctx, error=None)

    @guard.route("/console/login", Access(PUBLIC), methods=("POST",))
    async def login(request: Request, ctx: Context) -> HTTPResponse:
        result = await asyncio.to_thread(
            accounts.authenticate_password, url, _form(request, "username", 64), _form(request, "password", 256)
        )
        if not result.ok:
            await asyncio.to_thread(audit.record, url, "unknown", "session.sign_in_failed", "console", {})
            return console.page("login.html", ctx, status=401, error=result.message)
        token = await asyncio.to_thread(sessions.start, url, result.counselor.id)
        await asyncio.to_thread(audit.record, url, result.counselor.username, "session.password_accepted", f"counselor:{result.counselor.id}", {})
        return set_session_cookie(response.redirect("/console/verify", status=303), token)

    @guard.route("/console/verify", Access(PASSWORD_ONLY))
    async def verify_page(request: Request, ctx: Context) -> HTTPResponse:
        if ctx.signed_in.second_factor_done:
            return response.redirect("/console/", status=303)
        if not ctx.counselor.totp_enrolled:
            enrolment = await asyncio.to_thread(accounts.start_totp_enrolment, url, console.sealer, ctx.counselor.id)
            return console.page("enrol.html", ctx, enrolment=enrolment, error=None)
        return console.page("verify.html", ctx, error=None)

    @guard.route("/console/verify", Access(PASSWORD_ONLY), methods=("POST",))
    async def verify(request: Request, ctx: Context) -> HTTPResponse:
        code = re.sub(r"\s", "", _form(request, "code", 16))
        if ctx.counselor.totp_enrolled:
            ok = await asyncio.to_thread(accounts.verify_totp, url, console.sealer, ctx.counselor.id, code)
        else:
            ok = await asyncio.to_thread(accounts.confirm_totp, url, console.sealer, ctx.counselor.id, code)
        if not ok:
            await console.record(ctx, "session.second_factor_failed", f"counselor:{ctx.counselor.id}")
            if not ctx.counselor.totp_enrolled:
                enrolment = await asyncio.to_thread(accounts.start_totp_enrolment, url, console.sealer, ctx.counselor.id)
                return console.page("enrol.html", ctx, status=401, enrolment=enrolment, error=accounts.SIGN_IN_FAILED)
            return console.page("verify.html", ctx, status=401, error=accounts.SIGN_IN_FAILED)
        token = await asyncio.to_thread(sessions.complete_second_factor, url, ctx.signed_in.session_id)
        await console.record(ctx, "session.signed_in", f"counselor:{ctx.counselor.id}", enrolled=not ctx.counselor.totp_enrolled)
        return set_session_cookie(response.redirect("/console/", status=303), token)

    @guard.route("/console/password", Access(PASSWORD_ONLY))
    async def password_page(request: Request, ctx: Context) -> HTTPResponse:
        return console.page("password.html", ctx, error=None)

    @guard.route("/console/password", Access(PASSWORD_ONLY), methods=("POST",))
    async def change_password(request: Request, ctx: Context) -> HTTPResponse:
        if not ctx.signed_in.second_factor_done:
            return response.redirect("/console/verify", status=303)
        new, again = _form(request, "new", 256), _form(request, "again", 256)
        if new != again:
            return console.page("password.html", ctx, status=400, error="The two new passwords differ.")
        try:
            await asyncio.to_thread(accounts.change_password, url, ctx.counselor.id, _form(request, "old", 256), new)
        except AccountError as error:
            return console.page("password.html", ctx, status=400, error=str(error))
        await console.record(ctx, "counselor.password_changed", f"counselor:{ctx.counselor.id}")
        return response.redirect("/console/", status=303)

    @guard.route("/console/logout", Access(PASSWORD_ONLY), methods=("POST",))
    async def logout(request: Request, ctx: Context) -> HTTPResponse:
        await asyncio.to_thread(sessions.end, url, ctx.signed_in.session_id)
        await console.record(ctx, "session.signed_out", f"counselor:{ctx.counselor.id}")
        return clear_session_cookie(response.redirect("/console/login", status=303))

    @guard.route("/console/", Access(SIGNED_IN))
    async def home(request: Request, ctx: Context) -> HTTPResponse:
        if guard.may(ctx.counselor, Permission.VIEW_QUEUE):
            return response.redirect("/console/queue", status=303)
        if guard.may(ctx.counselor, Permission.MANAGE_ACCOUNTS):
            return response.redirect("/console/admin", status=303)
        return console.page("nothing.html", ctx)


# -------------------------------------------------------------------- queue
def queue_json(console: Console, ctx: Context, snapshot: Snapshot) -> str:
    """The live queue as this counselor is offered it (language routing), and their conversations,
    as JSON. The offered part is the same for everyone with the same languages: it is rendered
    and serialised once per change (and every 15 s), however many counselors watch."""
    now = utcnow()
    me = ctx.counselor

    def offered_part() -> str:
        offered = handoff_queue.offered_to(snapshot.waiting, me.languages, console.settings.routing_grace_s, now)
        return json.dumps({
            "waiting": [
                dict(item_view(item, now), in_my_language=item.language in me.languages) for item in offered[:QUEUE_ROWS]
            ],
            "total": len(offered),
            "hidden": len(snapshot.waiting) - len(offered),
        })

    everyone = console.guard.may(me, Permission.VIEW_SUPERVISION)
    mine = [item for item in snapshot.assigned if item.counselor_id == me.id]
    personal = json.dumps({
        "version": snapshot.version,
        "mine": [item_view(item, now) for item in mine],
        "others": len(snapshot.assigned) - len(mine) if everyone else None,
    })
    shared = console.watcher.shared_view(snapshot, tuple(sorted(me.languages)), offered_part)
    return personal[:-1] + ", " + shared[1:]


def _add_queue_routes(console: Console) -> None:
    guard, url = console.guard, console.url

    @guard.route("/console/queue", QUEUE_VIEW)
    async def queue_page(request: Request, ctx: Context) -> HTTPResponse:
        await console.watcher.refresh()
        view = queue_json(console, ctx, console.watcher.snapshot)
        return console.page("queue.html", ctx, queue_json=view, request_notice=request.args.get("notice", ""))

    @guard.route("/console/queue/events", QUEUE_VIEW)
    async def queue_events(request: Request, ctx: Context):
        stream = await request.respond(content_type="text/event-stream; charset=utf-8",
                                       headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        deadline = asyncio.get_running_loop().time() + SSE_SECONDS
        seen = -1
        await stream.send("retry: 1000\n\n")
        while asyncio.get_running_loop().time() < deadline:
            # a change, or every 15 s anyway: waits grow, and language routing opens with time
            snapshot = await console.watcher.changed_since(seen, timeout=15.0)
            seen = snapshot.version
            await stream.send(f"event: queue\ndata: {queue_json(console, ctx, snapshot)}\n\n")
        await stream.eof()

    @guard.route("/console/queue/next", Access(SIGNED_IN, (Permission.CLAIM,)), methods=("POST",))
    async def take_next(request: Request, ctx: Context) -> HTTPResponse:
        me = ctx.counselor
        taken = await asyncio.to_thread(
            handoff_queue.claim_next, url, me.id, me.languages, console.settings.routing_grace_s
        )
        if taken is None:
            return response.redirect("/console/queue?notice=empty", status=303)
        await console.record(ctx, "conversation.claim", f"escalation:{taken}", how="next")
        return response.redirect(f"/console/conversations/{taken}", status=303)

    @guard.route("/console/conversations/<escalation_id>/preview", Access(SIGNED_IN, (Permission.VIEW_QUEUE,), True))
    async def preview(request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
        if ctx.escalation.status != handoff_queue.QUEUED and not guard.may(ctx.counselor, Permission.VIEW_ANY_CONVERSATION):
            return response.text("This conversation is no longer waiting.", status=403)
        summary = await asyncio.to_thread(handoff_queue.summary_of, url, ctx.escalation.id)
        await console.record(ctx, "conversation.preview", f"escalation:{ctx.escalation.id}")
        return console.page("preview.html", ctx, item=item_view(ctx.escalation), summary=summary)

    @guard.route("/console/conversations/<escalation_id>/claim", Access(SIGNED_IN, (Permission.CLAIM,), True), methods=("POST",))
    async def claim(request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
        if not await asyncio.to_thread(handoff_queue.claim, url, ctx.escalation.id, ctx.counselor.id):
            return response.redirect("/console/queue?notice=taken", status=303)
        await console.record(ctx, "conversation.claim", f"escalation:{ctx.escalation.id}")
        return response.redirect(f"/console/conversations/{ctx.escalation.id}", status=303)


# ------------------------------------------------------------- conversation
def delivery_text(status: str, error: Optional[str]) -> str:
    """How a reply's delivery reads in the transcript."""
    if status in ("failed", "undelivered", "suppressed"):
        return f"Not delivered: {error or status}"
    return {"pending": "Sending…", "sending": "Sending…", "sent": "Sent", "delivered": "Delivered"}.get(status, status)


def _transcript(console: Console, item: handoff_queue.QueueItem, after_in: int = 0, after_out: int = 0) -> List[Dict[str, Any]]:
    entries = console.store.transcript(item.conversation_id, after_in, after_out, limit=1000, unsent=True)
    return [
        {
            "kind": entry["kind"], "in": entry["id"] if entry["kind"] == "person" else None,
            "out": entry["id"] if entry["kind"] != "person" else None, "at": entry["at"].strftime("%Y-%m-%d %H:%M:%S UTC"),
            "text": entry["text"], "status": entry["status"], "error": entry["error"],
            "delivery": delivery_text(entry["status"], entry["error"]) if entry["kind"] != "person" else "",
            "media": [item.get("content_type") or "attachment" for item in entry["media"]],
        }
        for entry in entries
    ]


def _notes(console: Console, escalation_id: int) -> List[Dict[str, Any]]:
    names = {info.id: info.display_name for info in accounts.list_counselors(console.url)}
    with new_session(console.url) as session:
        rows = session.query(CaseNote).filter(CaseNote.escalation_id == escalation_id).order_by(CaseNote.id).all()
        return [
            {"by": names.get(row.counselor_id, "?"), "at": row.created_at.strftime("%Y-%m-%d %H:%M"), "text": console.sealer.open(row.body_sealed)}
            for row in rows
        ]


def _add_conversation_routes(console: Console) -> None:
    guard, url, store = console.guard, console.url, console.store

    @guard.route("/console/conversations/<escalation_id>", CONVERSATION_VIEW)
    async def conversation(request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
        item = ctx.escalation
        summary = await asyncio.to_thread(handoff_queue.summary_of, url, item.id)
        transcript = await asyncio.to_thread(_transcript, console, item)
        notes = await asyncio.to_thread(_notes, console, item.id)
        colleagues = [c for c in await asyncio.to_thread(accounts.list_counselors, url)
                      if c.active and c.id != ctx.counselor.id and guard.may(c, Permission.CLAIM)]
        colleagues.sort(key=lambda c: (item.language not in c.languages, c.display_name))
        await console.record(ctx, "conversation.open_transcript", f"escalation:{item.id}")
        mine = item.counselor_id == ctx.counselor.id and item.status == handoff_queue.WITH_COUNSELOR
        notice = BLOCKED_EXPLANATIONS.get(request.args.get("blocked", ""), None)
        if request.args.get("blocked") and notice is None:
            notice = "Not sent: the person erased their data or cannot be reached on their channel."
        return console.page(
            "conversation.html", ctx, item=item_view(item), summary=summary, transcript=transcript, notes=notes,
            colleagues=colleagues, mine=mine, canned=console.canned.get(item.language) or console.canned.get("en", []),
            outcomes=OUTCOMES, notice=notice,
            cursor=json.dumps({"in": max([e["in"] or 0 for e in transcript] or [0]), "out": max([e["out"] or 0 for e in transcript] or [0])}),
        )

    @guard.route("/console/conversations/<escalation_id>/events", CONVERSATION_VIEW)
    async def conversation_events(request: Request, ctx: Context, escalation_id: str):
        """New transcript entries as they come (the person's messages, replies and their delivery)."""
        try:
            after_in, after_out = (int(part) for part in request.args.get("after", "0:0").split(":"))
        except ValueError:
            after_in, after_out = 0, 0
        stream = await request.respond(content_type="text/event-stream; charset=utf-8",
                                       headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        loop = asyncio.get_running_loop()
        deadline, last_sent = loop.time() + SSE_SECONDS, loop.time()
        # replies whose delivery may still change (sending, sent -> delivered or failed), and their state
        watched: Dict[int, Tuple[str, Optional[str]]] = {}
        if after_out:
            recent = await asyncio.to_thread(_transcript, console, ctx.escalation, 0, max(0, after_out - 50))
            watched = {e["out"]: (e["status"], e["error"]) for e in recent if e["out"] and e["status"] in UNSETTLED}
        await stream.send("retry: 1000\n\n")
        while loop.time() < deadline:
            for entry in await asyncio.to_thread(_transcript, console, ctx.escalation, after_in, after_out):
                after_in, after_out = entry["in"] or after_in, entry["out"] or after_out
                if entry["out"] and entry["status"] in UNSETTLED:
                    watched[entry["out"]] = (entry["status"], entry["error"])
                await stream.send(f"event: entry\ndata: {json.dumps(entry, ensure_ascii=False)}\n\n")
                last_sent = loop.time()
            for out, state in (await asyncio.to_thread(store.delivery_states, list(watched))).items():
                if state != watched[out]:
                    watched[out] = state
                    change = {"out": out, "status": state[0], "delivery": delivery_text(*state)}
                    await stream.send(f"event: delivery\ndata: {json.dumps(change, ensure_ascii=False)}\n\n")
                    last_sent = loop.time()
                if state[0] not in UNSETTLED:
                    del watched[out]
            current = await asyncio.to_thread(handoff_queue.get, url, ctx.escalation.id)
            if current is None or current.status != ctx.escalation.status or current.counselor_id != ctx.escalation.counselor_id:
                await stream.send("event: state\ndata: {}\n\n")  # the page reloads to show the new state
                break
            if loop.time() - last_sent > 15:
                await stream.send(": keep-alive\n\n")
                last_sent = loop.time()
            await asyncio.sleep(0.5)
        await stream.eof()

    @guard.route("/console/conversations/<escalation_id>/reply", conversation_action(Permission.REPLY), methods=("POST",))
    async def reply(request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
        text = _form(request, "text", MAX_REPLY_CHARS + 1)
        item = ctx.escalation
        if not text or len(text) > MAX_REPLY_CHARS or item.status != handoff_queue.WITH_COUNSELOR:
            return response.text(f"Write 1 to {MAX_REPLY_CHARS} characters, in an open conversation.", status=400)
        result = await asyncio.to_thread(store.queue_outbound, item.conversation_id, text, "counselor", ctx.counselor.id)
        await console.record(ctx, "conversation.reply", f"escalation:{item.id}", parts=len(result.ids), sent=result.blocked is None)
        if result.blocked:
            reason = result.blocked if result.blocked in BLOCKED_EXPLANATIONS else "unreachable"
            from urllib.parse import quote

            return response.redirect(f"/console/conversations/{item.id}?blocked={quote(reason)}", status=303)
        return response.redirect(f"/console/conversations/{item.id}", status=303)

    @guard.route("/console/conversations/<escalation_id>/notes", conversation_action(Permission.ADD_NOTE), methods=("POST",))
    async def add_note(request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
        text = _form(request, "text", MAX_NOTE_CHARS)
        if not text:
            return response.text("Write the note first.", status=400)

        def save() -> None:
            with new_session(url) as session:
                session.add(CaseNote(escalation_id=ctx.escalation.id, counselor_id=ctx.counselor.id, body_sealed=console.sealer.seal(text)))
                session.commit()

        await asyncio.to_thread(save)
        await console.record(ctx, "conversation.note", f"escalation:{ctx.escalation.id}")
        return response.redirect(f"/console/conversations/{ctx.escalation.id}", status=303)

    @guard.route("/console/conversations/<escalation_id>/transfer", conversation_action(Permission.TRANSFER), methods=("POST",))
    async def transfer(request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
        return await _hand_over(console, request, ctx, "transfer")

    @guard.route("/console/conversations/<escalation_id>/reassign", conversation_action(Permission.REASSIGN), methods=("POST",))
    async def reassign(request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
        return await _hand_over(console, request, ctx, "reassign")

    @guard.route("/console/conversations/<escalation_id>/return", conversation_action(Permission.RETURN_TO_BOT), methods=("POST",))
    async def return_to_bot(request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
        if not await asyncio.to_thread(handoff_queue.return_to_bot, url, ctx.escalation.id):
            return response.text("This conversation is no longer open.", status=409)
        await console.record(ctx, "conversation.return_to_bot", f"escalation:{ctx.escalation.id}")
        return response.redirect("/console/queue?notice=returned", status=303)

    @guard.route("/console/conversations/<escalation_id>/close", conversation_action(Permission.CLOSE), methods=("POST",))
    async def close(request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
        outcome = _form(request, "outcome", 32)
        if outcome not in OUTCOMES:
            return response.text("Choose an outcome.", status=400)
        wrapup = {
            "outcome": outcome,
            "referral": _form(request, "referral", 200),
            "follow_up": _form(request, "follow_up", 8) == "yes",
            "by": ctx.counselor.id,
        }
        if not await asyncio.to_thread(handoff_queue.close, url, ctx.escalation.id, wrapup):
            return response.text("This conversation is no longer open.", status=409)
        await console.record(ctx, "conversation.close", f"escalation:{ctx.escalation.id}", outcome=outcome, follow_up=wrapup["follow_up"])
        return response.redirect("/console/queue?notice=closed", status=303)


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
        ("HOTLINE_CONSOLE_IDLE_TIMEOUT", f"{settings.console_idle_timeout_s} s"),
        ("HOTLINE_QUICK_EXIT_URL", settings.quick_exit_url),
    ]


async def _hand_over(console: Console, request: Request, ctx: Context, action: str) -> HTTPResponse:
    """Transfer (own conversation) or reassign (supervisor): to a colleague, or back to the queue."""
    target = _form(request, "to", 16)
    item = ctx.escalation
    if target == "queue":
        moved = await asyncio.to_thread(handoff_queue.back_to_queue, console.url, item.id)
        detail: Dict[str, Any] = {"to": "queue"}
    else:
        colleague = await asyncio.to_thread(accounts.get_counselor, console.url, int(target) if target.isdigit() else -1)
        if colleague is None or not colleague.active or not console.guard.may(colleague, Permission.CLAIM):
            return response.text("Choose a colleague who can take conversations.", status=400)
        moved = await asyncio.to_thread(handoff_queue.transfer, console.url, item.id, colleague.id)
        detail = {"to": f"counselor:{colleague.id}"}
    if not moved:
        return response.text("This conversation is no longer open.", status=409)
    await console.record(ctx, f"conversation.{action}", f"escalation:{item.id}", **detail)
    if console.guard.may(ctx.counselor, Permission.VIEW_ANY_CONVERSATION):
        return response.redirect(f"/console/conversations/{item.id}", status=303)
    return response.redirect("/console/queue?notice=transferred", status=303)


# ---------------------------------------------------- supervision and admin
def _add_admin_routes(console: Console) -> None:
    guard, url = console.guard, console.url

    @guard.route("/console/supervision", Access(SIGNED_IN, (Permission.VIEW_SUPERVISION,)))
    async def supervision(request: Request, ctx: Context) -> HTTPResponse:
        load = await asyncio.to_thread(handoff_queue.load, url)
        people = {c.id: c for c in await asyncio.to_thread(accounts.list_counselors, url)}
        waiting = [item_view(item) for item in await asyncio.to_thread(handoff_queue.waiting, url)]
        assigned = [item_view(item) for item in await asyncio.to_thread(handoff_queue.assigned_to, url)]
        await console.record(ctx, "supervision.view", "queue")
        return console.page("supervision.html", ctx, load=load, people=people, waiting=waiting, assigned=assigned)

    async def admin_page(ctx: Context, status: int = 200, **shown: Any) -> HTTPResponse:
        values = {
            "people": await asyncio.to_thread(accounts.list_counselors, url),
            "roles": sorted(console.rules.roles),
            "hours": await asyncio.to_thread(opening_hours.current_text, url, console.settings.opening_hours_file),
            "created": None, "error": None, "audit_result": None, "hours_error": None, "hours_saved": False,
            "settings_view": settings_in_force(console.settings),
        }
        return console.page("admin.html", ctx, status=status, **{**values, **shown})

    @guard.route("/console/admin", Access(SIGNED_IN, (Permission.MANAGE_ACCOUNTS,)))
    async def admin(request: Request, ctx: Context) -> HTTPResponse:
        return await admin_page(ctx)

    @guard.route("/console/admin/counselors", Access(SIGNED_IN, (Permission.MANAGE_ACCOUNTS,)), methods=("POST",))
    async def add_counselor(request: Request, ctx: Context) -> HTTPResponse:
        try:
            created = await asyncio.to_thread(
                accounts.create_counselor, url, console.sealer, _form(request, "username", 64),
                _form(request, "display_name", 128), _form(request, "role", 16), _form(request, "languages", 64),
            )
        except AccountError as error:
            return await admin_page(ctx, status=400, error=str(error))
        await console.record(ctx, "counselor.add", f"counselor:{created.counselor.id}", role=created.counselor.role)
        return await admin_page(ctx, created=created)

    @guard.route("/console/admin/counselors/<counselor_id>/<change>", Access(SIGNED_IN, (Permission.MANAGE_ACCOUNTS,)), methods=("POST",))
    async def change_counselor(request: Request, ctx: Context, counselor_id: str, change: str) -> HTTPResponse:
        target = await asyncio.to_thread(accounts.get_counselor, url, int(counselor_id) if counselor_id.isdigit() else -1)
        changes = {
            "disable": accounts.disable_counselor,
            "enable": accounts.enable_counselor,
            "reset-2fa": accounts.reset_second_factor,
            "reset-password": accounts.reset_password,
        }
        if target is None or change not in changes:
            return response.text("Not found.", status=404)
        try:
            result = await asyncio.to_thread(changes[change], url, target.username)
        except AccountError as error:
            return await admin_page(ctx, status=400, error=str(error))
        await console.record(ctx, "counselor." + change.replace("-", "_"), f"counselor:{target.id}")
        if isinstance(result, accounts.NewAccount):  # a new one-time password: shown once, here
            return await admin_page(ctx, created=result)
        return response.redirect("/console/admin", status=303)

    @guard.route("/console/admin/opening-hours", Access(SIGNED_IN, (Permission.MANAGE_OPENING_HOURS,)), methods=("POST",))
    async def save_opening_hours(request: Request, ctx: Context) -> HTTPResponse:
        text = (request.form.get("hours") if request.form else "") or ""
        if len(text) > 20_000:
            return await admin_page(ctx, status=413, hours_error="The opening hours are too long.")
        try:
            await asyncio.to_thread(opening_hours.save_schedules, url, text, ctx.counselor.id)
        except ConfigError as error:
            return await admin_page(ctx, status=400, hours=text, hours_error=str(error))
        await console.record(ctx, "opening_hours.save", "opening_hours")
        return await admin_page(ctx, hours_saved=True)

    @guard.route("/console/admin/audit", Access(SIGNED_IN, (Permission.VERIFY_AUDIT,)))
    async def verify_audit(request: Request, ctx: Context) -> HTTPResponse:
        result = await asyncio.to_thread(audit.verify, url)
        await console.record(ctx, "audit.verify", "audit_log", ok=result.ok)
        return await admin_page(ctx, audit_result=result)


def serve(host: str, port: int) -> None:
    """Run the console until interrupted (no access log: URLs and timing are enough to profile people)."""
    build_app(load_settings()).run(host=host, port=port, workers=1, access_log=False, motd=False)


__all__ = ["build_app", "serve", "secured"]
