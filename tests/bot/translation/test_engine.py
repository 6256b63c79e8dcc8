"""Translating with the installed models: off the event loop, serialised per pair, time-limited,
judged, and never downloading anything."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from bot.translation.engine import MachineTranslator, Problem


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection (a model download) fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the translation code tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture()
def translator(translation_models_dir: Path, no_network: None):
    made = MachineTranslator(translation_models_dir, timeout_s=30)
    yield made
    made.close()


def test_every_installed_pair_is_loaded_and_translates_without_the_network(translator: MachineTranslator) -> None:
    assert {pair.key for pair in translator.pairs} == {("en", "sw"), ("sw", "en"), ("en", "tl"), ("tl", "en"), ("en", "pl")}
    text = "I need help. Call 911 now!"
    result = translator.translate_blocking(text, "en", "sw")
    assert result.ok and result.route == ("en", "sw")
    assert result.text and result.text != text and "911" in result.text
    assert translator.translate_blocking(text, "en", "sw").text == result.text  # the same model, the same text


def test_a_missing_pair_goes_through_english(translator: MachineTranslator) -> None:
    result = translator.translate_blocking("Nahitaji msaada sasa", "sw", "tl")
    assert result.ok and result.route == ("sw", "en", "tl")


def test_no_model_degenerate_output_and_lost_numbers_give_no_text_and_say_why(translator: MachineTranslator) -> None:
    assert translator.translate_blocking("Hello", "en", "fr").problem is Problem.NO_MODEL
    degenerate = translator.translate_blocking("Where are you now?", "en", "pl")  # the repeating model
    assert degenerate.text is None and degenerate.problem is Problem.DEGENERATE and degenerate.original == "Where are you now?"
    assert degenerate.refused and degenerate.refused.startswith("aaaa")  # kept only to show an operator why
    # the tiny model writes letters it does not know as other letters: a web address does not survive
    lost = translator.translate_blocking("Visit globalmodernslavery.org for help.", "en", "sw")
    assert lost.text is None and lost.problem is Problem.NUMBERS_LOST


async def test_translations_run_off_the_event_loop_and_one_pair_at_a_time(translator: MachineTranslator) -> None:
    texts = [f"Message number {n}: where are you now?" for n in range(12)]
    alone = [translator.translate_blocking(text, "en", "sw").text for text in texts]
    ticks = 0

    async def clock() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticking = asyncio.create_task(clock())
    together = await asyncio.gather(*(translator.translate(text, "en", "sw") for text in texts))
    ticking.cancel()
    assert [result.text for result in together] == alone  # serialised per pair: nothing mixed up
    assert ticks > 0  # the loop kept running while they translated


async def test_a_translation_past_the_time_limit_is_given_up_without_blocking(translation_models_dir: Path, no_network: None) -> None:
    slow = MachineTranslator(translation_models_dir, timeout_s=0.001)
    long_text = " ".join(["My boss keeps my passport and I cannot leave the house."] * 6)
    try:
        result = await slow.translate(long_text, "en", "sw")
        assert result.text is None and result.problem is Problem.TIMED_OUT
        assert slow.translate_blocking(long_text, "en", "sw").problem is Problem.TIMED_OUT
    finally:
        slow.close()


def test_a_broken_package_is_left_out_and_the_others_still_work(translation_packages: Path, tmp_path: Path) -> None:
    from bot.translation.packages import install

    models = tmp_path / "models"
    install(translation_packages / "translate-en_sw-tiny.argosmodel", models)
    install(translation_packages / "translate-en_tl-tiny.argosmodel", models)
    (models / "translate-en_tl-tiny" / "model" / "model.bin").write_bytes(b"broken")
    made = MachineTranslator(models, timeout_s=30)
    try:
        assert [pair.key for pair in made.pairs] == [("en", "sw")]
        assert made.translate_blocking("Hello", "en", "tl").problem is Problem.NO_MODEL
        assert made.translate_blocking("Hello", "en", "sw").ok
    finally:
        made.close()
