"""Every reason code the core can give a counselor, and every response of the bot, has words in the
console's catalog."""

from __future__ import annotations

from bot.catalog import Catalogs
from bot.config import PROJECT_ROOT
from bot.inbox import DeliveryBlock
from console.summary import summary_view
from console.texts import blocked_notice, delivery_reason, texts


def test_every_delivery_block_has_a_notice_and_a_transcript_reason() -> None:
    for code in DeliveryBlock:
        assert blocked_notice(code.value), code
        assert delivery_reason(code.value) != code.value, code
    assert set(texts()["delivery_blocked"]) == set(texts()["delivery_reason"]) == {code.value for code in DeliveryBlock}


def test_a_providers_own_error_is_shown_as_it_came() -> None:
    assert delivery_reason("21610: Attempt to send to unsubscribed recipient") == "21610: Attempt to send to unsubscribed recipient"
    assert delivery_reason(None) == ""


def test_every_response_of_the_bot_reads_in_words_in_the_handoff_summary() -> None:
    catalogs = Catalogs.load(PROJECT_ROOT / "translations", ("en",), "en")
    responses = {key for key in catalogs.keys("en") if key.startswith("utter_")}
    assert responses - set(texts()["bot_said"]) == set(), "responses a counselor would see by their code name"
    assert set(texts()["bot_said"]) - responses == set(), "words for responses that no longer exist"
    view = summary_view({"bot_told": ["utter_emergency", "utter_reflect_two", "utter_queue_place"]})
    assert view["bot_said"] == [
        "Gave the emergency number", "Reflected back two signs of exploitation they described", "Told their place in line and the estimated wait",
    ]
