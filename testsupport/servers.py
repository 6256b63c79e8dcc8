"""Start the Rasa server, the action server (and the Twilio receiver) as child processes.

``make run`` uses the Procfile instead; this module gives tests and ``make bench`` the same
servers on spare ports, with their own database and log files, and stops them afterwards.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

from bot.config import PROJECT_ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 300.0) -> None:
    """Poll ``url`` until it answers; fail early when the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f} s")


def server_environment(database_url: str, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment of a test's servers: its own database and master key, and the action
    server's shared secret derived from that key (as ``hotline secrets action-token`` prints it)."""
    import base64

    from bot.crypto import action_server_token, new_master_key

    key = new_master_key()
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_SECRET_KEY": key,
        "HOTLINE_ACTION_TOKEN": action_server_token(base64.urlsafe_b64decode(key)),
        **(extra or {}),
    }
    env.pop("HOTLINE_SECRET_KEY_FILE", None)
    return env


@dataclass
class RunningServers:
    """The running pair; the Rasa server can be killed and started again (crash tests)."""

    url: str
    database_url: str
    logs: Path
    start_rasa: Callable[[], subprocess.Popen]
    processes: List[subprocess.Popen]  # the action server, the Rasa server, then the others
    receiver_url: Optional[str] = None
    console_url: Optional[str] = None
    environment: Optional[Dict[str, str]] = None  # what the servers run with (database, key)
    start_actions: Optional[Callable[[], subprocess.Popen]] = None
    actions_url: Optional[str] = None

    def rows(self, sql: str, **params) -> list:
        """Rows of a read-only query on the servers' database (what tests check was stored)."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(sa.text(sql), params))
        finally:
            engine.dispose()

    def kill_rasa(self) -> None:
        """SIGKILL the Rasa server, as a crash would."""
        rasa = self.processes[1]
        rasa.kill()
        rasa.wait(timeout=30)

    def restart_rasa(self) -> None:
        self.processes[1] = self.start_rasa()
        wait_for(f"{self.url}/", self.processes[1])

    def kill_actions(self) -> None:
        """SIGKILL the action server, as a crash would."""
        self.processes[0].kill()
        self.processes[0].wait(timeout=30)

    def restart_actions(self) -> None:
        self.processes[0] = self.start_actions()
        wait_for(f"{self.actions_url}/health", self.processes[0])


def _stop(processes: List[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def hotline_servers(
    workdir: Path,
    model: Path,
    extra_env: Optional[Dict[str, str]] = None,
    credentials: Optional[Path] = None,
    twilio_receiver: bool = False,
    console: bool = False,
    tracker_store: Optional[str] = None,
    debug: bool = False,
) -> Iterator[RunningServers]:
    """The project's Rasa server and action server on spare ports (``credentials`` picks the
    channels; the project's ``credentials.yml`` by default), and the Twilio receiver if asked.
    ``tracker_store`` replaces the tracker store class of ``endpoints.yml`` (benchmarks);
    ``debug`` runs the Rasa server and the action server at DEBUG level (log privacy tests)."""
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{workdir / 'hotline.db'}"
    rasa_port, actions_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        (PROJECT_ROOT / "endpoints.yml")
        .read_text(encoding="utf-8")
        .replace("http://127.0.0.1:5055/webhook", f"http://127.0.0.1:{actions_port}/webhook")
        .replace("type: bot.storage.tracker_store.HotlineTrackerStore", f"type: {tracker_store or 'bot.storage.tracker_store.HotlineTrackerStore'}"),
        encoding="utf-8",
    )
    # its own translation models (none unless a test installs some), never an operator's in var/
    env = server_environment(database_url, {"HOTLINE_TRANSLATION_MODELS": str(workdir / "translation-models"), **(extra_env or {})})
    processes: List[subprocess.Popen] = []
    try:
        def start_actions() -> subprocess.Popen:
            return subprocess.Popen(
                [str(BIN / "hotline"), "actions", "--port", str(actions_port), *(["--debug"] if debug else [])],
                cwd=PROJECT_ROOT, env=env, stdout=open(workdir / "actions.log", "a"), stderr=subprocess.STDOUT,  # noqa: SIM115 - the log stays open as long as the process
            )

        processes.append(start_actions())

        def start_rasa() -> subprocess.Popen:
            return subprocess.Popen(
                [
                    str(BIN / "rasa"), "run", "--interface", "127.0.0.1", "--port", str(rasa_port),
                    "--model", str(model), "--endpoints", str(endpoints),
                    "--credentials", str(credentials or PROJECT_ROOT / "credentials.yml"),
                    *(["--debug"] if debug else []),
                ],
                cwd=PROJECT_ROOT, env=env, stdout=open(workdir / "rasa.log", "a"), stderr=subprocess.STDOUT,  # noqa: SIM115 - the log stays open as long as the process
            )

        processes.append(start_rasa())
        receiver_url = None
        if twilio_receiver:
            receiver_port = free_port()
            receiver_url = f"http://127.0.0.1:{receiver_port}"
            processes.append(
                subprocess.Popen(
                    [str(BIN / "hotline"), "twilio-receiver", "--port", str(receiver_port)],
                    cwd=PROJECT_ROOT, env=env, stdout=open(workdir / "receiver.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115 - the log stays open as long as the process
                )
            )
        console_url = None
        if console:
            console_process, console_url = start_console(workdir, env)
            processes.append(console_process)
        wait_for(f"http://127.0.0.1:{actions_port}/health", processes[0])
        wait_for(f"http://127.0.0.1:{rasa_port}/", processes[1])
        if receiver_url:
            wait_for(f"{receiver_url}/health", processes[2])
        if console_url:
            wait_for(f"{console_url}/console/health", processes[-1])
        yield RunningServers(
            f"http://127.0.0.1:{rasa_port}", database_url, workdir, start_rasa, processes, receiver_url, console_url,
            {k: v for k, v in env.items() if k.startswith("HOTLINE_")}, start_actions,
            f"http://127.0.0.1:{actions_port}",
        )
    finally:
        _stop(processes)


def start_console(workdir: Path, env: Dict[str, str]) -> "tuple[subprocess.Popen, str]":
    """The counselor console on a spare port (``localhost``: browsers keep its Secure cookie on http)."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "hotline"), "console", "--port", str(port)],
        cwd=PROJECT_ROOT, env=env, stdout=open(workdir / "console.log", "a"), stderr=subprocess.STDOUT,  # noqa: SIM115 - the log stays open as long as the process
    )
    return process, f"http://localhost:{port}"


@contextlib.contextmanager
def console_server(workdir: Path, env: Dict[str, str]) -> Iterator[str]:
    """Only the console (no Rasa), for tests of the console itself."""
    workdir.mkdir(parents=True, exist_ok=True)
    process, url = start_console(workdir, {**os.environ, "HOTLINE_TRANSLATION_MODELS": str(workdir / "translation-models"), **env})
    try:
        wait_for(f"{url}/console/health", process)
        yield url
    finally:
        _stop([process])


@contextlib.contextmanager
def stock_rasa_server(project_dir: Path) -> Iterator[str]:
    """A stock ``rasa init`` assistant (trained once into ``project_dir``), served on a spare port."""
    if not list((project_dir / "models").glob("*.tar.gz")):
        project_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project_dir), "--quiet"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "rasa"), "run", "--interface", "127.0.0.1", "--port", str(port)],
        cwd=project_dir, stdout=open(project_dir / "rasa.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115 - the log stays open as long as the process
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop([process])
