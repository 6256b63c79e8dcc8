"""The Twilio SMS/WhatsApp channel against the real servers and the project's Twilio emulator.

Messages go to the receiver process (``hotline twilio-receiver``, the production entry point)
unless a test says otherwise; the Rasa server's own webhook is exercised too.
"""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest

from bot.config import PROJECT_ROOT
from testsupport.servers import hotline_servers
from testsupport.twilio_client import TEST_ACCOUNT_SID, channel_environment, inbound_sms_params, new_sid, post_webhook
from testsupport.twilio_emulator import running_emulator
from testsupport.twilio_line import Line

MODEL = PROJECT_ROOT / "models" / "hotline.tar.gz"
AUTH_TOKEN = "test-token-" + uuid.uuid4().hex
PUBLIC_URL = "https://hotline.example.org"  # what Twilio calls; the proxy hands us 127.0.0.1
US_EN, US_ES = "+15550100001", "+15550100002"
pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run 'make train' (make test does)"),
]


# "hello" as a first message: the notice and the answer, joined and cut into this many SMS.
FIRST_TURN_SMS = 2

@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    with running_emulator(auth_token=AUTH_TOKEN) as emulator:
        environment = {**channel_environment(emulator.base_url, AUTH_TOKEN, PUBLIC_URL), "HOTLINE_DEFAULT_JURISDICTION": ""}
        workdir = tmp_path_factory.mktemp("twilio")
        # At DEBUG level, where Rasa logs the parse of every message: nothing personal may show.
        with hotline_servers(workdir, MODEL, environment, twilio_receiver=True, debug=True) as servers:
            yield Line(servers, emulator, AUTH_TOKEN, PUBLIC_URL, US_EN)
        rasa_log = (workdir / "rasa.log").read_text(encoding="utf-8", errors="replace")
        assert "DEBUG" in rasa_log and "parse" in rasa_log  # really at DEBUG, where messages would show
        for name in ("rasa.log", "actions.log", "receiver.log"):
            log = (workdir / name).read_text(encoding="utf-8", errors="replace")
            for private in ("+1555", "1555010", "pistola", "keeps my passport", "encerraron"):
                assert private not in log, f"{private!r} leaked into {name}"
        # Everything the servers stored, read as raw bytes: no person's number, no message text.
        people = {message.to.removeprefix("whatsapp:") for message in emulator.messages}
        stored = b"".join(path.read_bytes() for path in workdir.glob("hotline.db*"))
        assert people and b"pistola" not in stored and b"passport" not in stored
        assert not [number for number in people if number.encode() in stored], "a person's number is stored in clear"


def new_number() -> str:
    return "+1555" + str(uuid.uuid4().int)[:7]


@pytest.mark.parametrize("entry", ["receiver", "rasa"])
def test_forged_or_missing_signatures_are_refused_and_nothing_is_stored(line: Line, entry: str) -> None:
    webhook = line.webhook if entry == "receiver" else line.rasa_webhook
    params = inbound_sms_params(new_number(), US_EN, "hi")
    assert post_webhook(webhook, params, "not-the-token", signature_url=f"{PUBLIC_URL}/webhooks/twilio/webhook")[0] == 403
    assert post_webhook(webhook, params, AUTH_TOKEN)[0] == 403  # signed for the wrong (internal) URL
    assert line.rows("SELECT count(*) FROM inbound_messages WHERE provider_sid = :s", s=params["MessageSid"]) == [(0,)]


def test_the_rasa_servers_own_webhook_answers_too(line: Line) -> None:
    sender = new_number()
    assert line.text(sender, "hello", via=line.rasa_webhook)[0] == 200
    assert "confidential" in " ".join(line.wait_for_replies(sender, FIRST_TURN_SMS))


def test_a_message_is_answered_from_the_number_it_was_sent_to_and_stored_only_sealed(line: Line) -> None:
    sender = new_number()
    status, body = line.text(sender, "hi, the agency keeps my passport")
    assert status == 200 and "<Response>" in body
    replies = line.wait_for_replies(sender, FIRST_TURN_SMS)
    assert "confidential" in " ".join(replies)
    assert all(message.from_ == US_EN for message in line.emulator.messages if message.to == sender)
    stored = line.rows("SELECT conversation_key, body_sealed FROM inbound_messages")
    assert all("passport" not in sealed and sender not in sealed for _, sealed in stored)
    assert all(sender[1:] not in key for key, _ in stored)
    addresses = line.rows("SELECT address_sealed FROM channel_addresses")
    assert addresses and all(sender not in sealed for (sealed,) in addresses)


def test_a_retried_message_sid_is_processed_once(line: Line) -> None:
    sender, sid = new_number(), new_sid("SM")
    assert line.text(sender, "hello", sid=sid)[0] == 200
    assert line.text(sender, "hello", sid=sid)[0] == 200
    replies = line.all_replies(sender, FIRST_TURN_SMS)
    assert len(replies) == len(set(replies))  # one turn's replies, none sent twice
    assert line.rows("SELECT count(*) FROM inbound_messages WHERE provider_sid = :s", s=sid) == [(1,)]


def test_a_replayed_message_is_refused_after_the_person_erased_their_data(line: Line) -> None:
    sender, first = new_number(), new_sid("SM")
    line.text(sender, "hello", sid=first)
    so_far = len(line.all_replies(sender, FIRST_TURN_SMS))
    line.text(sender, "delete my data")
    so_far = len(line.all_replies(sender, so_far + 1))
    line.text(sender, "yes")
    replies = line.all_replies(sender, so_far + 1)
    assert "delet" in replies[-1].lower()
    assert line.text(sender, "hello", sid=first)[0] == 200  # an old message replayed: answered, as Twilio expects...
    line.settle()
    assert len(line.replies_to(sender)) == len(replies)  # ...but it runs nothing and nobody is written to again
    assert line.rows("SELECT count(*) FROM inbound_messages WHERE provider_sid = :s", s=first) == [(0,)]


