"""One conversation: handoff summary, transcript (live, with delivery states), reply by the
person's channel, internal notes, transfer or reassign, back to the queue, return to the bot,
close with a wrap-up, erase at the person's request."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import inbox
from bot.erasure import erase_conversation
from bot.handoff import case_notes
from bot.handoff import queue as handoff_queue
from bot.handoff.notices import CLOSED_BY_COUNSELOR, RETURNED_TO_BOT, tell_ended
from bot.inbox import DeliveryBlock
from bot.translation.marking import marked
from bot.translation.stored import ShownTranslation, stored_translations, translate_messages
from console import accounts, sessions
from console.permissions import Permission
from console.shared import SSE_SECONDS, STREAM_CHECK_SECONDS, Console, RouteTable, form_value
from console.summary import summary_view
from console.texts import blocked_notice, delivery_reason
from console.translation import TranslationPlan, plan_for, problem_text, translate_summary
from console.web import SIGNED_IN, Access, Context

MAX_REPLY_CHARS = 1600
UNSETTLED = ("pending", "sending", "sent")  # a reply's delivery can still change
OUTCOMES = {
    "information_given": "Information given",
    "referral_made": "Referral made",
    "emergency_services": "Emergency services contacted",
    "safety_plan": "Safety plan made",
    "no_response": "Person stopped answering",
    "not_trafficking": "Not a trafficking or exploitation situation",
    "other": "Other",
}
ENDINGS = {"counselor": "Closed by the counselor", "silence": "Closed after a silence", "returned": "Returned to the bot"}
ERASE_CONFIRMATION = "erase"
CONVERSATION_VIEW = Access(SIGNED_IN, (Permission.VIEW_OWN_CONVERSATION, Permission.VIEW_ANY_CONVERSATION), True)


def conversation_action(permission: Permission) -> Access:
    return Access(SIGNED_IN, (permission,), True)


def delivery_text(status: str, error: Optional[str]) -> str:
    """How a reply's delivery reads in the transcript."""
    if status in ("failed", "undelivered", "suppressed"):
        return f"Not delivered: {delivery_reason(error) or status}"
    return {"pending": "Sending…", "sending": "Sending…", "sent": "Sent", "delivered": "Delivered"}.get(status, status)


def _transcript(
    console: Console, item: handoff_queue.QueueItem, after_in: int = 0, after_out: int = 0, translated_into: Optional[str] = None
) -> List[Dict[str, Any]]:
    """The transcript as the page shows it; with ``translated_into``, each of the person's messages
    carries its stored machine translation (``translation``), or ``translating`` until it has one."""
    entries = inbox.transcript(console.url, console.sealer, item.conversation_id, after_in, after_out, limit=1000, unsent=True)
    translations = (
        stored_translations(console.url, console.sealer, [e["id"] for e in entries if e["kind"] == "person"], translated_into)
        if translated_into else {}
    )
    shown = []
    for entry in entries:
        person = entry["kind"] == "person"
        found = translations.get(entry["id"]) if person else None
        shown.append({
            "kind": entry["kind"],
            "in": entry["id"] if person else None,
            "out": entry["id"] if not person else None,
            "at": entry["at"].strftime("%Y-%m-%d %H:%M:%S UTC"),
            "text": entry["text"],
            "status": entry["status"],
            "error": entry["error"],
            "delivery": delivery_text(entry["status"], entry["error"]) if not person else "",
            "media": [item.get("content_type") or "attachment" for item in entry["media"]],
            "original": entry.get("original"),
            "original_language": entry.get("original_language"),
            "translation": _translation_shown(found) if found else None,
            "translating": bool(translated_into and person and not found and entry["text"].strip()),
        })
    return shown


def _translation_shown(found: ShownTranslation) -> Dict[str, Any]:
    return {"in": found.inbound_id, "language": found.language, "text": found.text, "problem": problem_text(found.problem) if found.problem else ""}


def _notes(console: Console, escalation_id: int) -> List[Dict[str, Any]]:
    names = {info.id: info.display_name for info in accounts.list_counselors(console.url)}
    return [
        {"by": names.get(note.counselor_id, "?"), "at": note.at.strftime("%Y-%m-%d %H:%M"), "text": note.text}
        for note in case_notes.notes_of(console.url, console.sealer, escalation_id)
    ]


