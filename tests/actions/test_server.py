"""The action server attacked over HTTP: without the shared secret it runs nothing, it listens on
127.0.0.1 only, and it never sends a request's conversation back."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple

import pytest

from bot.config import settings_from
from bot.crypto import Sealer
from bot.handoff.escalation import HandoffSummary, escalate, open_escalation
from testsupport.servers import BIN, PROJECT_ROOT, _stop, free_port, server_environment, wait_for

HEADER = "X-Hotline-Action-Token"


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, Dict[str, str]]]:
    workdir = tmp_path_factory.mktemp("actions")
    env = server_environment(f"sqlite:///{workdir / 'hotline.db'}")
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "hotline"), "actions", "--port", str(port)],
        cwd=PROJECT_ROOT, env=env, stdout=open(workdir / "actions.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115 - the log stays open as long as the process
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/health", process)
        yield f"http://127.0.0.1:{port}", env
    finally:
        _stop([process])


def erase_call(sender: str) -> bytes:
    """What the Rasa server sends to run ``action_delete_data`` (after the person confirmed)."""
    tracker = {
        "sender_id": sender, "slots": {"welcomed": True, "delete_pending": True},
        "latest_message": {"text": "yes", "intent": {"name": "affirm", "confidence": 0.99}, "entities": []},
        "events": [], "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
    }
    return json.dumps({"next_action": "action_delete_data", "sender_id": sender, "tracker": tracker, "domain": {},
                       "version": "3.6.21"}).encode()


def post(url: str, body: bytes, token: Optional[str]) -> Tuple[int, str]:
    headers = {"Content-Type": "application/json", **({HEADER: token} if token is not None else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def someone_waiting(env: Dict[str, str], sender: str) -> None:
    sealer = Sealer(base64.urlsafe_b64decode(env["HOTLINE_SECRET_KEY"]))
    escalate(env["HOTLINE_DATABASE_URL"], sealer, sender, reason="requested", language="en", jurisdiction="US",
             summary=HandoffSummary(), requested=True, channel="web")


@pytest.mark.parametrize("token", [None, "", "guessed-token", "x" * 5000])
def test_without_the_shared_secret_nothing_runs(action_server: Tuple[str, Dict[str, str]], token: Optional[str]) -> None:
    base, env = action_server
    someone_waiting(env, "web-victim")
    status, body = post(f"{base}/webhook", erase_call("web-victim"), token)
    assert status == 401 and "web-victim" not in body
    assert open_escalation(env["HOTLINE_DATABASE_URL"], "web-victim") is not None  # nothing was erased
    status, _ = post(f"{base}/actions", b"", token)
    assert status in (401, 405)


def test_the_rasa_servers_secret_runs_the_action(action_server: Tuple[str, Dict[str, str]]) -> None:
    base, env = action_server
    someone_waiting(env, "web-asked")
    token = settings_from(env).action_token()
    assert token == env["HOTLINE_ACTION_TOKEN"]  # derived from the master key, as the CLI prints it
    status, body = post(f"{base}/webhook", erase_call("web-asked"), token)
    assert status == 200 and "utter_data_deleted" in body
    assert open_escalation(env["HOTLINE_DATABASE_URL"], "web-asked") is None


def test_an_oversized_or_broken_request_is_refused_without_echoing_it(action_server: Tuple[str, Dict[str, str]]) -> None:
    base, env = action_server
    token = env["HOTLINE_ACTION_TOKEN"]
    try:
        status, _ = post(f"{base}/webhook", b"{" + b" " * (5 * 1024 * 1024) + b"}", token)
    except urllib.error.URLError as cut_off:  # answered 413 and closed while the body was still coming
        assert isinstance(cut_off.reason, ConnectionResetError)
    else:
        assert status == 413
    broken = json.loads(erase_call("web-broken"))
    broken["next_action"] = "action_track_context"
    broken["tracker"]["latest_message"] = "my passport number is X1234567, call +15550100001"  # not a mapping
    status, body = post(f"{base}/webhook", json.dumps(broken).encode(), token)
    assert status >= 400 and "X1234567" not in body and "+15550100001" not in body
    log = Path(env["HOTLINE_DATABASE_URL"].removeprefix("sqlite:///")).parent / "actions.log"
    assert "context.py" in log.read_text(encoding="utf-8")  # where it failed is logged
    assert "X1234567" not in log.read_text(encoding="utf-8")  # what the person wrote is not


def test_it_listens_on_the_loopback_interface_only(action_server: Tuple[str, Dict[str, str]]) -> None:
    base = action_server[0]
    port = int(base.rsplit(":", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outward address
        outward = probe.getsockname()[0]
    if outward.startswith("127."):
        pytest.skip("this machine has no address but loopback")
    with pytest.raises(OSError):
        socket.create_connection((outward, port), timeout=2).close()


def test_the_documented_setup_sends_the_secret(project_root: Path) -> None:
    endpoints = (project_root / "endpoints.yml").read_text(encoding="utf-8")
    assert f"{HEADER}: ${{HOTLINE_ACTION_TOKEN}}" in endpoints and "127.0.0.1:5055" in endpoints
    procfile = (project_root / "Procfile").read_text(encoding="utf-8")
    assert "hotline actions" in procfile and "rasa run actions" not in procfile
    assert 'HOTLINE_ACTION_TOKEN="$(.venv/bin/hotline secrets action-token)"' in procfile
