"""Nothing a person wrote is readable at rest: every store written through the product's own code,
then the raw bytes read back (SQLite's file and write-ahead log; PostgreSQL's tables as ``COPY
... TO STDOUT`` gives them). Also: the file is its owner's only, a changed record is refused, and
rows an earlier version stored in clear are sealed by ``hotline db upgrade``."""

from __future__ import annotations

import asyncio
import io
import json
import stat
from pathlib import Path
from typing import List, Tuple

import pytest
import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from bot import inbox
from bot.config import Settings
from bot.crypto import Sealer
from bot.handoff import case_notes
from bot.handoff import queue as handoff_queue
from bot.handoff.escalation import HandoffSummary, escalate
from bot.storage.db import engine_for, new_session

# What a person might write, and what must never be found at rest.
NAME, PASSPORT, STREET, PHONE = "Ana Gomez", "X7654321", "Calle Sol", "+15550109876"
MESSAGE = f"my name is {NAME}, the boss keeps passport {PASSPORT}, we live at 14 {STREET}, he has a knife"
SECRETS = (NAME, PASSPORT, STREET, PHONE, PHONE[2:], "has a knife")


def tracker_store(url: str, sealer: Sealer):
    from rasa.shared.core.domain import Domain

    from bot.storage import ERASURE_SLOT
    from bot.storage.tracker_store import HotlineTrackerStore

    slots = {name: {"type": "any", "mappings": [{"type": "custom"}]} for name in ("screen_documents", ERASURE_SLOT)}
    return HotlineTrackerStore(domain=Domain.from_dict({"slots": slots}), database_url=url, sealer=sealer)


def store_everything(url: str, sealer: Sealer) -> Tuple[str, int]:
    """One conversation through every store: Rasa's events, the inbox and outbox, the reply
    address, an escalation with evidence, a counselor's reply, a case note and a wrap-up."""
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    received = inbox.record_inbound(url, sealer, "SM" + "1" * 32, "sms", PHONE, "+15550100001", MESSAGE)
    assert received is not None
    key = received.conversation_key
    parse = {"intent": {"name": "emergency", "confidence": 0.99}, "text": MESSAGE,
             "indicators": [{"key": "retention_of_documents", "confidence": 0.9, "evidence": f"keeps passport {PASSPORT}"}]}
    events = [UserUttered(MESSAGE, parse_data=parse, metadata={"from": PHONE}), SlotSet("screen_documents", f"{PASSPORT} held"),
              BotUttered(f"{NAME}, call 911 now")]
    asyncio.run(tracker_store(url, sealer).save(DialogueStateTracker.from_events(key, events)))
    inbox.complete_turn(url, sealer, received, [f"{NAME}, call 911 now"])
    summary = HandoffSummary(danger=True, indicators=parse["indicators"], screening={"screen_documents": f"{PASSPORT} held"})
    escalation = escalate(url, sealer, key, reason="emergency", language="en", jurisdiction="US", summary=summary,
                          requested=True, channel="sms")
    handoff_queue.claim(url, escalation.id, counselor_id=1)
    inbox.queue_outbound(url, sealer, key, f"{NAME}, are you somewhere safe from him?", "counselor", 1)
    case_notes.add_note(url, sealer, escalation.id, 1, f"{NAME} at 14 {STREET}, passport {PASSPORT}")
    handoff_queue.close(url, sealer, escalation.id, {"outcome": "referred", "referral": f"shelter near {STREET}", "follow_up": True})
    return key, int(escalation.id)


def raw_contents(url: str) -> List[bytes]:
    """Everything the database holds, as someone with a copy of it would read it."""
    engine = engine_for(url)
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database)
        return [file.read_bytes() for file in (path, Path(f"{path}-wal")) if file.exists()]
    dumps = []
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        for table in sa.inspect(engine).get_table_names():
            buffer = io.StringIO()
            cursor.copy_expert(f'COPY "{table}" TO STDOUT', buffer)
            dumps.append(buffer.getvalue().encode("utf-8"))
    finally:
        connection.close()
    return dumps