routes = RouteTable()


def _history(console: Console, item: handoff_queue.QueueItem) -> List[Dict[str, Any]]:
    """A returning person's earlier requests: when, how each ended, who had it, and its notes."""
    names = {info.id: info.display_name for info in accounts.list_counselors(console.url)}
    return [
        {
            "queued_at": past.queued_at.strftime("%Y-%m-%d %H:%M"),
            "ended": ENDINGS.get(past.closed_reason or "", past.closed_reason or ""),
            "outcome": OUTCOMES.get(past.outcome or "", ""),
            "follow_up": past.follow_up,
            "by": names.get(past.counselor_id, "") if past.counselor_id else "",
            "notes": _notes(console, past.id),
        }
        for past in handoff_queue.earlier_requests(console.url, item.conversation_id, item.id)
    ]


def _handover_choices(console: Console, ctx: Context, item: handoff_queue.QueueItem) -> Dict[str, Any]:
    """Who can take this conversation now: colleagues who may take conversations, signed in, in
    the person's language first, each with how many conversations they hold; and why nobody is
    listed when nobody is."""
    on_shift = sessions.signed_in_counselors(console.url, console.guard.limits)
    load = handoff_queue.conversations_per_counselor(console.url)
    able = [c for c in accounts.list_counselors(console.url) if c.active and c.id != ctx.me.id and console.guard.may(c, Permission.CLAIM)]
    available = sorted(
        (c for c in able if c.id in on_shift),
        key=lambda c: (item.language not in c.languages, load.get(c.id, 0), c.display_name),
    )
    if available:
        why_nobody = ""
    elif not able:
        why_nobody = "Nobody else has an account that can take conversations."
    else:
        why_nobody = f"None of the {len(able)} colleagues who can take conversations is signed in now."
    speakers = [c for c in available if item.language in c.languages]
    return {
        "available": [
            {"id": c.id, "name": c.display_name, "languages": c.languages, "load": load.get(c.id, 0), "speaks": item.language in c.languages}
            for c in available
        ],
        "why_nobody": why_nobody,
        "no_speaker": bool(available) and not speakers,
    }


