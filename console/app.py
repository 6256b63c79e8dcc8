"""The counselor console: a small server-rendered web app (``hotline console``, port 5007).

Pages: sign-in (password, then the TOTP code; first sign-in changes the one-time password and
enrols the authenticator with a QR code), the live queue, one conversation (handoff summary on
top, full transcript, reply, canned responses, internal notes, transfer, back to the queue, return
to the bot, close with a wrap-up), supervision (waits and load, reassign) and administration
(accounts, opening hours, audit check). Every route is guarded (``console.web``); every
opening of a transcript and every action goes to the audit log (``bot.audit``). Text from people
is always escaped (Jinja autoescape, ``textContent`` in the script); no message text is logged.

The pages live in ``sign_in_pages``, ``queue_pages``, ``conversation_pages`` and ``admin_pages``;
``console.shared`` holds what they share; this module builds the app and registers their routes. The console process
also runs the queue's notices (``bot.handoff.notices``) every few seconds.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Sanic

from bot import audit, log_privacy
from bot.config import Settings
from bot.dialogue.nlg import Notices
from bot.handoff import queue as handoff_queue
from bot.handoff.notices import sweep
from bot.opening_hours import current_schedules
from bot.retention import policy_of, purge, remove_left_behind
from bot.translation.engine import shared_translator
from console import accounts, admin_pages, conversation_pages, queue_pages, sign_in_pages
from console.live import QueueWatcher
from console.permissions import load_rules
from console.sessions import SessionLimits
from console.shared import HERE, SSE_SECONDS, Console
from console.web import Guard

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0
PURGE_EVERY_SECONDS = 24 * 3600
LEFT_BEHIND_EVERY_SECONDS = 300


def build_app(settings: Settings) -> Sanic:
    log_privacy.install()
    sealer = settings.sealer()
    app = Sanic("hotline_console", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    app.config.RESPONSE_TIMEOUT = int(SSE_SECONDS) + 30
    rules = load_rules(settings.console_permissions_file)
    guard = Guard(
        app, settings.database_url, rules, SessionLimits(settings.console_idle_timeout_s, settings.console_max_session_s)
    )
    templates = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(default=True))
    with open(HERE / "canned_responses.yml", encoding="utf-8") as handle:
        canned = yaml.safe_load(handle) or {}
    translator = shared_translator(settings.translation_models_dir, settings.translation_timeout_s)  # every pair, loaded once
    console = Console(
        settings,
        sealer,
        rules,
        guard,
        templates,
        QueueWatcher(settings.database_url, sealer),
        canned,
        Notices(settings, translator),
        translator,
    )
    for pages in (sign_in_pages, queue_pages, conversation_pages, admin_pages):
        pages.routes.add_to(console)
    guard.check_all_marked()

    @app.listener("after_server_start")  # type: ignore[call-arg,arg-type]  # Sanic's overloads confuse mypy
    async def start_background(app_: Sanic, loop) -> None:
        # Database calls run in threads. SQLite takes one writer at a time and makes the others
        # sleep and retry, so there one thread queues them without sleeping; PostgreSQL gets many.
        workers = 1 if settings.database_url.startswith("sqlite") else 32
        loop.set_default_executor(ThreadPoolExecutor(max_workers=workers, thread_name_prefix="console-db"))
        await asyncio.to_thread(handoff_queue.waiting, settings.database_url)  # migrate before serving
        await asyncio.to_thread(accounts.prepare)  # every sign-in takes as long from the first
        app_.add_task(console.watcher.run())
        app_.add_task(_keep_queue(console))
        app_.add_task(_keep_retention(console))

    return app


async def _keep_queue(console: Console) -> None:

    def note(action: str, target: str, detail: dict) -> None:
        audit.record(console.url, "system", action, target, detail)

    while True:
        try:
            schedules = await asyncio.to_thread(current_schedules, console.url, console.settings.opening_hours_file)
            await asyncio.to_thread(sweep, console.settings, console.sealer, console.notices, schedules, note)
        except Exception:
            logger.exception("The queue sweep failed; trying again.")
        await asyncio.sleep(SWEEP_SECONDS)


# ------------------------------------------------------------------ sign-in


async def _keep_retention(console: Console) -> None:
    """The retention purge once a day (the first a minute after start), and every few minutes the
    replies an erasure left behind once they have gone out."""
    policy = policy_of(console.settings)
    next_purge = asyncio.get_running_loop().time() + 60
    while True:
        try:
            if asyncio.get_running_loop().time() >= next_purge:
                report = await asyncio.to_thread(purge, console.url, policy)
                next_purge += PURGE_EVERY_SECONDS
                if report.conversations or report.rows:
                    await asyncio.to_thread(
                        audit.record, console.url, "system", "retention.purge", "database",
                        {"conversations": report.conversations, **report.rows},
                    )
            else:
                await asyncio.to_thread(remove_left_behind, console.url)
        except Exception:
            logger.exception("The retention purge failed; trying again later.")
        await asyncio.sleep(LEFT_BEHIND_EVERY_SECONDS)


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the console until interrupted (no access log: URLs and timing are enough to profile people)."""
    build_app(settings).run(host=host, port=port, workers=1, access_log=False, motd=False)


__all__ = ["build_app", "serve"]
