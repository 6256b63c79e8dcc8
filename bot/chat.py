"""``hotline chat``: a terminal conversation with the running server through Rasa's REST channel."""

from __future__ import annotations

import json
import secrets
import sys
import urllib.error
import urllib.request
from typing import Callable, List

REST_PATH = "/webhooks/rest/webhook"


def send(base_url: str, sender: str, text: str, timeout: float = 60.0) -> List[str]:
    """Send one message; return the bot's replies (texts) in order."""
    body = json.dumps({"sender": sender, "message": text}).encode("utf-8")
    request = urllib.request.Request(
        base_url.rstrip("/") + REST_PATH, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        replies = json.loads(response.read().decode("utf-8"))
    return [reply["text"] for reply in replies if reply.get("text")]


def run_chat(base_url: str, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> int:
    """Read lines until EOF or /quit and print the bot's replies. Returns an exit code."""
    sender = "cli-" + secrets.token_hex(8)
    write(f"Connected to {base_url}. Type a message; /quit to leave. (The bot never writes first.)")
    while True:
        try:
            text = read("you> ")
        except (EOFError, KeyboardInterrupt):
            write("")
            return 0
        if text.strip() in {"/quit", "/exit"}:
            return 0
        if not text.strip():
            continue
        try:
            replies = send(base_url, sender, text)
        except (urllib.error.URLError, OSError) as error:
            write(f"Cannot reach the assistant at {base_url} ({error}). Is 'make run' running?")
            return 1
        if not replies:
            write("bot: (no reply: your conversation is waiting for a counselor)")
        for reply in replies:
            write(f"bot: {reply}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_chat("http://localhost:5005"))
