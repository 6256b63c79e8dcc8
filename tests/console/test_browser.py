"""The whole handover in Debian's Chromium: a person asks for a counselor in the web chat and by
SMS, a counselor signs in with TOTP, sees them appear live, takes them, answers through each
channel, transfers one and closes the other; against the real Rasa, action, receiver and console
servers and the project's Twilio emulator."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Dict, Iterator

import pyotp
import pytest
from playwright.sync_api import expect

from bot.config import PROJECT_ROOT
from bot.crypto import Sealer
from bot.handoff import queue as handoff_queue
from console import accounts
from testsupport.servers import RunningServers, hotline_servers
from testsupport.twilio_client import TEST_ACCOUNT_SID, channel_environment, inbound_sms_params, post_webhook
from testsupport.twilio_emulator import BackgroundEmulator, running_emulator

MODEL = PROJECT_ROOT / "models" / "hotline.tar.gz"
AUTH_TOKEN = "console-token-" + uuid.uuid4().hex
PUBLIC_URL = "https://hotline.example.org"
PASSWORD = "a long and private passphrase"
pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run 'make train' (make test does)"),
]


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict]:
    with running_emulator(auth_token=AUTH_TOKEN) as emulator:
        environment = channel_environment(emulator.base_url, AUTH_TOKEN, PUBLIC_URL)
        workdir = tmp_path_factory.mktemp("console-browser")
        with hotline_servers(workdir, MODEL, environment, twilio_receiver=True, console=True) as servers:
            env = servers.environment
            sealer = Sealer(base64.urlsafe_b64decode(env["HOTLINE_SECRET_KEY"]))
            yield {"servers": servers, "emulator": emulator, "sealer": sealer, "url": servers.database_url}


def new_counselor(line: Dict, username: str, languages: str = "en,es") -> str:
    return accounts.create_counselor(line["url"], line["sealer"], username, username.title(), "counselor", languages).one_time_password


def sign_in_first_time(page, console: str, username: str, one_time_password: str) -> None:
    page.goto(f"{console}/console/")
    page.fill("#username", username)
    page.fill("#password", one_time_password)
    page.click("button[type=submit]")
    expect(page.locator("figure.qr svg")).to_be_visible()
    secret = page.inner_text("#totp-secret").strip()
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("form.stack button[type=submit]")
    expect(page.locator("h1")).to_have_text("Choose your own password")
    page.fill("#old", one_time_password)
    page.fill("#new", PASSWORD)
    page.fill("#again", PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator("h1")).to_have_text("Queue")


def chat_say(page, text: str) -> None:
    page.fill("#text", text)
    page.keyboard.press("Enter")


def text_by_sms(line: Dict, sender: str, body: str) -> None:
    servers: RunningServers = line["servers"]
    params = inbound_sms_params(sender, "+15550100001", body)
    status, _ = post_webhook(f"{servers.receiver_url}/webhooks/twilio/webhook", params, AUTH_TOKEN,
                             signature_url=f"{PUBLIC_URL}/webhooks/twilio/webhook")
    assert status == 200


def sms_to(emulator: BackgroundEmulator, address: str):
    return [message.body for message in emulator.messages if message.to == address]


def test_a_counselor_takes_web_chat_and_sms_conversations_and_answers_each_by_its_channel(browser, line: Dict) -> None:
    servers: RunningServers = line["servers"]
    console_url = servers.console_url
    counselor = browser.new_context(viewport={"width": 1200, "height": 900})
    person = browser.new_context(viewport={"width": 320, "height": 640}, locale="en-US")
    console, chat = counselor.new_page(), person.new_page()
    sign_in_first_time(console, console_url, "maria", new_counselor(line, "maria"))
    new_counselor(line, "ben", "en")  # a colleague to transfer to

    # The person asks for a person in the web chat; it appears in the open queue without a reload.
    chat.goto(f"{servers.url}/chat")
    chat_say(chat, "I want to talk to a real person please")
    chat.wait_for_selector("li.msg.bot >> text=in line", timeout=60_000)
    row = console.locator("#waiting tr[data-id]")
    expect(row).to_have_count(1, timeout=10_000)
    expect(row.first).to_contain_text("en")

    # Text that looks like markup, sent while waiting, reaches the counselor as text.
    chat_say(chat, '<img src=x onerror="document.title=\'pwned\'">')
    time.sleep(2)
    row.first.locator("button", has_text="Take").click()
    expect(console.locator("#summary-title")).to_be_visible()
    expect(console.locator("#transcript .entry.person").first).to_contain_text("real person")
    expect(console.locator("#transcript .entry.person", has_text="<img src=x")).to_have_count(1, timeout=10_000)
    assert console.title() != "pwned" and console.locator("#transcript img").count() == 0

    # The counselor's answer arrives in the web chat in real time; the bot stays quiet.
    bot_messages_before = chat.locator("li.msg.bot").count()
    console.fill("#reply-text", "Hi, I'm Maria, a counselor. Is it safe to write?")
    console.click("form[action$='/reply'] button[type=submit]")
    expect(chat.locator("li.msg.counselor")).to_contain_text("I'm Maria", timeout=10_000)
    chat_say(chat, "yes it is safe, my boss took my passport")
    expect(console.locator("#transcript .entry.person", has_text="took my passport")).to_have_count(1, timeout=30_000)
    time.sleep(3)
    assert chat.locator("li.msg.bot").count() == bot_messages_before

    # Close with the wrap-up; afterwards the bot answers the person again.
    web_escalation = int(console.url.rstrip("/").split("/")[-1])
    console.select_option("#outcome", "information_given")
    console.fill("#referral", "Local legal aid clinic")
    console.check("input[name=follow_up]")
    console.click("form.wrapup button[type=submit]")
    expect(console.locator("h1")).to_have_text("Queue")
    closed = handoff_queue.get(line["url"], web_escalation)
    assert closed.status == "closed"
    chat_say(chat, "what are my rights")
    expect(chat.locator("li.msg.bot")).not_to_have_count(bot_messages_before, timeout=60_000)

    # An SMS user asks for a person: taken, answered through Twilio, then transferred to a colleague.
    sender = "+1555" + str(uuid.uuid4().int)[:7]
    text_by_sms(line, sender, "HELP")
    expect(console.locator("#waiting tr[data-id]")).to_have_count(1, timeout=30_000)
    console.locator("#waiting tr[data-id] button", has_text="Take").click()
    console.fill("#reply-text", "Hello, this is Maria from the help line.")
    console.click("form[action$='/reply'] button[type=submit]")
    deadline = time.monotonic() + 30
    while "Hello, this is Maria from the help line." not in sms_to(line["emulator"], sender):
        assert time.monotonic() < deadline, sms_to(line["emulator"], sender)
        time.sleep(0.3)
    # Twilio reports the delivery: the open transcript shows it without a reload.
    sent = next(m for m in line["emulator"].messages if m.to == sender and m.body.startswith("Hello, this is Maria"))
    status = {"MessageSid": sent.sid, "MessageStatus": "delivered", "AccountSid": TEST_ACCOUNT_SID}
    assert post_webhook(f"{servers.receiver_url}/webhooks/twilio/status", status, AUTH_TOKEN,
                        signature_url=f"{PUBLIC_URL}/webhooks/twilio/status")[0] == 204
    reply_entry = console.locator("#transcript .entry.counselor", has_text="this is Maria")
    expect(reply_entry.locator(".delivery")).to_have_text("Delivered", timeout=10_000)
    sms_escalation = int(console.url.rstrip("/").split("/")[-1])
    console.select_option("#to", label="Ben (en)")
    console.click("form[action$='/transfer'] button[type=submit]")
    expect(console.locator("h1")).to_have_text("Queue")
    moved = handoff_queue.get(line["url"], sms_escalation)
    ben = next(c for c in accounts.list_counselors(line["url"]) if c.username == "ben")
    assert moved.status == "with_counselor" and moved.counselor_id == ben.id
    assert console.goto(f"{console_url}/console/conversations/{sms_escalation}").status == 403
    counselor.close()
    person.close()
