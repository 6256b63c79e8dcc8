"""The language menu, the words that open it, and the names that pick a language."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.language_menu import menu_replies, picked_language
from bot.language_names import is_only_a_language_name, requested_language
from bot.nlu.keyword_commands import command_intent
from bot.nlu.keywords import keywords, load_keywords
from bot.sms import segment_count, to_gsm7

LANGUAGES = ("en", "es", "fr", "ar", "th")


@pytest.mark.parametrize("text", ["LANGUAGE", "idioma", "1", "🇫🇷", "🇵🇭 🇺🇸", "🌐", "Español", "english!"])
def test_these_messages_open_the_menu_or_ask_for_a_language(text: str) -> None:
    assert command_intent(text, keywords()) == "change_language"


@pytest.mark.parametrize("text", ["2", "I am 1 of 5 girls here", "hola", "🙂", "language is hard for me"])
def test_these_do_not(text: str) -> None:
    assert command_intent(text, keywords()) != "change_language"


@pytest.mark.parametrize(
    "text, expected",
    [("2", "es"), ("5.", "th"), ("٣", "fr"), ("४", "ar"), ("๑", "en"), ("0", None), ("6", None), ("2 please", None)],
)
def test_a_bare_number_in_any_script_picks_from_the_menu(text: str, expected: str) -> None:
    assert picked_language(text, LANGUAGES) == expected


def test_the_menu_is_cut_into_replies_that_each_fit_two_sms() -> None:
    entries = [f"{n} {name}" for n, name in enumerate(
        ["English", "Español", "Français", "Português", "Română", "Български", "Shqip", "Русский", "Українська",
         "العربية", "中文", "Tiếng Việt", "Tagalog", "Bahasa Indonesia", "ไทย", "हिन्दी", "नेपाली", "မြန်မာ", "ខ្មែរ"], 1)]
    replies = menu_replies("Reply with the number of your language:", entries)
    assert len(replies) > 1
    assert all(segment_count(to_gsm7(reply)) <= 2 for reply in replies)
    assert "\n".join(replies).splitlines()[1:] == entries  # every entry once, in order


def test_names_are_found_as_words_or_inside_unspaced_scripts() -> None:
    assert requested_language("en español por favor") == "es"
    assert requested_language("bahasa indonesia dong") == "id"
    assert requested_language("I work in Thailand") is None  # a place, not "thai"
    assert is_only_a_language_name("Español!") and not is_only_a_language_name("hablo español")


def test_the_word_for_language_opens_the_menu_in_every_language() -> None:
    """"bahasa" means "language": it opens the menu; it never picks Indonesian."""
    from bot.config import PROJECT_ROOT

    for path in sorted((PROJECT_ROOT / "bot" / "nlu" / "keywords").glob("*.yml")):
        import yaml

        words = yaml.safe_load(path.read_text(encoding="utf-8"))["change_language"]
        assert requested_language(str(words[0])) is None, (path.stem, words[0])
    assert requested_language("ganti bahasa") is None


def test_no_language_name_is_also_a_place() -> None:
    """"Indonesia" answers "which country are you in?": it must not switch the language."""
    from bot.config import PROJECT_ROOT, shipped_languages
    from bot.knowledge import KnowledgeBase
    from bot.language_names import load_names

    knowledge = KnowledgeBase.load(PROJECT_ROOT / "bot" / "knowledge" / "data", shipped_languages(PROJECT_ROOT / "translations"))
    places = {word for j in knowledge.jurisdictions.values() for words in j.country_words.values() for word in words}
    assert not places & set(load_names())


def test_a_keyword_with_two_meanings_in_two_languages_is_refused(tmp_path: Path) -> None:
    (tmp_path / "aa.yml").write_text("affirm: [da]\n", encoding="utf-8")
    (tmp_path / "bb.yml").write_text("deny: [da]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'da' is"):
        load_keywords(tmp_path)


def test_an_answer_word_that_means_yes_in_one_language_and_no_in_another_is_refused(tmp_path: Path) -> None:
    (tmp_path / "aa.yml").write_text("yes_words: [po]\n", encoding="utf-8")
    (tmp_path / "bb.yml").write_text("no_words: [po]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="both yes and no"):
        load_keywords(tmp_path)


@pytest.mark.parametrize("text, answer", [("2", True), ("12.", True), ("٣", True), ("стоп", True), ("911", False), ("he has a knife", False)])
def test_a_menu_number_or_an_answer_word_is_marked_as_typed_never_danger_by_itself(text: str, answer: bool) -> None:
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.keyword_commands import KeywordCommands

    [message] = KeywordCommands(keywords()).process([Message(data={TEXT: text})])
    assert (message.get("command") == "answer") is answer
