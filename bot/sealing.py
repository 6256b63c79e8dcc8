"""Sealing rows that were stored in clear before the project sealed them.

Rasa's tracker events and the escalations' summaries and wrap-ups are sealed when written (see
``bot.storage.tracker_store`` and ``bot.handoff``). Rows written by an earlier version are sealed
here, by ``hotline db upgrade`` (a schema migration cannot: it does not hold the key). Running it
again finds nothing to do.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict

import sqlalchemy as sa

from bot.crypto import Sealer
from bot.handoff.escalation import flags_of
from bot.handoff.queue import wrapup_categories
from bot.storage import TRACKER_EVENTS_TABLE
from bot.storage.db import checkpoint, engine_for, sessions

logger = logging.getLogger(__name__)

BATCH = 500


def seal_legacy_rows(url: str, sealer: Sealer) -> Dict[str, int]:
    """Seal what an earlier version left in clear; how many rows of each table were sealed."""
    sessions(url)  # the schema is up to date
    engine = engine_for(url)
    sealed = {"escalations": _seal_escalations(engine, sealer)}
    if sa.inspect(engine).has_table(TRACKER_EVENTS_TABLE):
        sealed[TRACKER_EVENTS_TABLE] = _seal_events(engine, sealer)
    if any(sealed.values()):
        checkpoint(url)  # the clear copies leave SQLite's write-ahead log too
        logger.info("Sealed rows stored in clear by an earlier version: %s.", sealed)
    return sealed


def _seal_escalations(engine: sa.engine.Engine, sealer: Sealer) -> int:
    table = sa.Table("escalations", sa.MetaData(), autoload_with=engine)
    count = 0
    with engine.begin() as connection:
        rows = connection.execute(
            sa.select(table.c.id, table.c.summary, table.c.wrapup, table.c.summary_sealed, table.c.wrapup_sealed).where(
                sa.or_(table.c.summary_sealed.is_(None), sa.and_(table.c.wrapup.is_not(None), table.c.wrapup_sealed.is_(None)))
            )
        ).all()
        for row in rows:
            values: Dict[str, Any] = {}
            if row.summary_sealed is None:
                summary = row.summary or {}
                values.update(summary=flags_of(summary), summary_sealed=sealer.seal(json.dumps(summary)))
            if row.wrapup is not None and row.wrapup_sealed is None:
                wrapup = row.wrapup
                values.update(
                    wrapup=wrapup_categories(wrapup),
                    wrapup_sealed=sealer.seal(json.dumps(wrapup)),
                )
            connection.execute(sa.update(table).where(table.c.id == row.id).values(**values))
            count += 1
    return count


def _seal_events(engine: sa.engine.Engine, sealer: Sealer) -> int:
    table = sa.Table(TRACKER_EVENTS_TABLE, sa.MetaData(), autoload_with=engine)
    count = 0
    while True:
        with engine.begin() as connection:
            rows = connection.execute(
                sa.select(table.c.id, table.c.data).where(table.c.data.like("{%")).order_by(table.c.id).limit(BATCH)
            ).all()
            for row in rows:
                connection.execute(
                    sa.update(table).where(table.c.id == row.id).values(
                        data=sealer.seal(row.data), intent_name=None, action_name=None
                    )
                )
        count += len(rows)
        if len(rows) < BATCH:
            return count