@routes.route("/console/conversations/<escalation_id>", CONVERSATION_VIEW)
async def conversation(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    blocked = request.args.get("blocked", "")
    notice = (blocked_notice(blocked) or blocked_notice(DeliveryBlock.NO_ADDRESS.value)) if blocked else None
    return await _conversation_page(console, ctx, notice)


async def _conversation_page(
    console: Console, ctx: Context, notice: Optional[str], draft: Optional[Dict[str, str]] = None, status: int = 200
) -> HTTPResponse:
    """The page; ``draft`` keeps what the counselor wrote when it could not be sent as asked."""
    item = ctx.item
    plan = plan_for(console.translator, ctx.me.languages, item)
    summary = await asyncio.to_thread(handoff_queue.summary_of, console.url, console.sealer, item.id)
    transcript = await asyncio.to_thread(_transcript, console, item, 0, 0, plan.counselor_language if plan.incoming else None)
    notes = await asyncio.to_thread(_notes, console, item.id)
    history = await asyncio.to_thread(_history, console, item) if item.returning else []
    handover = await asyncio.to_thread(_handover_choices, console, ctx, item)
    await console.record(ctx, "conversation.open_transcript", f"escalation:{item.id}")
    mine = item.counselor_id == ctx.me.id and item.status == handoff_queue.WITH_COUNSELOR
    view = summary_view(summary)
    await translate_summary(console.translator, view, plan)
    return console.page(
        "conversation.html",
        ctx,
        status=status,
        assigned_to_me=item.counselor_id == ctx.me.id,
        translation=plan,
        draft=draft or {},
        item=console.row(item),
        summary=view,
        transcript=transcript,
        notes=notes,
        history=history,
        handover=handover,
        mine=mine,
        canned=console.canned.get(item.language) or console.canned.get("en", []),
        outcomes=OUTCOMES,
        notice=notice,
        cursor=json.dumps({"in": max([e["in"] or 0 for e in transcript] or [0]), "out": max([e["out"] or 0 for e in transcript] or [0])}),
    )


@routes.route("/console/conversations/<escalation_id>/events", CONVERSATION_VIEW)
async def conversation_events(console: Console, request: Request, ctx: Context, escalation_id: str):
    """New transcript entries as they come (the person's messages, replies and their delivery),
    and a new danger waiting in the queue, so a counselor in a conversation hears of it too."""
    try:
        after_in, after_out = (int(part) for part in request.args.get("after", "0:0").split(":"))
    except ValueError:
        after_in, after_out = 0, 0
    stream = await request.respond(content_type="text/event-stream; charset=utf-8", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    loop = asyncio.get_running_loop()
    deadline, last_sent = loop.time() + SSE_SECONDS, loop.time()
    # replies whose delivery may still change (sending, sent -> delivered or failed), and their state
    watched: Dict[int, Tuple[Optional[str], Optional[str]]] = {}
    if after_out:
        # The page shows the replies as they were when it was made; a delivery may have changed
        # since. Their state now is sent first (compared against "unknown"), then every change.
        recent = await asyncio.to_thread(_transcript, console, ctx.item, 0, max(0, after_out - 50))
        watched = {e["out"]: (None, None) for e in recent if e["out"]}
    await stream.send("retry: 1000\n\n")
    plan = plan_for(console.translator, ctx.me.languages, ctx.item)
    translated_into = plan.counselor_language if plan.incoming else None
    if translated_into:  # the page's messages still without a translation
        pending = [(e["in"], e["text"]) for e in await asyncio.to_thread(_transcript, console, ctx.item, 0, 0, translated_into) if e["translating"]]
        await _send_translations(console, ctx.item, stream, pending, plan)
    checked = loop.time()
    dangers = _dangers_offered(console, ctx)  # a new one is announced on this page too
    while loop.time() < deadline:
        if loop.time() - checked >= STREAM_CHECK_SECONDS:
            if not await console.guard.still_admitted(ctx, CONVERSATION_VIEW):
                await stream.send("event: ended\ndata: {}\n\n")  # signed out, disabled, or no longer theirs
                break
            checked = loop.time()
        new_entries = await asyncio.to_thread(_transcript, console, ctx.item, after_in, after_out, translated_into)
        for entry in new_entries:
            after_in, after_out = entry["in"] or after_in, entry["out"] or after_out
            if entry["out"] and entry["status"] in UNSETTLED:
                watched[entry["out"]] = (entry["status"], entry["error"])
            await stream.send(f"event: entry\ndata: {json.dumps(entry, ensure_ascii=False)}\n\n")
            last_sent = loop.time()
        pending = [(e["in"], e["text"]) for e in new_entries if e["translating"]]
        if pending:  # shown at once; each translation follows as it is ready
            await _send_translations(console, ctx.item, stream, pending, plan)
            last_sent = loop.time()
        for out, state in (await asyncio.to_thread(inbox.delivery_states, console.url, list(watched))).items():
            if state != watched[out]:
                watched[out] = state
                change = {"out": out, "status": state[0], "delivery": delivery_text(*state)}
                await stream.send(f"event: delivery\ndata: {json.dumps(change, ensure_ascii=False)}\n\n")
                last_sent = loop.time()
            if state[0] not in UNSETTLED:
                del watched[out]
        now_waiting = _dangers_offered(console, ctx)
        if now_waiting - dangers:
            new = [item for item in console.watcher.snapshot.waiting if item.id in now_waiting - dangers]
            first = new[0]
            announced = {"count": len(new), "waiting": len(now_waiting), "language": first.language, "channel": first.channel}
            await stream.send(f"event: danger\ndata: {json.dumps(announced)}\n\n")
            last_sent = loop.time()
        dangers = now_waiting
        current = await asyncio.to_thread(handoff_queue.get, console.url, ctx.item.id)
        if current is None or current.status != ctx.item.status or current.counselor_id != ctx.item.counselor_id:
            await stream.send("event: state\ndata: {}\n\n")  # the page reloads to show the new state
            break
        if loop.time() - last_sent > 15:
            await stream.send(": keep-alive\n\n")
            last_sent = loop.time()
        await asyncio.sleep(0.5)
    await stream.eof()


async def _send_translations(console: Console, item: handoff_queue.QueueItem, stream: Any, pending: List[Tuple[int, str]], plan: TranslationPlan) -> None:
    for inbound_id, text in pending:
        (shown,) = await translate_messages(
            console.url, console.sealer, console.translator, item.conversation_id, [(inbound_id, text)], plan.person_language, plan.counselor_language
        )
        await stream.send(f"event: translation\ndata: {json.dumps(_translation_shown(shown), ensure_ascii=False)}\n\n")


def _dangers_offered(console: Console, ctx: Context) -> set:
    """The danger requests waiting that the queue offers this counselor now (the live snapshot)."""
    waiting = [item for item in console.watcher.snapshot.waiting if item.priority == 1]
    return {item.id for item in handoff_queue.offered_to(waiting, ctx.me.languages, console.settings.routing_grace_s)}


@routes.route("/console/conversations/<escalation_id>/reply", conversation_action(Permission.REPLY), methods=("POST",))
async def reply(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    """Send the counselor's reply. Where translation is on, the person gets the (edited) translation,
    marked, and the transcript keeps the counselor's words; ``send_as=written`` (or a canned reply)
    sends the words as they are. A translation that fails sends nothing and keeps the draft."""
    text = form_value(request, "text", MAX_REPLY_CHARS + 1)
    translation = form_value(request, "translation", MAX_REPLY_CHARS + 1)
    item = ctx.item
    if not text or len(text) > MAX_REPLY_CHARS or len(translation) > MAX_REPLY_CHARS or item.status != handoff_queue.WITH_COUNSELOR:
        return response.text(f"Write 1 to {MAX_REPLY_CHARS} characters, in an open conversation.", status=400)
    plan = plan_for(console.translator, ctx.me.languages, item)
    as_written = form_value(request, "send_as", 16) == "written" or form_value(request, "canned", 4) == "1"
    original: Optional[Tuple[str, str]] = None
    if plan.outgoing and not as_written:
        if not translation:  # not previewed (or the preview failed): translated now, within the time limit
            done = await console.translator.translate(text, plan.counselor_language, plan.person_language)
            if done.text is None:
                why = problem_text(done.problem.value if done.problem else "")
                await console.record(ctx, "conversation.reply_not_translated", f"escalation:{item.id}", problem=done.problem.value if done.problem else "")
                notice = f"Not sent: the machine translation failed ({why}). Send your words as written, or a canned reply in their language."
                return await _conversation_page(console, ctx, notice, {"text": text}, status=422)
            translation = done.text
        original, text = (text, plan.counselor_language), marked(translation, plan.person_language)
    result = await asyncio.to_thread(
        inbox.queue_outbound, console.url, console.sealer, item.conversation_id, text, "counselor", ctx.me.id, original
    )
    await console.record(
        ctx, "conversation.reply", f"escalation:{item.id}", parts=len(result.ids), sent=result.blocked is None, translated=original is not None
    )
    if result.blocked:
        return response.redirect(f"/console/conversations/{item.id}?blocked={quote(result.blocked.value)}", status=303)
    return response.redirect(f"/console/conversations/{item.id}", status=303)


@routes.route("/console/conversations/<escalation_id>/translation-preview", conversation_action(Permission.REPLY), methods=("POST",))
async def translation_preview(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    """The counselor's draft machine-translated into the person's language, for them to edit."""
    text = form_value(request, "text", MAX_REPLY_CHARS + 1)
    plan = plan_for(console.translator, ctx.me.languages, ctx.item)
    if not text or len(text) > MAX_REPLY_CHARS:
        return response.json({"error": f"Write 1 to {MAX_REPLY_CHARS} characters."}, status=400)
    if not plan.outgoing:
        return response.json({"error": "Translation is not on for this conversation."}, status=409)
    done = await console.translator.translate(text, plan.counselor_language, plan.person_language)
    problem = done.problem.value if done.problem else ""
    return response.json({"text": done.text or "", "problem": problem_text(problem) if problem else "", "language": plan.person_language})


@routes.route("/console/conversations/<escalation_id>/translation", conversation_action(Permission.REPLY), methods=("POST",))
async def switch_translation(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    """Turn machine translation off for this conversation, or on again."""
    off = form_value(request, "translation", 8) == "off"
    await asyncio.to_thread(handoff_queue.set_translation_off, console.url, ctx.item.id, off)
    await console.record(ctx, "conversation.translation", f"escalation:{ctx.item.id}", on=not off)
    return response.redirect(f"/console/conversations/{ctx.item.id}", status=303)


@routes.route("/console/conversations/<escalation_id>/notes", conversation_action(Permission.ADD_NOTE), methods=("POST",))
async def add_note(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    text = form_value(request, "text", case_notes.MAX_NOTE_CHARS)
    if not text:
        return response.text("Write the note first.", status=400)

    await asyncio.to_thread(case_notes.add_note, console.url, console.sealer, ctx.item.id, ctx.me.id, text)
    await console.record(ctx, "conversation.note", f"escalation:{ctx.item.id}")
    return response.redirect(f"/console/conversations/{ctx.item.id}", status=303)


@routes.route("/console/conversations/<escalation_id>/transfer", conversation_action(Permission.TRANSFER), methods=("POST",))
async def transfer(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    return await _hand_over(console, request, ctx, "transfer")


@routes.route("/console/conversations/<escalation_id>/reassign", conversation_action(Permission.REASSIGN), methods=("POST",))
async def reassign(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    return await _hand_over(console, request, ctx, "reassign")


@routes.route("/console/conversations/<escalation_id>/return", conversation_action(Permission.RETURN_TO_BOT), methods=("POST",))
async def return_to_bot(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    if not await asyncio.to_thread(handoff_queue.return_to_bot, console.url, ctx.item.id):
        return response.text("This conversation is no longer open.", status=409)
    blocked = await asyncio.to_thread(tell_ended, console.url, console.sealer, console.notices, ctx.item, RETURNED_TO_BOT)
    await console.record(ctx, "conversation.return_to_bot", f"escalation:{ctx.item.id}", notice=_notice_fate(blocked))
    return response.redirect("/console/queue?notice=returned", status=303)


@routes.route("/console/conversations/<escalation_id>/close", conversation_action(Permission.CLOSE), methods=("POST",))
async def close(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    outcome = form_value(request, "outcome", 32)
    if outcome not in OUTCOMES:
        return response.text("Choose an outcome.", status=400)
    wrapup = {
        "outcome": outcome,
        "referral": form_value(request, "referral", 200),
        "follow_up": form_value(request, "follow_up", 8) == "yes",
        "by": ctx.me.id,
    }
    if not await asyncio.to_thread(handoff_queue.close, console.url, console.sealer, ctx.item.id, wrapup):
        return response.text("This conversation is no longer open.", status=409)
    blocked = await asyncio.to_thread(tell_ended, console.url, console.sealer, console.notices, ctx.item, CLOSED_BY_COUNSELOR)
    await console.record(
        ctx, "conversation.close", f"escalation:{ctx.item.id}", outcome=outcome, follow_up=wrapup["follow_up"], notice=_notice_fate(blocked)
    )
    return response.redirect("/console/queue?notice=closed", status=303)


@routes.route("/console/conversations/<escalation_id>/erase", conversation_action(Permission.ERASE_CONVERSATION), methods=("POST",))
async def erase(console: Console, request: Request, ctx: Context, escalation_id: str) -> HTTPResponse:
    if form_value(request, "confirm", 16).strip().lower() != ERASE_CONFIRMATION:
        return response.text(f'Type "{ERASE_CONFIRMATION}" to confirm: erasing cannot be undone.', status=400)
    report = await asyncio.to_thread(erase_conversation, console.url, ctx.item.conversation_id)
    await console.record(ctx, "conversation.erase", f"escalation:{ctx.item.id}", rows=report.total)
    return response.redirect("/console/queue?notice=erased", status=303)


def _notice_fate(blocked: Optional[DeliveryBlock]) -> str:
    """For the audit log: whether the closing notice went out, or why not."""
    return "sent" if blocked is None else blocked.value


async def _hand_over(console: Console, request: Request, ctx: Context, action: str) -> HTTPResponse:
    """Transfer (own conversation) or reassign (supervisor): to a colleague, or back to the queue."""
    target = form_value(request, "to", 16)
    item = ctx.item
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
