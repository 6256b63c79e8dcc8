"""Messages are cleaned the same way on every channel; Burmese typed in Zawgyi becomes Unicode."""

from __future__ import annotations

from bot.incoming_text import clean_incoming


def test_control_characters_and_a_leading_slash_go() -> None:
    assert clean_incoming("  /restart\x00\x1b  ") == "restart"


def test_decomposed_accents_are_composed() -> None:
    assert clean_incoming("me quitaron el pasaporte, ayu\u0301dame") == "me quitaron el pasaporte, ayúdame"


def test_burmese_typed_in_zawgyi_is_converted_to_unicode_and_unicode_is_left_alone() -> None:
    zawgyi = "ကၽြန္ေတာ္ကို ကူညီပါ"  # "help me", as a phone with the Zawgyi font types it
    unicode = "ကျွန်တော်ကို ကူညီပါ"
    assert clean_incoming(zawgyi) == unicode
    assert clean_incoming(unicode) == unicode
    assert clean_incoming("help me") == "help me"
