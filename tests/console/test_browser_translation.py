"""A counselor who writes English holds a conversation with a person writing Tagalog in the web
chat, through machine translation, in Debian's Chromium against the real servers (the tiny
models: their output is nonsense; what is tested is who sees which text, and the marks)."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Dict, Iterator

import pytest
from playwright.sync_api import expect

from bot import inbox
from bot.config import PROJECT_ROOT
from bot.crypto import Sealer
from bot.handoff import queue as handoff_queue
from tests.console.test_browser import chat_say, new_counselor, sign_in_first_time
from testsupport.servers import hotline_servers
from testsupport.twilio_client import channel_environment
from testsupport.twilio_emulator import running_emulator

MODEL = PROJECT_ROOT / "models" / "hotline.tar.gz"
AUTH_TOKEN = "console-token-" + uuid.uuid4().hex
pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run 'make train' (make test does)"),
]


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory, translation_models_dir: Path) -> Iterator[Dict]:
    with running_emulator(auth_token=AUTH_TOKEN) as emulator:
        environment = {
            **channel_environment(emulator.base_url, AUTH_TOKEN, "https://hotline.example.org"),
            "HOTLINE_TRANSLATION_MODELS": str(translation_models_dir),
            "HOTLINE_ROUTING_GRACE": "0",  # nobody on shift reads Tagalog: offered to everyone at once
        }
        workdir = tmp_path_factory.mktemp("console-translation-browser")
        with hotline_servers(workdir, MODEL, environment, console=True) as servers:
            sealer = Sealer(base64.urlsafe_b64decode(servers.environment["HOTLINE_SECRET_KEY"]))
            yield {"servers": servers, "sealer": sealer, "url": servers.database_url}


def test_an_english_counselor_answers_a_tagalog_writer_through_an_edited_translation(browser, line: Dict) -> None:
    servers = line["servers"]
    counselor = browser.new_context(viewport={"width": 1280, "height": 900})
    person = browser.new_context(viewport={"width": 320, "height": 640}, locale="fil-PH")
    console, chat = counselor.new_page(), person.new_page()
    sign_in_first_time(console, servers.console_url, "lea", new_counselor(line, "lea", "en"))

    chat.goto(f"{servers.url}/chat")
    chat_say(chat, "Gusto kong makausap ang isang tao, kinuha ng amo ko ang pasaporte ko")
    row = console.locator("#waiting tr[data-id]")
    expect(row).to_have_count(1, timeout=60_000)
    expect(row.first).to_contain_text("tl")
    row.first.locator("button", has_text="Take").click()

    # The person's words, and under them the machine translation into English, labelled.
    first = console.locator("#transcript .entry.person").first
    expect(first).to_contain_text("kinuha ng amo ko")
    expect(first.locator(".translation .mt-label")).to_have_text("Machine translation (en):", timeout=30_000)
    expect(console.locator("#translation-switch")).to_contain_text("Machine translation is on")

    # The counselor writes English; the preview comes by itself; they correct it and send.
    console.fill("#reply-text", "Where are you now? Are you safe?")
    preview = console.locator("#reply-translation")
    expect(preview).not_to_have_value("", timeout=30_000)
    machine = preview.input_value()
    assert machine != "Where are you now? Are you safe?"
    console.fill("#reply-translation", "Nasaan ka ngayon? Ligtas ka ba?")
    console.click("#send-reply")

    # The person sees the edited translation, marked in Tagalog, and never the English or the raw output.
    sent = chat.locator("li.msg.counselor")
    expect(sent).to_have_count(1, timeout=15_000)
    expect(sent.first).to_contain_text("Nasaan ka ngayon? Ligtas ka ba? (isinalin ng makina)")
    assert "Where are you" not in chat.inner_text("#log") and machine not in chat.inner_text("#log")

    # The counselor's transcript keeps both texts.
    mine = console.locator("#transcript .entry.counselor").last
    expect(mine).to_contain_text("Nasaan ka ngayon? Ligtas ka ba? (isinalin ng makina)")
    expect(mine.locator(".original")).to_contain_text("Where are you now? Are you safe?")
    escalation = int(console.url.rstrip("/").split("/")[-1])
    key = handoff_queue.get(line["url"], escalation).conversation_id
    (stored,) = [e for e in inbox.transcript(line["url"], line["sealer"], key, 0, 0) if e["kind"] == "counselor"]
    assert (stored["text"], stored["original"]) == ("Nasaan ka ngayon? Ligtas ka ba? (isinalin ng makina)", "Where are you now? Are you safe?")
    counselor.close()
    person.close()
