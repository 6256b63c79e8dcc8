"""Engines, sessions and schema migrations for the project's own tables.

Engines are made by :func:`engine_for` on first use, never at import. :func:`upgrade` applies the
Alembic migrations in ``bot/storage/migrations`` (SQLite by default; a PostgreSQL URL works the
same) and :func:`sessions` runs it once per process before handing out sessions.
"""

from __future__ import annotations

import functools
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = threading.Lock()
MIGRATION_TRIES = 5


def _prepare_sqlite_file(url: str) -> None:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


@functools.lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    """One engine per database URL and process."""
    _prepare_sqlite_file(url)
    engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

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
