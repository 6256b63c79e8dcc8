"""What the console's page modules share: the :class:`Console` (settings, stores, rules, templates,
live queue), the route table each page module declares its handlers in, and small form helpers.

Page modules import this module, never ``console.app``; ``console.app`` imports the page modules
and registers their routes, so there is no import loop.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

from jinja2 import Environment
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import audit
from bot.client_address import client_address
from bot.config import Settings
from bot.crypto import Sealer
from bot.dialogue.nlg import Notices
from bot.handoff import queue as handoff_queue
from bot.translation.engine import MachineTranslator
from console.live import QueueWatcher
from console.permissions import Permission, Rules
from console.sign_in_throttle import SignInThrottle
from console.web import Access, Context, Guard

HERE = Path(__file__).resolve().parent
SSE_SECONDS = 300.0
# How often an open stream checks that its session and access still hold.
STREAM_CHECK_SECONDS = 2.0


@dataclass
class Console:
    """What the handlers share: settings, stores, rules, templates and the live queue."""

    settings: Settings
    sealer: Sealer
    rules: Rules
    guard: Guard
    templates: Environment
    watcher: QueueWatcher
    canned: Dict[str, List[Dict[str, str]]]
    notices: Notices  # the texts the line sends in the person's language (closing notices)
    translator: MachineTranslator  # the installed translation models, loaded once at start
    throttle: SignInThrottle = field(default_factory=SignInThrottle)

    def client_address(self, request: Request) -> str:
        """Who is asking: the proxy's header when one is configured, else the socket's peer."""
        return client_address(request.headers, request.ip, self.settings.client_address_header)

    @property
    def url(self) -> str:
        return self.settings.database_url

    def page(self, name: str, ctx: Context, status: int = 200, assigned_to_me: Optional[bool] = None, **values: Any) -> HTTPResponse:
        """Render a page; ``may`` says what the counselor may do (on a conversation's page, with
        ``assigned_to_me`` saying whether it is theirs)."""
        may = {p.value: self.guard.may(ctx.counselor, p, assigned_to_me) for p in Permission}
        body = self.templates.get_template(name).render(me=ctx.counselor, csrf=ctx.csrf, may=may, **values)
        return response.html(body, status=status)

    def row(self, item: handoff_queue.QueueItem, now=None) -> Dict[str, Any]:
        """:func:`item_view` with this line's wait target and the live queue's evidence."""
        targets = self.settings.wait_targets_s
        return item_view(item, now, targets[min(item.priority, len(targets)) - 1], self.watcher.evidence.get(item.id, ()))

    async def record(self, ctx: Context, action: str, target: str, **detail: Any) -> None:
        actor = ctx.counselor.username if ctx.counselor else "unknown"
        await asyncio.to_thread(audit.record, self.url, actor, action, target, detail)


def item_view(item: handoff_queue.QueueItem, now=None, wait_target_s: Optional[int] = None, evidence: Sequence[str] = ()) -> Dict[str, Any]:
    """A queue row as pages and the live queue show it: its wait against the line's target for its
    priority, and the person's words that put it there (``evidence``)."""
    view = item.as_dict(now)
    view["indicators"] = [key.replace("_", " ") for key in item.indicators]
    view["wait_target_seconds"] = wait_target_s
    view["over_target"] = wait_target_s is not None and view["waited_seconds"] > wait_target_s
    view["evidence"] = list(evidence)
    return view


def form_value(request: Request, name: str, limit: int = 200) -> str:
    """A form field, trimmed and cut to ``limit`` characters (empty when missing)."""
    value = (request.form.get(name) if request.form else None) or ""
    return value.strip()[:limit]


PageHandler = Callable[..., Awaitable[Any]]


@dataclass
class RouteTable:
    """The routes of one page module, declared at module level (``@routes.route(...)`` on a
    function taking the console, the request and the guard's context) and registered on a
    console by :meth:`add_to`, each behind the console's guard."""

    entries: List[Tuple[str, Access, Tuple[str, ...], PageHandler]] = field(default_factory=list)

    def route(self, path: str, access: Access, methods: Sequence[str] = ("GET",)) -> Callable[[PageHandler], PageHandler]:
        def declare(handler: PageHandler) -> PageHandler:
            self.entries.append((path, access, tuple(methods), handler))
            return handler

        return declare

    def add_to(self, console: Console) -> None:
        for path, access, methods, handler in self.entries:
            console.guard.route(path, access, methods)(_bound(handler, console))


def _bound(handler: PageHandler, console: Console) -> PageHandler:
    async def bound(request: Request, ctx: Context, **params: Any) -> Any:
        return await handler(console, request, ctx, **params)

    return functools.update_wrapper(bound, handler)
