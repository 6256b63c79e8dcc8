"""The live queue page: what waits (as this counselor is offered it, with the words that put
each request where it is and its wait against the line's target), their own conversations, the
server-sent event stream that keeps it current, preview, take and take-the-next, and whether a
new danger is announced with a sound."""

from __future__ import annotations

import asyncio
import json

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff import queue as handoff_queue
from bot.storage.models import utcnow
from console import accounts
from console.live import Snapshot
from console.permissions import Permission
from console.shared import SSE_SECONDS, STREAM_CHECK_SECONDS, Console, RouteTable, form_value
from console.summary import summary_view
from console.web import SIGNED_IN, Access, Context

QUEUE_VIEW = Access(SIGNED_IN, (Permission.VIEW_QUEUE,))
QUEUE_ROWS = 100  # the live view lists the most urgent this many; the rest are counted


def queue_json(console: Console, ctx: Context, snapshot: Snapshot) -> str:
    """The live queue as this counselor is offered it (language routing), and their conversations,
    as JSON. The offered part is the same for everyone with the same languages: it is rendered
    and serialised once per change (and every 15 s), however many counselors watch."""
    now = utcnow()
    me = ctx.me

    def offered_part() -> str:
        offered = handoff_queue.offered_to(snapshot.waiting, me.languages, console.settings.routing_grace_s, now)
        return json.dumps(
            {
                "waiting": [dict(console.row(item, now), in_my_language=item.language in me.languages) for item in offered[:QUEUE_ROWS]],
                "total": len(offered),
                "hidden": len(snapshot.waiting) - len(offered),
            }
        )

    everyone = console.guard.may(me, Permission.VIEW_SUPERVISION)
    mine = [item for item in snapshot.assigned if item.counselor_id == me.id]
    personal = json.dumps(
        {
            "version": snapshot.version,
            "mine": [console.row(item, now) for item in mine],
            "alert_sound": me.alert_sound,
            "others": len(snapshot.assigned) - len(mine) if everyone else None,
        }
    )
    shared = console.watcher.shared_view(snapshot, tuple(sorted(me.languages)), offered_part)
    return personal[:-1] + ", " + shared[1:]


routes = RouteTable()


@routes.route("/console/queue", QUEUE_VIEW)
async def queue_page(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    await console.watcher.refresh()
    view = queue_json(console, ctx, console.watcher.snapshot)
    return console.page("queue.html", ctx, queue_json=view, request_notice=request.args.get("notice", ""))


@routes.route("/console/queue/events", QUEUE_VIEW)
async def queue_events(console: Console, request: Request, ctx: Context):
    stream = await request.respond(content_type="text/event-stream; charset=utf-8", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SSE_SECONDS
    seen, sent_at = -1, 0.0
    await stream.send("retry: 1000\n\n")
    while loop.time() < deadline:
        # On a change, and every 15 s anyway (waits grow, language routing opens with time); every
        # few seconds the session is checked, so one that has ended stops receiving at once.
        snapshot = await console.watcher.changed_since(seen, timeout=STREAM_CHECK_SECONDS)
        if not await console.guard.still_admitted(ctx, QUEUE_VIEW):
            await stream.send("event: ended\ndata: {}\n\n")
            break
        if snapshot.version != seen or loop.time() - sent_at >= 15.0:
            seen, sent_at = snapshot.version, loop.time()
            await stream.send(f"event: queue\ndata: {queue_json(console, ctx, snapshot)}\n\n")
    await stream.eof()


@routes.route("/console/queue/next", Access(SIGNED_IN, (Permission.CLAIM,)), methods=("POST",))
async def take_next(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    me = ctx.me
    taken = await asyncio.to_thread(handoff_queue.claim_next, console.url, me.id, me.languages, console.settings.routing_grace_s)
    if taken is None:
        return response.redirect("/console/queue?notice=empty", status=303)
    await console.record(ctx, "conversation.claim", f"escalation:{taken}", how="next")
    return response.redirect(f"/console/conversations/{taken}", status=303)


def _offered_to_me(console: Console, ctx: Context) -> bool:
    """Whether the queue offers this conversation to me now (language routing), as the list does;
    a supervisor may reach any."""
    if console.guard.may(ctx.counselor, Permission.VIEW_ANY_CONVERSATION):
        return True
    return handoff_queue.visible_to(ctx.item, ctx.me.languages, console.settings.routing_grace_s)


@routes.route("/console/conversations/<escalation_id>/preview", Access(SIGNED_IN, (Permission.VIEW_QUEUE,), True))
async def preview(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    if ctx.item.status != handoff_queue.QUEUED and not console.guard.may(ctx.counselor, Permission.VIEW_ANY_CONVERSATION):
        return response.text("This conversation is no longer waiting.", status=403)
    if not _offered_to_me(console, ctx):
        return response.text("This conversation is offered first to counselors who speak its language.", status=403)
    summary = await asyncio.to_thread(handoff_queue.summary_of, console.url, console.sealer, ctx.item.id)
    await console.record(ctx, "conversation.preview", f"escalation:{ctx.item.id}")
    return console.page("preview.html", ctx, item=console.row(ctx.item), summary=summary_view(summary))


@routes.route("/console/conversations/<escalation_id>/claim", Access(SIGNED_IN, (Permission.CLAIM,), True), methods=("POST",))
async def claim(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    if not _offered_to_me(console, ctx):  # by its number, past the list: the routing still holds
        return response.redirect("/console/queue?notice=routed", status=303)
    if not await asyncio.to_thread(handoff_queue.claim, console.url, ctx.item.id, ctx.me.id):
        return response.redirect("/console/queue?notice=taken", status=303)
    await console.record(ctx, "conversation.claim", f"escalation:{ctx.item.id}")
    return response.redirect(f"/console/conversations/{ctx.item.id}", status=303)


@routes.route("/console/preferences/alert-sound", QUEUE_VIEW, methods=("POST",))
async def alert_sound(console: Console, request: Request, ctx: Context) -> HTTPResponse:
    """Turn the queue's sound for a new danger on or off (kept with the account, not the browser)."""
    on = form_value(request, "on", 8) == "yes"
    await asyncio.to_thread(accounts.set_alert_sound, console.url, ctx.me.id, on)
    await console.record(ctx, "preferences.alert_sound", f"counselor:{ctx.me.id}", on=on)
    if request.headers.get("X-CSRF-Token"):
        return response.json({"alert_sound": on})
    return response.redirect("/console/queue", status=303)
