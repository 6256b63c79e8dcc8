"""``make bench`` (Twilio part): this channel against Rasa's built-in ``twilio`` channel.

Same model, same action server, same tracker store; only the channel differs (ours as deployed:
Twilio calls the receiver process, the Rasa server runs the turns from the inbox). Ours is also
measured with its tracker events stored in clear, to show what sealing them costs. Signed webhooks
from 200 distinct senders, 16 at a time, while the Twilio emulator adds 100 ms to every
outbound call. Measured: throughput (turns/s, a turn being complete when its last reply reaches
the emulator), webhook ack latency and inbound-to-first-reply latency (p50/p95/p99).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List

import aiohttp

from bot.classify import DEFAULT_MODEL
from testsupport.servers import hotline_servers
from testsupport.twilio_client import TEST_ACCOUNT_SID, inbound_sms_params, signed_webhook
from testsupport.twilio_emulator import BackgroundEmulator, running_emulator

SENDERS = 200
CONCURRENCY = 16
LATENCY_MS = 100
TO = "+15550100001"
TEXT = "hi, the agency keeps my passport and says i owe them"
AUTH_TOKEN = "bench-token"
PUBLIC_URL = "https://hotline.example.org"


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def drive(webhook: str, emulator: BackgroundEmulator) -> Dict[str, float]:
    senders = ["+1555" + str(uuid.uuid4().int)[:7] for _ in range(SENDERS)]
    sent_at: Dict[str, datetime] = {}
    acks: List[float] = []
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(session: aiohttp.ClientSession, sender: str) -> None:
        params = inbound_sms_params(sender, TO, TEXT)
        body, headers = signed_webhook(f"{PUBLIC_URL}/webhooks/twilio/webhook", params, AUTH_TOKEN)
        async with gate:
            sent_at[sender] = datetime.now(timezone.utc)
            started = time.perf_counter()
            async with session.post(webhook, data=body, headers=headers) as response:
                await response.read()
                assert response.status in (200, 204), response.status
            acks.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    start_wall = datetime.now(timezone.utc)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
        await asyncio.gather(*(one(session, sender) for sender in senders))
    # wait until every sender has replies and the outbox is quiet for 3 s
    stable_since, last_count = time.perf_counter(), -1
    while time.perf_counter() - stable_since < 3 and time.perf_counter() - started < 900:
        count = len(emulator.messages)
        if count != last_count:
            stable_since, last_count = time.perf_counter(), count
        await asyncio.sleep(0.2)
    first_reply: Dict[str, datetime] = {}
    last_reply: Dict[str, datetime] = {}
    for message in emulator.messages:
        if message.to in sent_at:
            first_reply.setdefault(message.to, message.received_at)
            last_reply[message.to] = message.received_at
    answered = [sender for sender in senders if sender in last_reply]
    end = max(last_reply.values())
    to_first = [(first_reply[s] - sent_at[s]).total_seconds() * 1000 for s in answered]
    return {
        "turns": len(answered),
        "throughput": len(answered) / (end - start_wall).total_seconds(),
        "ack_p50": percentile(acks, 0.5), "ack_p95": percentile(acks, 0.95), "ack_p99": percentile(acks, 0.99),
        "reply_p50": percentile(to_first, 0.5), "reply_p95": percentile(to_first, 0.95),
        "reply_p99": percentile(to_first, 0.99),
        "messages_per_turn": statistics.mean(
            sum(1 for m in emulator.messages if m.to == s) for s in answered
        ),
    }


UNSEALED = "benchmarks.unsealed_tracker_store.UnsealedTrackerStore"


def measure(scratch: Path, credentials: Path | None, tracker_store: str | None = None) -> Dict[str, float]:
    with running_emulator(auth_token=AUTH_TOKEN) as emulator:
        emulator.set_faults(latency_ms=LATENCY_MS)
        environment = {
            "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "HOTLINE_TWILIO_API_URL": emulator.base_url,
            "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        }
        ours = credentials is None  # ours: Twilio calls the receiver process; stock: the Rasa server
        with hotline_servers(
            scratch, DEFAULT_MODEL, environment, credentials=credentials, twilio_receiver=ours, tracker_store=tracker_store
        ) as servers:
            return asyncio.run(drive(f"{servers.receiver_url or servers.url}/webhooks/twilio/webhook", emulator))


def render(ours: Dict[str, float], unsealed: Dict[str, float], stock: Dict[str, float]) -> str:
    def row(name: str, r: Dict[str, float]) -> str:
        return (
            f"| {name} | {r['turns']} | {r['messages_per_turn']:.1f} | {r['throughput']:.2f} | "
            f"{r['ack_p50']:.0f} / {r['ack_p95']:.0f} / {r['ack_p99']:.0f} | "
            f"{r['reply_p50']:.0f} / {r['reply_p95']:.0f} / {r['reply_p99']:.0f} |"
        )

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            f"Measured {when} on {os.cpu_count()} CPUs: {SENDERS} senders, concurrency {CONCURRENCY}, "
            f"emulator latency {LATENCY_MS} ms per outbound call.",
            "",
            "| channel | turns | messages/turn | turns/s | webhook ack p50/p95/p99 (ms) | to first reply p50/p95/p99 (ms) |",
            "|---|---|---|---|---|---|",
            row("this channel (`hotline twilio-receiver` + `channels/twilio.py`)", ours),
            row("this channel, tracker events stored in clear (benchmark only)", unsealed),
            row("Rasa built-in `twilio`", stock),
            "",
            f"Throughput ratio: {ours['throughput'] / stock['throughput']:.1f}x. Sealing the tracker events costs "
            f"{(1 - ours['throughput'] / unsealed['throughput']) * 100:.1f}% of throughput (target: under 10%).",
        ]
    )


def main() -> int:
    from bot.config import PROJECT_ROOT
    from bot.evaluation import write_results_section

    with tempfile.TemporaryDirectory() as scratch:
        ours = measure(Path(scratch) / "ours", None)
        unsealed = measure(Path(scratch) / "unsealed", None, tracker_store=UNSEALED)
        stock_credentials = Path(scratch) / "stock-credentials.yml"
        stock_credentials.write_text(
            "benchmarks.stock_twilio.StockTwilioAgainstEmulator:\n"
            f"  account_sid: {TEST_ACCOUNT_SID}\n  auth_token: {AUTH_TOKEN}\n  twilio_number: \"{TO}\"\n",
            encoding="utf-8",
        )
        stock = measure(Path(scratch) / "stock", stock_credentials)
    section = render(ours, unsealed, stock)
    print(section)
    write_results_section(PROJECT_ROOT / "docs" / "performance.md", section, mark="<!-- twilio results -->")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
