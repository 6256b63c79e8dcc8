"""Every reason code the core can give a counselor has words in the console's catalog."""

from __future__ import annotations

from bot.inbox import DeliveryBlock
from console.texts import blocked_notice, delivery_reason, texts


def test_every_delivery_block_has_a_notice_and_a_transcript_reason() -> None:
    for code in DeliveryBlock:
        assert blocked_notice(code.value), code
        assert delivery_reason(code.value) != code.value, code
    assert set(texts()["delivery_blocked"]) == set(texts()["delivery_reason"]) == {code.value for code in DeliveryBlock}


def test_a_providers_own_error_is_shown_as_it_came() -> None:
    assert delivery_reason("21610: Attempt to send to unsubscribed recipient") == "21610: Attempt to send to unsubscribed recipient"
    assert delivery_reason(None) == ""
