"""``make bench`` (translation part): machine translation latency, and the console while it runs.

* Latency per message, through the line's own path (:class:`bot.translation.engine.MachineTranslator`:
  worker thread, per-pair lock, quality checks), for SMS-length messages of 20 to 300 characters:
  one at a time, and 8 callers at once on one pair (they queue behind its lock). With the tiny
  test model (``testsupport/tiny_translation.py``) by default; ``HOTLINE_BENCH_TRANSLATION_MODELS``
  names a folder of installed real pairs to measure those as well.
* The console while translations run: a real ``hotline console`` with 200 queued conversations;
  one counselor takes them one after another (claim latency), first alone, then while another
  counselor asks for translation previews back to back.
"""

from __future__ import annotations

import asyncio
import base64
import os
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Tuple

import aiohttp
import pyotp

from benchmarks.console_bench import PASSWORD, Counselor, percentile
from bot.crypto import Sealer, new_master_key
from bot.handoff.escalation import HandoffSummary, escalate
from bot.translation.engine import MachineTranslator
from bot.translation.packages import install, installed_pairs
from console import accounts
from testsupport.servers import console_server
from testsupport.tiny_translation import build_tiny_argosmodel

MESSAGES = [
    "Where are you now?",
    "My boss keeps my passport and I have not been paid for three months.",
    "We are twelve people in one room, they lock the door at night and take our phones. I want to go home but I owe them money.",
    ("A counselor will write to you soon. If you are in danger now, call 911. You can also write HELP at any time to reach a person, "
     "or STOP to stop messages. Everything you write stays confidential."),
]
ROUNDS = 50  # each message this many times, one at a time
CONCURRENT = 8
CLAIMS = 100


def latency(translator: MachineTranslator, source: str, target: str) -> Dict[str, float]:
    async def run() -> Tuple[List[float], List[float]]:
        alone: List[float] = []
        for _ in range(ROUNDS):
            for text in MESSAGES:
                started = time.perf_counter()
                await translator.translate(text, source, target)
                alone.append((time.perf_counter() - started) * 1000)

        async def timed(text: str) -> float:
            started = time.perf_counter()
            await translator.translate(text, source, target)
            return (time.perf_counter() - started) * 1000

        together: List[float] = []
        for _ in range(ROUNDS // 5):
            together += await asyncio.gather(*(timed(MESSAGES[n % len(MESSAGES)]) for n in range(CONCURRENT)))
        return alone, together

    alone, together = asyncio.run(run())
    return {
        "p50": percentile(alone, 0.5), "p99": percentile(alone, 0.99),
        "busy_p50": percentile(together, 0.5), "busy_p99": percentile(together, 0.99), "count": len(alone) + len(together),
    }


def console_while_translating(models: Path, workdir: Path) -> Dict[str, float]:
    key = new_master_key()
    sealer = Sealer(base64.urlsafe_b64decode(key))
    url = f"sqlite:///{workdir / 'hotline.db'}"
    env = {"HOTLINE_DATABASE_URL": url, "HOTLINE_SECRET_KEY": key, "HOTLINE_TRANSLATION_MODELS": str(models), "HOTLINE_ROUTING_GRACE": "0"}
    with console_server(workdir, env) as base:
        from bot.storage.db import upgrade

        upgrade(url)
        ids = [
            int(escalate(url, sealer, f"bench-{n}", reason="language", language="sw", jurisdiction="US", summary=HandoffSummary(),
                         requested=True, channel="web").id)
            for n in range(2 * CLAIMS + 1)
        ]
        people = []
        for name in ("claimer", "translator"):
            created = accounts.create_counselor(url, sealer, name, name.title(), "counselor", "en")
            accounts.change_password(url, created.counselor.id, created.one_time_password, PASSWORD)
            enrolment = accounts.start_totp_enrolment(url, sealer, created.counselor.id)
            earlier = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=30)  # sign-in needs a fresh code
            accounts.confirm_totp(url, sealer, created.counselor.id, pyotp.TOTP(enrolment.secret).at(earlier), now=earlier)
            people.append((name, enrolment.secret))

        async def drive() -> Dict[str, float]:
            async with aiohttp.ClientSession() as one, aiohttp.ClientSession() as two:
                claimer, previewer = Counselor(base, one), Counselor(base, two)
                await claimer.sign_in(*people[0])
                await previewer.sign_in(*people[1])
                held = ids[-1]
                await previewer.claim(held)
                quiet = [(await claimer.claim(i))[0] for i in ids[:CLAIMS]]
                busy_claims: List[float] = []
                previews = 0
                stop = asyncio.Event()

                async def keep_translating() -> None:
                    nonlocal previews
                    while not stop.is_set():
                        await previewer.request("POST", f"/console/conversations/{held}/translation-preview", {"text": MESSAGES[3]})
                        previews += 1

                hammer = asyncio.create_task(keep_translating())
                started = time.perf_counter()
                for i in ids[CLAIMS:2 * CLAIMS]:
                    busy_claims.append((await claimer.claim(i))[0])
                seconds = time.perf_counter() - started
                stop.set()
                await hammer
                return {
                    "quiet_p50": percentile(quiet, 0.5), "quiet_p99": percentile(quiet, 0.99),
                    "busy_p50": percentile(busy_claims, 0.5), "busy_p99": percentile(busy_claims, 0.99),
                    "previews_per_s": previews / seconds,
                }

        return asyncio.run(drive())