def test_nothing_a_person_wrote_is_readable_at_rest(any_database_url: str, sealer: Sealer) -> None:
    key, escalation_id = store_everything(any_database_url, sealer)
    contents = raw_contents(any_database_url)
    assert contents and sum(len(content) for content in contents) > 2_000  # (the dump is really there)
    for secret in SECRETS:
        assert not any(secret.encode() in content for content in contents), f"{secret!r} is readable at rest"
    # ... and all of it is still there for those who hold the key
    store = tracker_store(any_database_url, sealer)
    assert asyncio.run(store.retrieve(key)).latest_message.text == MESSAGE
    item = handoff_queue.get(any_database_url, escalation_id)
    summary = handoff_queue.summary_of(any_database_url, sealer, escalation_id)
    assert summary["indicators"][0]["evidence"] == f"keeps passport {PASSPORT}" and item.danger
    assert [e["text"] for e in inbox.transcript(any_database_url, sealer, key, 0, 0, unsent=True)][0] == MESSAGE


def test_the_database_and_its_log_are_their_owners_only(tmp_path: Path, sealer: Sealer) -> None:
    data = tmp_path / "var"
    url = f"sqlite:///{data / 'hotline.db'}"
    store_everything(url, sealer)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    with engine_for(url).connect() as connection:  # while it is open, SQLite keeps its log files
        connection.exec_driver_sql("SELECT count(*) FROM escalations")
        for name in ("hotline.db", "hotline.db-wal", "hotline.db-shm"):
            assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name


def test_a_changed_record_is_refused_not_read(database_url: str, sealer: Sealer) -> None:
    key, _ = store_everything(database_url, sealer)
    with engine_for(database_url).begin() as connection:
        data = connection.execute(sa.text("SELECT data FROM events ORDER BY id LIMIT 1")).scalar_one()
        changed = data[:40] + ("A" if data[40] != "A" else "B") + data[41:]
        connection.execute(sa.text("UPDATE events SET data = :d WHERE data = :o"), {"d": changed, "o": data})
    with pytest.raises(InvalidToken):
        asyncio.run(tracker_store(database_url, sealer).retrieve(key))
    with pytest.raises(InvalidToken):  # nor does another key open anything
        asyncio.run(tracker_store(database_url, Sealer(b"another key, thirty-two bytes..")).retrieve(key))


def test_rows_an_earlier_version_stored_in_clear_are_sealed_by_db_upgrade(settings: Settings, sealer: Sealer) -> None:
    from hotline.cli import main

    url = settings.database_url
    tracker_store(url, sealer)  # Rasa's events table
    summary = {"danger": True, "indicators": [{"key": "retention_of_documents", "evidence": f"passport {PASSPORT}"}]}
    with new_session(url) as session:  # as the earlier version wrote them
        session.execute(sa.text(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, data) VALUES ('old', 'user', 1, 'emergency', :d)"
        ), {"d": json.dumps({"event": "user", "timestamp": 1, "text": MESSAGE, "parse_data": {}})})
        session.execute(sa.text(
            "INSERT INTO escalations (conversation_id, channel, status, priority, reason, language, summary, created_at, updated_at,"
            " wrapup) VALUES ('old', 'sms', 'closed', 1, 'emergency', 'en', :s, '2026-11-01 09:00:00.000000', '2026-11-01 09:00:00.000000', :w)"
        ), {"s": json.dumps(summary), "w": json.dumps({"outcome": "referred", "referral": f"near {STREET}"})})
        session.commit()
    assert any(PASSPORT.encode() in content for content in raw_contents(url))

    assert main(["db", "upgrade"], settings) == 0
    assert main(["db", "upgrade"], settings) == 0  # again: nothing left to do

    assert not any(secret.encode() in content for content in raw_contents(url) for secret in (PASSPORT, STREET, NAME))
    assert asyncio.run(tracker_store(url, sealer).retrieve("old")).latest_message.text == MESSAGE
    [old] = [item for item in handoff_queue.items(url, [1])]
    assert old.danger and handoff_queue.summary_of(url, sealer, old.id) == summary
