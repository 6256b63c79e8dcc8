"""Escalation records and erasure, on a real SQLite database created by the migrations."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from bot.crypto import Sealer
from bot.handoff.escalation import HandoffSummary, Priority, escalate, open_escalation, priority_for
from bot.storage.db import engine_for


def test_migrations_create_the_escalations_table(database_url: str, sealer: Sealer) -> None:
    escalate(database_url, sealer, "c1", reason="requested", language="en", jurisdiction="US", summary=HandoffSummary(), requested=True)
    tables = sa.inspect(engine_for(database_url)).get_table_names()
    assert "escalations" in tables and "alembic_version" in tables


def test_priority_follows_risk() -> None:
    assert priority_for(HandoffSummary(danger=True), requested=False) is Priority.EMERGENCY
    assert priority_for(HandoffSummary(child_mentioned=True), requested=True) is Priority.CHILD
    assert priority_for(HandoffSummary(indicators=[{"key": "deception"}]), requested=True) is Priority.INDICATORS
    assert priority_for(HandoffSummary(), requested=True) is Priority.REQUESTED
    assert priority_for(HandoffSummary(), requested=False) is Priority.OTHER


def test_a_conversation_has_one_open_request_whose_priority_only_rises(database_url: str, sealer: Sealer) -> None:
    first = escalate(database_url, sealer, "c1", reason="requested", language="es", jurisdiction=None, summary=HandoffSummary(), requested=True)
    urgent = escalate(database_url, sealer, "c1", reason="emergency", language="es", jurisdiction="US",
        summary=HandoffSummary(danger=True, screening={"screen_paid": "no"}), requested=True,
    )
    calmer = escalate(database_url, sealer, "c1", reason="requested", language="es", jurisdiction="US", summary=HandoffSummary(), requested=True)
    assert first.id == urgent.id == calmer.id
    record = open_escalation(database_url, "c1")
    assert record.priority == Priority.EMERGENCY and record.reason == "emergency" and record.jurisdiction == "US"
    assert record.created_at == first.created_at  # keeps its place in the queue


def test_tracker_store_erases_a_conversation_when_asked(database_url: str, sealer: Sealer) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.storage import ERASURE_SLOT
    from bot.storage.tracker_store import HotlineTrackerStore

    domain = Domain.from_dict({"slots": {ERASURE_SLOT: {"type": "bool", "mappings": [{"type": "custom"}]}}})
    store = HotlineTrackerStore(domain=domain, database_url=database_url, sealer=sealer)

    async def scenario() -> None:
        for sender in ("alice", "bob"):
            tracker = DialogueStateTracker.from_events(sender, [UserUttered("they took my passport")], slots=domain.slots)
            await store.save(tracker)
        alice = await store.retrieve("alice")
        alice.update(SlotSet(ERASURE_SLOT, True))
        await store.save(alice)
        assert await store.retrieve("alice") is None
        assert (await store.retrieve("bob")).latest_message.text == "they took my passport"

    asyncio.run(scenario())


def test_conversation_keys_join_formats_of_one_number_and_never_two_different_addresses() -> None:
    import base64

    from bot.crypto import Sealer, new_master_key

    sealer = Sealer(base64.urlsafe_b64decode(new_master_key()))
    key = sealer.conversation_key
    assert key("whatsapp", "whatsapp:+1 (555) 010-0000") == key("whatsapp", "whatsapp:+15550100000")
    assert key("sms", "+15550100000") != key("sms", "+15550100001")
    # web chat ids are random hex: two that share their digits are still two people
    assert key("web", "a1b2c3d4" * 4) != key("web", "f1e2d3c4" * 4)
    assert "15550100000" not in key("sms", "+15550100000")