def render(rows: Dict[str, Dict[str, float]], console: Dict[str, float]) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {when} on {os.cpu_count()} CPUs: {len(MESSAGES)} SMS-length messages (18 to 300 characters), "
        f"{ROUNDS} rounds one at a time, then {CONCURRENT} callers at once on one pair.",
        "",
        "| pair | one at a time p50 / p99 (ms) | 8 at once p50 / p99 (ms) | messages |",
        "|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['p50']:.1f} / {r['p99']:.1f} | {r['busy_p50']:.1f} / {r['busy_p99']:.1f} | {r['count']:.0f} |")
    lines += [
        "",
        f"The console while translating (SQLite, tiny model): {CLAIMS} claims one after another, alone, then while a second "
        "counselor asks for translation previews of the 300-character message back to back.",
        "",
        "| claims | p50 (ms) | p99 (ms) | previews/s meanwhile |",
        "|---|---|---|---|",
        f"| alone | {console['quiet_p50']:.1f} | {console['quiet_p99']:.1f} | - |",
        f"| while translating | {console['busy_p50']:.1f} | {console['busy_p99']:.1f} | {console['previews_per_s']:.1f} |",
    ]
    return "\n".join(lines)


def main() -> int:
    from bot.config import PROJECT_ROOT
    from bot.evaluation import write_results_section

    rows: Dict[str, Dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        packages, models = Path(scratch) / "packages", Path(scratch) / "models"
        for source, target in (("en", "sw"), ("sw", "en")):
            install(build_tiny_argosmodel(packages, source, target), models)
        tiny = MachineTranslator(models, timeout_s=30)
        rows["en -> sw, tiny test model"] = latency(tiny, "en", "sw")
        tiny.close()
        real = os.environ.get("HOTLINE_BENCH_TRANSLATION_MODELS")
        if real:
            translator = MachineTranslator(Path(real), timeout_s=30)
            for pair in installed_pairs(Path(real)):
                if pair.from_code == "en":
                    rows[f"{pair.from_code} -> {pair.to_code}, {pair.name} {pair.version}"] = latency(translator, "en", pair.to_code)
            translator.close()
        console = console_while_translating(models, Path(scratch) / "console")
    section = render(rows, console)
    print(section)
    write_results_section(PROJECT_ROOT / "docs" / "performance.md", section, mark="<!-- translation results -->")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
