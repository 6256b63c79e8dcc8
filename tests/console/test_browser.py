"""The whole handover in Debian's Chromium: a person asks for a counselor in the web chat and by
SMS, a counselor signs in with TOTP, sees them appear live, takes them, answers through each
channel, transfers one and closes the other; against the real Rasa, action, receiver and console
servers and the project's Twilio emulator."""

from __future__ import annotations

import base64
import os
import re
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, Iterator, Sequence

import pyotp
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from bot.config import PROJECT_ROOT
from bot.crypto import Sealer
from bot.handoff import queue as handoff_queue
from bot.handoff.escalation import HandoffSummary, escalate
from bot.storage.db import engine_for
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


def sign_in_first_time(page, console: str, username: str, one_time_password: str, lands_on: str = "Queue") -> None:
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
    expect(page.locator("h1")).to_have_text(lands_on)


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


def wait_for_sms(line: Dict, address: str, words: str, seconds: float = 30) -> None:
    """Until the Twilio emulator has sent ``address`` a message containing ``words``."""
    deadline = time.monotonic() + seconds
    while not any(words in body for body in sms_to(line["emulator"], address)):
        assert time.monotonic() < deadline, sms_to(line["emulator"], address)
        time.sleep(0.3)


def test_a_counselor_takes_web_chat_and_sms_conversations_and_answers_each_by_its_channel(browser, line: Dict) -> None:
    servers: RunningServers = line["servers"]
    console_url = servers.console_url
    counselor = browser.new_context(viewport={"width": 1200, "height": 900})
    person = browser.new_context(viewport={"width": 320, "height": 640}, locale="en-US")
    console, chat = counselor.new_page(), person.new_page()
    sign_in_first_time(console, console_url, "maria", new_counselor(line, "maria"))
    ben_password = new_counselor(line, "ben", "en")  # a colleague to transfer to

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
    # The person is told, in the chat, that the conversation ended and how to reach the line again.
    expect(chat.locator("li.msg.bot", has_text="closed this conversation")).to_have_count(1, timeout=10_000)
    bot_messages_before = chat.locator("li.msg.bot").count()
    chat_say(chat, "what are my rights")
    expect(chat.locator("li.msg.bot")).not_to_have_count(bot_messages_before, timeout=60_000)

    # An SMS user asks for a person: taken, answered through Twilio, then transferred to a colleague.
    sender = "+1555" + str(uuid.uuid4().int)[:7]
    text_by_sms(line, sender, "HELP")
    expect(console.locator("#waiting tr[data-id]")).to_have_count(1, timeout=30_000)
    console.locator("#waiting tr[data-id] button", has_text="Take").click()
    console.fill("#reply-text", "Hello, this is Maria from the help line.")
    console.click("form[action$='/reply'] button[type=submit]")
    wait_for_sms(line, sender, "Hello, this is Maria from the help line.")
    # Twilio reports the delivery: the open transcript shows it without a reload.
    sent = next(m for m in line["emulator"].messages if m.to == sender and m.body.startswith("Hello, this is Maria"))
    status = {"MessageSid": sent.sid, "MessageStatus": "delivered", "AccountSid": TEST_ACCOUNT_SID}
    assert post_webhook(f"{servers.receiver_url}/webhooks/twilio/status", status, AUTH_TOKEN,
                        signature_url=f"{PUBLIC_URL}/webhooks/twilio/status")[0] == 204
    reply_entry = console.locator("#transcript .entry.counselor", has_text="this is Maria")
    expect(reply_entry.locator(".delivery")).to_have_text("Delivered", timeout=10_000)
    sms_escalation = int(console.url.rstrip("/").split("/")[-1])
    # Only colleagues who are signed in are offered, with how many conversations they hold.
    ben = next(c for c in accounts.list_counselors(line["url"]) if c.username == "ben")
    expect(console.locator("#to option")).to_have_count(1)  # back to the queue only: Ben is not signed in
    colleague = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in_first_time(colleague.new_page(), console_url, "ben", ben_password)
    console.reload()
    expect(console.locator(f"#to option[value='{ben.id}']")).to_have_text("Ben (en; 0 conversations now) · speaks en")
    console.select_option("#to", value=str(ben.id))
    console.click("form[action$='/transfer'] button[type=submit]")
    expect(console.locator("h1")).to_have_text("Queue")
    moved = handoff_queue.get(line["url"], sms_escalation)
    assert moved.status == "with_counselor" and moved.counselor_id == ben.id
    assert console.goto(f"{console_url}/console/conversations/{sms_escalation}").status == 403
    counselor.close()
    person.close()
    colleague.close()


