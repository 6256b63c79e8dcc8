"""Output the line refuses: degenerate translations and lost numbers."""

from bot.translation.quality import degenerate, keeps_numbers


def test_one_word_or_piece_repeated_is_degenerate() -> None:
    assert degenerate("Hello, how are you?", "mainstremainstremainstremainstremainstre")  # argos-translate #522
    assert degenerate("Call now", "llamar llamar llamar ahora")
    assert degenerate("Hi", "")
    assert degenerate("Yes", "Sí " + "sí, " * 40)


def test_repetition_the_person_wrote_is_not_held_against_the_model() -> None:
    assert not degenerate("hahahaha ok", "jajajaja vale")
    assert not degenerate("help help help", "ayuda ayuda ayuda")


def test_an_ordinary_translation_passes() -> None:
    assert not degenerate("My boss keeps my passport.", "Mi jefe tiene mi pasaporte.")
    assert not degenerate("他拿走了我的护照", "He took my passport")


def test_every_number_and_web_address_must_come_through() -> None:
    assert keeps_numbers("If you are in danger, call 911.", "Si estás en peligro, llama al 911.")
    assert keeps_numbers("Call 1-888-373-7888", "Llama al 1 888 373 7888")  # spacing may change
    assert not keeps_numbers("Call 1-888-373-7888", "Llama al 1-888-373-788")
    assert not keeps_numbers("Call 911 or 112", "Llama al 911")
    assert not keeps_numbers("See globalmodernslavery.org", "Ver globalmodernslavery")
    assert keeps_numbers("See globalmodernslavery.org", "Tingnan ang GlobalModernSlavery.org")
