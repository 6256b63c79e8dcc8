"""Erasure: one conversation leaves every store, on SQLite and PostgreSQL, and nothing else does."""

from __future__ import annotations

import asyncio
from typing import Dict

import pytest
import sqlalchemy as sa

from bot.crypto import Sealer
from bot.erasure import ERASED_BY_CONVERSATION_KEY, ERASED_WITH_ESCALATION, HOLDS_NO_CONVERSATION_DATA, erase_conversation
from bot.handoff.escalation import HandoffSummary, escalate
from bot.storage.db import engine_for, new_session
from bot.storage.models import CaseNote, ChannelAddress, InboundMessage, MessageTranslation, OutboundMessage

PEOPLE = ("erase-me", "keep-me")
# A test key for rows whose sealed parts these tests never open.
SEALER = Sealer(b"test key of thirty-two bytes ...")


def _tracker_store(url: str):
    from rasa.shared.core.domain import Domain

    from bot.storage import ERASURE_SLOT
    from bot.storage.tracker_store import HotlineTrackerStore

    domain = Domain.from_dict({"slots": {ERASURE_SLOT: {"type": "bool", "mappings": [{"type": "custom"}]}}})
    return HotlineTrackerStore(domain=domain, database_url=url, sealer=SEALER)


def _store_a_conversation(url: str, key: str) -> None:
    """What one conversation leaves behind: tracker events, an escalation with a case note, the
    channel's inbox and outbox rows, a machine translation and its reply address."""
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = _tracker_store(url)
    asyncio.run(store.save(DialogueStateTracker.from_events(key, [UserUttered("he keeps my passport")])))
    escalation = escalate(url, SEALER, key, reason="requested", language="en", jurisdiction="US", summary=HandoffSummary(), requested=True)
    with new_session(url) as session:
        session.add(CaseNote(escalation_id=escalation.id, counselor_id=1, body_sealed="sealed note"))
        session.add(ChannelAddress(conversation_key=key, channel="sms", address_sealed="sealed", hotline_number="+15550100000"))
        inbound = InboundMessage(provider_sid=f"SM{key}", conversation_key=key, body_sealed="sealed text")
        session.add(inbound)
        session.flush()
        session.add(MessageTranslation(conversation_key=key, inbound_id=inbound.id, language="en", body_sealed="sealed translation"))
        session.add(OutboundMessage(conversation_key=key, channel="sms", address_sealed="sealed", hotline_number="+15550100000", body_sealed="sealed reply"))
        session.commit()


def _rows_of(url: str, key: str) -> Dict[str, int]:
    """Rows per table that belong to the conversation ``key``."""
    engine = engine_for(url)
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    counts: Dict[str, int] = {}
    with engine.connect() as connection:
        escalation_ids = [
            row[0] for row in connection.execute(sa.select(metadata.tables["escalations"].c.id).where(metadata.tables["escalations"].c.conversation_id == key))
        ]
        for name, column in ERASED_BY_CONVERSATION_KEY.items():
            table = metadata.tables[name]
            counts[name] = connection.execute(sa.select(sa.func.count()).select_from(table).where(table.c[column] == key)).scalar_one()
        for name, column in ERASED_WITH_ESCALATION.items():
            table = metadata.tables[name]
            counts[name] = connection.execute(sa.select(sa.func.count()).select_from(table).where(table.c[column].in_(escalation_ids or [-1]))).scalar_one()
    return counts


def test_every_table_says_whether_and_how_it_is_erased(database_url: str) -> None:
    """A new table holding conversation data must be added to bot.erasure, or this fails."""
    _tracker_store(database_url)  # Rasa creates its events table on the same database
    new_session(database_url).close()  # and the migrations create the rest
    tables = set(sa.inspect(engine_for(database_url)).get_table_names())
    classified = {*ERASED_BY_CONVERSATION_KEY, *ERASED_WITH_ESCALATION, *HOLDS_NO_CONVERSATION_DATA}
    assert tables - classified == set(), "tables with no erasure rule in bot/erasure.py"
    assert classified - tables == set(), "bot/erasure.py names tables that do not exist"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_erasure_removes_a_conversation_from_every_store_and_nothing_of_another(database: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("database_url" if database == "sqlite" else "postgres_url")
    for key in PEOPLE:
        _store_a_conversation(url, key)
    before = _rows_of(url, "erase-me")
    assert all(count > 0 for count in before.values()), before  # every store really held something

    report = erase_conversation(url, "erase-me")

    assert _rows_of(url, "erase-me") == {name: 0 for name in before}
    assert _rows_of(url, "keep-me") == before  # the other conversation is untouched
    assert report.rows["case_notes"] == 1 and report.total == sum(before.values())


def test_an_erased_conversation_starts_fresh_and_erasing_twice_finds_nothing(database_url: str) -> None:
    _store_a_conversation(database_url, "erase-me")
    erase_conversation(database_url, "erase-me")
    assert asyncio.run(_tracker_store(database_url).retrieve("erase-me")) is None
    assert erase_conversation(database_url, "erase-me").total == 0


def test_erasure_refuses_an_empty_key(database_url: str) -> None:
    with pytest.raises(ValueError):
        erase_conversation(database_url, "")
