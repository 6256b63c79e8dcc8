"""The inbox worker both channels run their turns on: order per conversation, retries, messages
committed by another process, on a real SQLite inbox."""

from __future__ import annotations

import asyncio
from typing import Dict, List

import pytest

from bot import inbox
from bot.crypto import Sealer
from bot.inbox import Inbound
from channels.inbox_worker import InboxWorker
from channels.turns import TurnBook


def receive(database_url: str, sealer: Sealer, address: str, text: str) -> Inbound:
    inbound = inbox.record_inbound(database_url, sealer, f"SM{abs(hash((address, text))):032d}", "sms", address, "+15550100001", text)
    assert inbound is not None
    return inbound


async def run_until(worker: InboxWorker, done: asyncio.Event, timeout: float = 20.0) -> None:
    task = asyncio.get_running_loop().create_task(worker.run())
    try:
        await asyncio.wait_for(done.wait(), timeout)
    finally:
        task.cancel()


def test_a_persons_messages_are_answered_in_order_and_a_failed_turn_is_tried_again(database_url: str, sealer: Sealer) -> None:
    handled: Dict[str, List[str]] = {}
    failures = {"twice": 2}
    done = asyncio.Event()

    async def process(inbound: Inbound) -> None:
        if failures.get(inbound.text, 0) > 0:
            failures[inbound.text] -= 1
            raise RuntimeError("the action server is away")
        await asyncio.sleep(0.01 if inbound.text.endswith("1") else 0)  # an earlier turn may take longer
        handled.setdefault(inbound.conversation_key, []).append(inbound.text)
        await asyncio.to_thread(inbox.complete_turn, database_url, sealer, inbound, [])
        if sum(len(texts) for texts in handled.values()) == 7:
            done.set()

    async def scenario() -> None:
        worker = InboxWorker("test", database_url, sealer, ("sms",), process, lanes=3, poll_s=0.02, turns=TurnBook(first_pause=0.05))
        running = asyncio.get_running_loop().create_task(run_until(worker, done))
        await asyncio.sleep(0.05)  # the worker has started its lanes
        for number in range(1, 4):
            worker.offer(receive(database_url, sealer, "+15550100009", f"ana {number}"))
            worker.offer(receive(database_url, sealer, "+15550100008", f"ben {number}"))
        receive(database_url, sealer, "+15550100007", "twice")  # committed by another process: found by the poll
        await running

    asyncio.run(scenario())
    ana, ben = sealer.conversation_key("sms", "+15550100009"), sealer.conversation_key("sms", "+15550100008")
    assert handled[ana] == ["ana 1", "ana 2", "ana 3"] and handled[ben] == ["ben 1", "ben 2", "ben 3"]
    assert handled[sealer.conversation_key("sms", "+15550100007")] == ["twice"] and failures["twice"] == 0
    assert inbox.unprocessed_ids(database_url, ("sms",)) == []


def test_a_message_offered_twice_runs_once(database_url: str, sealer: Sealer) -> None:
    runs: List[int] = []
    done = asyncio.Event()

    async def process(inbound: Inbound) -> None:
        runs.append(inbound.id)
        await asyncio.sleep(0.05)
        await asyncio.to_thread(inbox.complete_turn, database_url, sealer, inbound, [])
        done.set()

    async def scenario() -> None:
        worker = InboxWorker("test", database_url, sealer, ("sms",), process, poll_s=0.01)
        running = asyncio.get_running_loop().create_task(run_until(worker, done))
        await asyncio.sleep(0.05)
        inbound = receive(database_url, sealer, "+15550100006", "hello")
        worker.offer(inbound)
        worker.offer(inbound)  # a provider retry, or the poll seeing it while it runs
        await running

    asyncio.run(scenario())
    assert len(runs) == 1


def test_a_worker_needs_a_lane(database_url: str, sealer: Sealer) -> None:
    async def process(inbound: Inbound) -> None:
        return None

    with pytest.raises(ValueError):
        InboxWorker("test", database_url, sealer, ("sms",), process, lanes=0)
