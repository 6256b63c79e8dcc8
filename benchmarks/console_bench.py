"""``make bench`` (console part): the live queue and claims under load.

A real ``hotline console`` process with 1,000 queued conversations and 20 signed-in counselors,
each with the live queue open (server-sent events). Measured, on SQLite and on PostgreSQL:

* appearance: a new escalation is written as the bot writes it; the time until every one of the
  20 counselors' live views has received it (p50 / p99 / max over 20 escalations);
* claims at a counselor's pace: each of the 20 takes a conversation, then another after 1 to 3 s
  (10 each, 200 in all), while the live views stay open: latency of each claim request;
* claims in a burst: all 20 click "Take" at the same instant on different conversations (10
  rounds): latency, which includes waiting for the 19 others;
* saturation: the 20 claim back to back as fast as the server answers (the console's capacity);
  and, over all of it, that no conversation was ever taken twice.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import aiohttp
import pyotp

from bot.crypto import Sealer, new_master_key
from bot.handoff.escalation import HandoffSummary, escalate
from console import accounts
from testsupport.servers import console_server

QUEUED = 1000
COUNSELORS = 20
PACED_EACH = 10
BURSTS = 10
SATURATED_EACH = 15
APPEARANCES = 20
PASSWORD = "benchmark passphrase 1"


# A new emergency whose words weigh more than any waiting one's (the seeded dangers score 0.5).
NEW_DANGER = HandoffSummary(
    danger=True, danger_score=1.0,
    danger_moments=[{"text": "he has a knife and says he will kill me now", "words": ["kill me now", "knife"], "score": 1.0, "danger": True}],
)


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def seed(url: str, sealer: Sealer) -> List[Tuple[str, str]]:
    """1,000 waiting conversations and 20 ready counselor accounts (username, TOTP secret)."""
    for index in range(QUEUED):
        # Every tenth in danger, with the message and the words that raised it (sealed, opened for
        # the queue's evidence column); most with a sign of exploitation and its words.
        danger = index % 10 == 0
        summary = HandoffSummary(
            indicators=[{"key": "debt_bondage", "confidence": 0.8, "evidence": "owe"}] if index % 3 else [],
            danger=danger, danger_score=0.5 if danger else 0.0,
            danger_moments=[{"text": "he says he will hurt me", "words": ["hurt me"], "score": 0.5, "danger": True}] if danger else [],
        )
        escalate(url, sealer, f"web-bench-{index}", reason="requested", language="en" if index % 4 else "es",
                 jurisdiction="US", summary=summary, requested=True, channel="web")
    people = []
    earlier = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=30)
    for index in range(COUNSELORS):
        created = accounts.create_counselor(url, sealer, f"bench{index}", f"Bench {index}", "counselor", "en,es")
        accounts.change_password(url, created.counselor.id, created.one_time_password, PASSWORD)
        secret = accounts.start_totp_enrolment(url, sealer, created.counselor.id).secret
        accounts.confirm_totp(url, sealer, created.counselor.id, pyotp.TOTP(secret).at(earlier), now=earlier)
        people.append((f"bench{index}", secret))
    return people


class Counselor:
    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base, self.session = base, session
        self.cookie, self.csrf = "", ""

    def _keep(self, response: aiohttp.ClientResponse, body: str = "") -> None:
        for header in response.headers.getall("Set-Cookie", []):
            morsel = SimpleCookie(header).get("hotline_console")
            if morsel is not None:
                self.cookie = morsel.value
        marker = 'name="csrf-token" content="'
        if marker in body:
            self.csrf = body.split(marker, 1)[1].split('"', 1)[0]

    async def request(self, method: str, path: str, data: Optional[Dict[str, str]] = None) -> aiohttp.ClientResponse:
        headers = {"Cookie": f"hotline_console={self.cookie}"} if self.cookie else {}
        if data is not None and self.csrf:
            data = dict(data, csrf=self.csrf)
        async with self.session.request(method, self.base + path, data=data, headers=headers, allow_redirects=False) as response:
            self._keep(response, await response.text())
            return response

    async def sign_in(self, username: str, secret: str) -> None:
        await self.request("POST", "/console/login", {"username": username, "password": PASSWORD})
        await self.request("GET", "/console/verify")
        await self.request("POST", "/console/verify", {"code": pyotp.TOTP(secret).now()})
        await self.request("GET", "/console/queue")

    async def claim(self, escalation_id: int) -> Tuple[float, bool]:
        started = time.perf_counter()
        response = await self.request("POST", f"/console/conversations/{escalation_id}/claim", {})
        return (time.perf_counter() - started) * 1000, response.headers.get("Location", "").endswith(f"/{escalation_id}")


def watch_all(base: str, cookies: List[str], seen_by_all, ready) -> None:
    """In its own process (so reading the streams does not slow the claims being timed): the 20
    live views; reports each escalation id with the moment the last of them received it."""

    async def main() -> None:
        seen: Dict[int, Set[int]] = {}
        opened = 0

        async def one(index: int, session: aiohttp.ClientSession, cookie: str) -> None:
            nonlocal opened
            headers = {"Cookie": f"hotline_console={cookie}", "Accept": "text/event-stream"}
            async with session.get(base + "/console/queue/events", headers=headers, timeout=None) as stream:
                opened += 1
                if opened == len(cookies):
                    ready.set()
                event = ""
                async for raw in stream.content:
                    line = raw.decode("utf-8").rstrip("\n")
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "queue":
                        now = time.monotonic()
                        for item in json.loads(line[5:])["waiting"]:
                            viewers = seen.setdefault(item["id"], set())
                            if index not in viewers:
                                viewers.add(index)
                                if len(viewers) == len(cookies):
                                    seen_by_all.put((item["id"], now))

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            await asyncio.gather(*(one(i, session, cookie) for i, cookie in enumerate(cookies)))

    asyncio.run(main())


async def drive(base: str, url: str, sealer: Sealer, people: List[Tuple[str, str]]) -> Dict[str, float]:
    import multiprocessing
    import queue as queue_module

    from bot.handoff import queue as handoff_queue

    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as session:
        counselors = [Counselor(base, session) for _ in people]
        await asyncio.gather(*(c.sign_in(*who) for c, who in zip(counselors, people)))
        context = multiprocessing.get_context("spawn")
        seen_by_all, ready = context.Queue(), context.Event()
        watcher = context.Process(target=watch_all, args=(base, [c.cookie for c in counselors], seen_by_all, ready), daemon=True)
        watcher.start()
        try:
            assert await asyncio.to_thread(ready.wait, 60), "the live views did not open"
            await asyncio.sleep(1.0)
            first_seen: Dict[int, float] = {}

            def seen(escalation_id: int, timeout: float) -> Optional[float]:
                deadline = time.monotonic() + timeout
                while escalation_id not in first_seen and time.monotonic() < deadline:
                    try:
                        got, at = seen_by_all.get(timeout=0.05)
                        first_seen[got] = at
                    except queue_module.Empty:
                        pass
                return first_seen.get(escalation_id)

            appearance: List[float] = []
            for index in range(APPEARANCES):  # the most urgent, so they are at the top of every view
                written = time.monotonic()
                row = await asyncio.to_thread(
                    escalate, url, sealer, f"web-bench-new-{index}", reason="emergency", language="en", jurisdiction="US",
                    summary=NEW_DANGER, requested=True, channel="web",
                )
                at = await asyncio.to_thread(seen, row.id, 10.0)
                appearance.append(((at if at is not None else time.monotonic()) - written) * 1000)
                await asyncio.sleep(0.3)

            import random

            pool = [item.id for item in await asyncio.to_thread(handoff_queue.waiting, url)]
            rng = random.Random(7)

            async def paced(counselor: Counselor, ids: List[int], out: List[Tuple[float, bool]]) -> None:
                await asyncio.sleep(rng.uniform(0, 2))
                for escalation_id in ids:
                    out.append(await counselor.claim(escalation_id))
                    await asyncio.sleep(rng.uniform(1, 3))

            paced_results: List[Tuple[float, bool]] = []
            shares = [pool[i * PACED_EACH:(i + 1) * PACED_EACH] for i in range(COUNSELORS)]
            pool = pool[COUNSELORS * PACED_EACH:]
            await asyncio.gather(*(paced(c, ids, paced_results) for c, ids in zip(counselors, shares)))

            burst_results: List[Tuple[float, bool]] = []
            for _ in range(BURSTS):
                ids, pool = pool[:COUNSELORS], pool[COUNSELORS:]
                burst_results += await asyncio.gather(*(c.claim(i) for c, i in zip(counselors, ids)))
                await asyncio.sleep(0.5)

            saturated: List[Tuple[float, bool]] = []

            async def back_to_back(counselor: Counselor, ids: List[int]) -> None:
                for escalation_id in ids:
                    saturated.append(await counselor.claim(escalation_id))

            shares = [pool[i * SATURATED_EACH:(i + 1) * SATURATED_EACH] for i in range(COUNSELORS)]
            started = time.perf_counter()
            await asyncio.gather(*(back_to_back(c, ids) for c, ids in zip(counselors, shares)))
            elapsed = time.perf_counter() - started
        finally:
            watcher.terminate()
            watcher.join(10)
        taken = await asyncio.to_thread(handoff_queue.assigned_to, url)
        owners: Dict[int, Set[int]] = {}
        for item in taken:
            owners.setdefault(item.id, set()).add(item.counselor_id)
        everything = paced_results + burst_results + saturated
        paced_ms = [latency for latency, _ in paced_results]
        burst_ms = [latency for latency, _ in burst_results]
        return {
            "appear_p50": percentile(appearance, 0.5), "appear_p99": percentile(appearance, 0.99), "appear_max": max(appearance),
            "claims": len(everything), "claimed": sum(1 for _, ok in everything if ok),
            "paced_p50": percentile(paced_ms, 0.5), "paced_p99": percentile(paced_ms, 0.99),
            "burst_p50": percentile(burst_ms, 0.5), "burst_p99": percentile(burst_ms, 0.99),
            "claims_per_s": len(saturated) / elapsed,
            "double": sum(1 for owners_ in owners.values() if len(owners_) > 1),
        }


def measure(database_url: str, workdir: Path) -> Dict[str, float]:
    key = new_master_key()
    sealer = Sealer(base64.urlsafe_b64decode(key))
    people = seed(database_url, sealer)
    with console_server(workdir, {"HOTLINE_DATABASE_URL": database_url, "HOTLINE_SECRET_KEY": key}) as base:
        return asyncio.run(drive(base, database_url, sealer, people))


def render(rows: Dict[str, Dict[str, float]]) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {when} on {os.cpu_count()} CPUs: {QUEUED} queued conversations, {COUNSELORS} counselors with the live "
        f"queue open; {APPEARANCES} new escalations.",
        "",
        "| database | appearance in all 20 views p50 / p99 / max (ms) | claim at counselor pace p50 / p99 (ms) | "
        "20 claims at the same instant p50 / p99 (ms) | saturated claims/s | claimed | taken twice |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['appear_p50']:.0f} / {r['appear_p99']:.0f} / {r['appear_max']:.0f} | "
            f"{r['paced_p50']:.1f} / {r['paced_p99']:.1f} | {r['burst_p50']:.0f} / {r['burst_p99']:.0f} | "
            f"{r['claims_per_s']:.0f} | {r['claimed']}/{r['claims']} | {r['double']} |"
        )
    return "\n".join(lines)


def main() -> int:
    from bot.config import PROJECT_ROOT
    from bot.evaluation import write_results_section
    from testsupport.postgres import binaries, running_postgres

    rows: Dict[str, Dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        rows["SQLite"] = measure(f"sqlite:///{scratch}/sqlite.db", Path(scratch) / "sqlite")
        if binaries() is not None:
            rows["PostgreSQL"] = measure(stack.enter_context(running_postgres(durable=True)), Path(scratch) / "postgres")
    section = render(rows)
    print(section)
    write_results_section(PROJECT_ROOT / "docs" / "performance.md", section, mark="<!-- console results -->")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
