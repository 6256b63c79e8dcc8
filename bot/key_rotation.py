"""``hotline keys rotate``: every sealed record re-sealed under a new key while the line runs.

1. A new sealing key is written into the key file, first (it seals from now on); the old ones stay
   after it (they still open). Running servers notice the changed file within
   ``bot.crypto.RELOAD_SECONDS`` and switch.
2. Every sealed value in the database (each ``*_sealed`` column, and Rasa's tracker events) that
   the new key does not open is opened and sealed again under it. A value changed meanwhile by a
   server is left alone and looked at again in the next pass; passes repeat until one finds
   nothing left under an old key.
3. The old keys are removed from the file: what they sealed is gone from the database (backups
   made before the rotation still need them; keep the old file with those backups, apart).

Conversation keys and message fingerprints do not change (they are keyed hashes, not sealed
text): the key file keeps their keys as they are.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from bot.crypto import RELOAD_SECONDS, KeyRing, Sealer, write_key_file
from bot.errors import ConfigError
from bot.storage import TRACKER_EVENTS_TABLE
from bot.storage.db import checkpoint, engine_for, sessions

logger = logging.getLogger(__name__)

BATCH = 500
MAX_PASSES = 20


@dataclass
class RotationReport:
    resealed: Dict[str, int] = field(default_factory=dict)
    passes: int = 0


def sealed_columns(url: str) -> List[Tuple[str, str, str]]:
    """(table, primary key column, sealed column) for every sealed value in the database."""
    engine = engine_for(url)
    inspector = sa.inspect(engine)
    found = []
    for table in sorted(inspector.get_table_names()):
        key = (inspector.get_pk_constraint(table).get("constrained_columns") or [None])[0]
        for column in inspector.get_columns(table):
            name = column["name"]
            if name.endswith("_sealed") or (table == TRACKER_EVENTS_TABLE and name == "data"):
                found.append((table, key, name))
    return found


def _reseal_pass(url: str, sealer: Sealer, newest: Sealer) -> Dict[str, int]:
    engine = engine_for(url)
    done: Dict[str, int] = {}
    for table_name, key_name, column_name in sealed_columns(url):
        table = sa.Table(table_name, sa.MetaData(), autoload_with=engine)
        key, column = table.c[key_name], table.c[column_name]
        last = None
        while True:
            query = sa.select(key, column).where(column.is_not(None)).order_by(key).limit(BATCH)
            if last is not None:
                query = query.where(key > last)
            with engine.begin() as connection:
                rows = connection.execute(query).all()
                for row_key, value in rows:
                    try:
                        newest.open(value)
                        continue  # already under the new key
                    except InvalidToken:
                        pass
                    fresh = newest.seal(sealer.open(value))
                    changed = connection.execute(
                        sa.update(table).where(key == row_key, column == value).values({column_name: fresh})
                    ).rowcount
                    done[f"{table_name}.{column_name}"] = done.get(f"{table_name}.{column_name}", 0) + (changed or 0)
            if len(rows) < BATCH:
                break
            last = rows[-1][0]
    return done


def rotate(url: str, key_file: Path, *, say: Callable[[str], None] = print, wait_s: float = 2 * RELOAD_SECONDS) -> RotationReport:
    """Rotate the sealing key of ``key_file`` and re-seal the database ``url`` (see the module)."""
    if not key_file.exists():
        raise ConfigError(f"no key file at {key_file}: rotation needs HOTLINE_SECRET_KEY_FILE (not HOTLINE_SECRET_KEY)")
    sessions(url)  # the schema is up to date
    ring = KeyRing.parse(key_file.read_text(encoding="ascii"))
    rotated = ring.rotated()
    write_key_file(key_file, rotated)
    say(f"new sealing key written to {key_file}; servers switch to it within {RELOAD_SECONDS:.0f} s")
    time.sleep(wait_s)
    sealer, newest = Sealer(rotated), Sealer(rotated.newest_only())
    report = RotationReport()
    while report.passes < MAX_PASSES:
        report.passes += 1
        done = _reseal_pass(url, sealer, newest)
        for column, count in done.items():
            report.resealed[column] = report.resealed.get(column, 0) + count
        if not any(done.values()):
            break
        time.sleep(wait_s)  # a server may still have sealed with the old key: look again
    else:
        raise RuntimeError("values sealed under the old key keep appearing: is a server not reading the key file?")
    checkpoint(url)
    write_key_file(key_file, rotated.newest_only())
    say(f"re-sealed {sum(report.resealed.values())} values in {report.passes} passes; the old key is removed from {key_file}")
    return report
