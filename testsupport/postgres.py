"""A throwaway PostgreSQL server for tests and benchmarks: its own data directory, a spare port.

Uses the PostgreSQL binaries Debian installs (``apt-get install postgresql``; ``make test`` does
it). As root, the server runs as the ``postgres`` user, as PostgreSQL requires.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator, List, Optional

from testsupport.servers import free_port


def binaries() -> Optional[Path]:
    """The newest installed PostgreSQL ``bin`` directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


def _as_server_user(command: List[str]) -> List[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + command
    return command


@contextlib.contextmanager
def running_postgres(durable: bool = False) -> Iterator[str]:
    """Start a server; yield its SQLAlchemy URL; stop it and remove its data afterwards.

    ``durable``: every commit reaches the disk, as in production (benchmarks); tests skip the
    syncing to run faster."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
    data = root / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    try:
        subprocess.run(
            _as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]),
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c max_connections=200"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off"
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start"]),
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait_until_ready(url)
        yield url
    finally:
        if data.exists():
            subprocess.run(
                _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_ready(url: str, timeout: float = 30.0) -> None:
    import sqlalchemy as sa

    deadline = time.monotonic() + timeout
    while True:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
                return
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            engine.dispose()
