"""Engines, sessions and schema migrations for the project's own tables.

Engines are made by :func:`engine_for` on first use, never at import. :func:`upgrade` applies the
Alembic migrations in ``bot/storage/migrations`` (SQLite by default; a PostgreSQL URL works the
same) and :func:`sessions` runs it once per process before handing out sessions.

An SQLite database is created readable by its owner only (its folder 0700 when this creates it,
the file and its journals 0600), and every connection overwrites deleted content
(``secure_delete``), so erased text does not linger in free pages; :func:`checkpoint` then moves
the write-ahead log into the file and empties it.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = threading.Lock()
MIGRATION_TRIES = 5


def _prepare_sqlite_file(url: str) -> None:
    """An SQLite file only its owner can read, in a folder only its owner can enter when this
    creates the folder (SQLite gives the journal and write-ahead log the file's permissions)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    path = Path(parsed.database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)


def apply_sqlite_pragmas(dbapi_connection: Any) -> None:
    """Write-ahead log, wait for other writers, and overwrite what is deleted."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def checkpoint(url: str) -> None:
    """SQLite: copy the write-ahead log into the database file and truncate it (after an erasure,
    so that what was erased is gone from the log too). Nothing to do on PostgreSQL."""
    engine = engine_for(url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


@functools.lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    """One engine per database URL and process."""
    _prepare_sqlite_file(url)
    engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            apply_sqlite_pragmas(dbapi_connection)

    return engine


def alembic_config(url: str):
    """Alembic configuration pointing at the packaged migrations and ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration up to ``revision``.

    Threads of one process take turns; when another process (the action server next to the
    Rasa server) migrates the same fresh database at the same moment, the loser waits and
    tries again, by which time the schema is there.
    """
    from alembic import command

    _prepare_sqlite_file(url)
    with _MIGRATION_LOCK:
        for attempt in range(1, MIGRATION_TRIES + 1):
            try:
                command.upgrade(alembic_config(url), revision)
                return
            except sa.exc.DBAPIError:
                if attempt == MIGRATION_TRIES:
                    raise
                time.sleep(0.5 * attempt)


@functools.lru_cache(maxsize=None)
def sessions(url: str) -> sessionmaker:
    """A session factory for ``url``, with the schema brought up to date first (once per process)."""
    upgrade(url)
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)


def new_session(url: str) -> Session:
    """A new session on ``url``'s database."""
    return sessions(url)()