def test_the_number_sets_language_and_jurisdiction_for_an_emergency(line: Line) -> None:
    sender = new_number()
    line.text(sender, "nos encerraron en la bodega y el patron tiene una pistola", to=US_ES)
    replies = line.wait_for_replies(sender, 1)
    assert "911" in replies[0] and ("peligro" in replies[0].lower())


def test_server_errors_and_rate_limits_are_retried(line: Line) -> None:
    sender = new_number()
    attempts_before = line.emulator.attempts
    line.emulator.set_faults(fail_next=[500, 429])
    line.text(sender, "hello")
    replies = line.wait_for_replies(sender, FIRST_TURN_SMS)
    assert "confidential" in " ".join(replies)
    assert line.emulator.attempts >= attempts_before + len(replies) + 2


def test_stop_silences_the_line_until_start(line: Line) -> None:
    sender = new_number()
    line.text(sender, "hello")
    answered = len(line.wait_for_replies(sender, FIRST_TURN_SMS))
    line.settle(2)
    line.text(sender, "STOP")
    line.text(sender, "hello again")
    line.settle()
    assert len(line.replies_to(sender)) == len(line.replies_to(sender)[:answered])
    line.text(sender, "START")
    line.text(sender, "hi")
    assert len(line.wait_for_replies(sender, answered + 1)) > answered


def test_a_media_only_message_gets_an_honest_answer_and_is_kept_for_counselors(line: Line) -> None:
    sender = new_number()
    media_url = "https://api.twilio.com/2010-04-01/Accounts/x/Messages/y/Media/z"
    line.text(sender, "", media=[(media_url, "image/jpeg")])
    replies = line.wait_for_replies(sender, 1)
    assert "only read text" in replies[0]
    [(sealed,)] = line.rows(
        "SELECT media_sealed FROM inbound_messages WHERE conversation_key IN "
        "(SELECT conversation_key FROM channel_addresses) AND media_sealed IS NOT NULL"
    )
    assert media_url not in sealed


def test_messages_received_while_rasa_is_down_are_answered_once_when_it_is_back(line: Line) -> None:
    sender, sid = new_number(), new_sid("SM")
    line.servers.kill_rasa()
    assert line.text(sender, "hi", sid=sid)[0] == 200
    assert line.text(sender, "hi", sid=sid)[0] == 200  # Twilio's retry while we are down
    assert line.rows("SELECT processed_at FROM inbound_messages WHERE provider_sid = :s", s=sid) == [(None,)]
    line.servers.restart_rasa()
    replies = line.all_replies(sender, FIRST_TURN_SMS)
    assert len(replies) == len(set(replies))  # answered exactly once


def test_a_crash_between_receipt_and_reply_still_answers_exactly_once(line: Line) -> None:
    sender, sid = new_number(), new_sid("SM")
    assert line.text(sender, "hi", sid=sid, via=line.rasa_webhook)[0] == 200
    line.servers.kill_rasa()
    assert line.rows("SELECT processed_at FROM inbound_messages WHERE provider_sid = :s", s=sid) == [(None,)]
    assert line.replies_to(sender) == []
    line.servers.restart_rasa()
    replies = line.all_replies(sender, FIRST_TURN_SMS)
    assert len(replies) == len(set(replies))  # answered exactly once


def test_a_message_that_comes_while_the_action_server_is_down_is_answered_once_it_is_back(line: Line) -> None:
    sender, sid = new_number(), new_sid("SM")
    line.servers.kill_actions()
    try:
        assert line.text(sender, "hello", sid=sid)[0] == 200
        line.settle(3)
        assert line.replies_to(sender) == []  # no answer yet rather than an answer lost
        assert line.rows("SELECT processed_at FROM inbound_messages WHERE provider_sid = :s", s=sid) == [(None,)]
    finally:
        line.servers.restart_actions()
    replies = line.all_replies(sender, FIRST_TURN_SMS)
    assert "confidential" in " ".join(replies) and len(replies) == len(set(replies))


def test_signed_status_callbacks_record_delivery_and_forged_ones_are_refused(line: Line) -> None:
    sender = new_number()
    line.text(sender, "hello")
    line.wait_for_replies(sender, FIRST_TURN_SMS)
    sent = [message for message in line.emulator.messages if message.to == sender]
    assert all(message.status_callback == f"{PUBLIC_URL}/webhooks/twilio/status" for message in sent)
    callback = {"MessageSid": sent[0].sid, "MessageStatus": "delivered", "AccountSid": TEST_ACCOUNT_SID}
    status_url = f"{line.servers.receiver_url}/webhooks/twilio/status"
    forged = dict(callback, MessageSid=sent[1].sid, MessageStatus="failed")
    assert post_webhook(status_url, forged, "wrong-token", signature_url=f"{PUBLIC_URL}/webhooks/twilio/status")[0] == 403
    assert post_webhook(status_url, callback, AUTH_TOKEN, signature_url=f"{PUBLIC_URL}/webhooks/twilio/status")[0] == 204
    statuses = dict(line.rows("SELECT provider_sid, status FROM outbound_messages WHERE provider_sid IN (:a, :b)",
                              a=sent[0].sid, b=sent[1].sid))
    assert statuses == {sent[0].sid: "delivered", sent[1].sid: "sent"}