# ------------------------------------------------------------------ a busy shift
SCREENSHOTS = os.environ.get("HOTLINE_SCREENSHOTS_DIR", "")  # `make screenshots` sets it to docs/screenshots


def screenshot(page, name: str) -> None:
    """Keep a picture of the page for docs/ when asked to (``make screenshots``)."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def waiting_request(line: Dict, key: str, *, minutes_ago: float, danger: bool = False, score: float = 0.0,
                    text: str = "", words: Sequence[str] = (), child: bool = False, indicators: Sequence[str] = (),
                    language: str = "en", channel: str = "sms") -> int:
    """Someone already waiting when the shift starts (what the bot recorded for them)."""
    summary = HandoffSummary(
        danger=danger, concern=bool(score) and not danger, child_mentioned=child, danger_score=score,
        danger_moments=[{"text": text, "words": list(words), "score": score, "danger": danger}] if text else [],
        indicators=[{"key": key_, "confidence": 0.9, "evidence": ""} for key_ in indicators],
        bot_told=["utter_emergency", "utter_handoff_urgent"] if danger else ["utter_handoff_recorded", "utter_queue_place"],
    )
    escalation_id = int(escalate(line["url"], line["sealer"], key, reason="danger" if danger else "requested", language=language,
                                 jurisdiction="US", summary=summary, requested=not danger, channel=channel).id)
    shift = timedelta(minutes=minutes_ago)
    with engine_for(line["url"]).begin() as connection:
        row = connection.execute(sa.text("SELECT queued_at, ranked_at FROM escalations WHERE id = :i"), {"i": escalation_id}).one()
        queued, ranked = (value if isinstance(value, datetime) else datetime.fromisoformat(str(value)) for value in row)
        connection.execute(sa.text("UPDATE escalations SET queued_at = :q, ranked_at = :r WHERE id = :i"),
                           {"q": queued - shift, "r": ranked - shift, "i": escalation_id})
    return escalation_id


def close_all_waiting(line: Dict) -> None:
    for item in handoff_queue.waiting(line["url"]):
        handoff_queue.close(line["url"], line["sealer"], item.id, {"outcome": "other"}, reason="test")


def test_a_new_danger_is_announced_and_listed_first_among_recent_dangers_by_its_evidence(browser, line: Dict) -> None:
    servers: RunningServers = line["servers"]
    close_all_waiting(line)
    long_wait = waiting_request(line, "shift-long", minutes_ago=25, danger=True, score=0.4,
                                text="they shout at night, I am scared", words=["scared"])
    vague = [waiting_request(line, f"shift-vague-{i}", minutes_ago=2 - i, danger=True, score=0.3,
                             text="please help me, something bad", words=["something bad"]) for i in range(2)]
    for i, (child, indicators, language) in enumerate([
        (True, (), "es"), (False, ("retention_of_documents", "withholding_wages"), "en"), (False, ("debt_bondage",), "tl"),
        (False, (), "en"), (False, ("excessive_overtime",), "fr"), (False, (), "ru"), (False, ("isolation",), "ar"),
        (False, (), "en"), (False, ("deception",), "id"),
    ]):
        waiting_request(line, f"shift-other-{i}", minutes_ago=3 + 4 * i, child=child, indicators=indicators, language=language)
    counselor = browser.new_context(viewport={"width": 1280, "height": 900})
    console = counselor.new_page()
    sign_in_first_time(console, servers.console_url, "dana", new_counselor(line, "dana", "en,es"))
    rows = console.locator("#waiting tr[data-id]")
    expect(rows).to_have_count(12)
    expect(console.locator("#announce")).to_be_empty()  # what was there at sign-in is not "new"
    late = console.locator(f"#waiting tr[data-id='{long_wait}'] td.wait")
    expect(late).to_have_class(re.compile(r"\blate\b"))  # 25 minutes against danger's 2
    expect(late).to_contain_text("over 2 min")

    # A person writes from the web chat: a real emergency, scored by the real model.
    person = browser.new_context(viewport={"width": 320, "height": 640}, locale="en-US")
    chat = person.new_page()
    chat.goto(f"{servers.url}/chat")
    chat_say(chat, "he has a gun and says he will kill me tonight")
    expect(chat.locator("li.msg.bot").first).to_contain_text("911", timeout=60_000)  # the number first
    expect(rows).to_have_count(13, timeout=15_000)
    expect(console.locator("#announce")).to_have_text("New danger waiting: en, webchat.")
    assert re.match(r"\(4 danger\) Queue", console.title())
    assert console.evaluate("document.body.dataset.lastTone") is not None  # the tone played (sound is on by default)
    ids = [int(rows.nth(i).get_attribute("data-id")) for i in range(4)]
    assert ids[0] == long_wait and ids[2:] == vague  # waited long enough to stay first; then the gun
    gun = ids[1]
    expect(console.locator(f"#waiting tr[data-id='{gun}'] td.evidence")).to_contain_text("kill me tonight")
    screenshot(console, "queue-1280")
    console.set_viewport_size({"width": 1920, "height": 1080})
    screenshot(console, "queue-1920")

    # Sound off is kept with the account: it is still off after a reload.
    console.click("#alert-sound")
    expect(console.locator("#alert-sound")).to_have_text("Sound for a new danger: off")
    console.reload()
    expect(console.locator("#alert-sound")).to_have_attribute("aria-pressed", "false")
    dana = next(c for c in accounts.list_counselors(line["url"]) if c.username == "dana")
    assert dana.alert_sound is False
    accounts.set_alert_sound(line["url"], dana.id, True)
    line["dana"] = {"context": counselor, "page": console, "person": person, "chat": chat, "gun": gun}


def test_by_keyboard_alone_a_counselor_takes_reads_notes_answers_and_closes(browser, line: Dict) -> None:
    shift = line["dana"]
    console, chat, gun = shift["page"], shift["chat"], shift["gun"]
    for item in handoff_queue.waiting(line["url"]):
        if item.id != gun:
            handoff_queue.close(line["url"], line["sealer"], item.id, {"outcome": "other"}, reason="test")
    console.set_viewport_size({"width": 1280, "height": 900})
    console.goto(f"{line['servers'].console_url}/console/queue")
    expect(console.locator("#waiting tr[data-id]")).to_have_count(1)
    console.keyboard.press("n")  # take the next conversation
    expect(console.locator("#summary-title")).to_be_visible()
    assert console.url.endswith(f"/console/conversations/{gun}")

    # The summary says what set off danger, in the person's words, and what the bot said, in words.
    moment = console.locator("figure.moment.is-danger")
    expect(moment.locator("blockquote")).to_have_text("he has a gun and says he will kill me tonight")
    expect(moment.locator("mark").first).to_have_text("kill me tonight")
    told = console.locator("ol.told")
    expect(told).to_contain_text("Gave the emergency number")
    assert "utter_" not in console.inner_text("main") and "handoff urgent" not in console.inner_text("main")

    # A new danger arrives while the counselor is in a conversation: this page says it too.
    waiting_request(line, "shift-new-danger", minutes_ago=0, danger=True, score=0.9, text="they are breaking the door", words=["breaking the door"])
    expect(console.locator("#announce")).to_have_text("New danger waiting: en, sms.", timeout=10_000)
    expect(console.locator("#to-queue")).to_be_visible()
    assert console.title().startswith("(1 danger)")

    # A note for the team: written from the keyboard, shown to staff, never sent to the person.
    console.keyboard.press("n")
    console.keyboard.type("Said he keeps a gun in the car. Ask about children.")
    console.keyboard.press("Control+Enter")
    expect(console.locator("ul.notes li", has_text="gun in the car")).to_have_count(1)
    console.keyboard.press("r")
    console.keyboard.type("I'm Dana, a counselor. Are you somewhere he cannot hear you?")
    console.keyboard.press("Control+Enter")
    expect(chat.locator("li.msg.counselor")).to_contain_text("I'm Dana", timeout=10_000)
    assert chat.locator("text=gun in the car").count() == 0
    console.keyboard.press("c")  # a canned reply, chosen and inserted from the keyboard
    console.keyboard.press("ArrowDown")
    console.keyboard.press("Enter")
    first_canned = console.locator("#canned option").nth(1).get_attribute("value")
    expect(console.locator("#reply-text")).to_have_value(first_canned)
    console.fill("#reply-text", "")
    console.keyboard.press("Escape")  # out of the reply field: the keys work again
    screenshot(console, "conversation-1280")
    console.set_viewport_size({"width": 1920, "height": 1080})
    screenshot(console, "conversation-1920")

    console.keyboard.press("f")  # finish: outcome, referral, follow-up, close
    console.keyboard.press("ArrowDown")
    for _ in range(3):
        console.keyboard.press("Tab")
    expect(console.locator("#close-conversation")).to_be_focused()
    console.keyboard.press("Enter")
    expect(console.locator("h1")).to_have_text("Queue")
    assert handoff_queue.get(line["url"], gun).status == "closed"
    expect(chat.locator("li.msg.bot", has_text="closed this conversation")).to_have_count(1, timeout=10_000)
    close_all_waiting(line)  # (the danger that arrived meanwhile)


def test_handover_shows_who_is_signed_in_and_the_person_hears_the_bot_is_back_then_returns_with_their_history(
    browser, line: Dict
) -> None:
    servers: RunningServers = line["servers"]
    console = line["dana"]["page"]
    console.set_viewport_size({"width": 1280, "height": 900})
    with engine_for(line["url"]).begin() as connection:  # everyone else has signed out
        connection.execute(sa.text("DELETE FROM console_sessions WHERE counselor_id <> (SELECT id FROM counselors WHERE username = 'dana')"))
    sender = "+1555" + str(uuid.uuid4().int)[:7]
    text_by_sms(line, sender, "HELP")
    console.goto(f"{servers.console_url}/console/queue")
    row = console.locator("#waiting tr[data-id]")
    expect(row).to_have_count(1, timeout=30_000)
    row.first.locator("button", has_text="Take").click()
    expect(console.locator("#nobody-available")).to_contain_text("is signed in now")
    eli = browser.new_context()
    sign_in_first_time(eli.new_page(), servers.console_url, "eli", new_counselor(line, "eli", "es"))
    console.reload()
    expect(console.locator("#nobody-available")).to_have_count(0)
    expect(console.locator("#no-speaker")).to_contain_text("Nobody signed in answers in en")
    expect(console.locator("#to option", has_text="Eli")).to_have_text("Eli (es; 0 conversations now)")

    console.fill("#note-text", "Works at a car wash, prefers texts after 9pm.")
    console.click("form[action$='/notes'] button[type=submit]")
    first = int(console.url.rstrip("/").split("/")[-1])
    console.click("form[action$='/return'] button[type=submit]")
    expect(console.locator("h1")).to_have_text("Queue")
    wait_for_sms(line, sender, "automatic assistant")

    # Back a day later: the row says so, and the conversation shows what happened before.
    text_by_sms(line, sender, "HELP")
    expect(row).to_have_count(1, timeout=30_000)
    expect(row.first.locator(".badge.returning")).to_have_text("Returning")
    row.first.locator("button", has_text="Take").click()
    history = console.locator("section.history")
    expect(history).to_contain_text("Returned to the bot")
    expect(history.locator(".notes")).to_contain_text("prefers texts after 9pm")
    assert int(console.url.rstrip("/").split("/")[-1]) != first

    # Closed this time: the closing notice goes out by SMS, once.
    console.select_option("#outcome", "referral_made")
    console.click("#close-conversation")
    expect(console.locator("h1")).to_have_text("Queue")
    wait_for_sms(line, sender, "closed this conversation")
    time.sleep(1)
    assert sum("closed this conversation" in body for body in sms_to(line["emulator"], sender)) == 1
    eli.close()


def test_the_administration_pages_look_calm_and_readable(browser, line: Dict) -> None:
    admin = browser.new_context(viewport={"width": 1280, "height": 900})
    page = admin.new_page()
    created = accounts.create_counselor(line["url"], line["sealer"], "root", "Root", "admin", "en")
    sign_in_first_time(page, line["servers"].console_url, "root", created.one_time_password, lands_on="Administration")
    expect(page.locator("h2").first).to_be_visible()
    screenshot(page, "admin-1280")
    admin.close()
    line["dana"]["context"].close()
    line["dana"]["person"].close()
