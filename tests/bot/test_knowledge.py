"""The knowledge base: every entry sourced and dated, texts short enough, places recognised,
no number in any language that its sources do not give."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, shipped_languages
from bot.errors import KnowledgeBaseError
from bot.knowledge import TOPICS, KnowledgeBase
from bot.sms import segment_count, to_gsm7

LANGUAGES = shipped_languages(PROJECT_ROOT / "translations")
KB_DIR = PROJECT_ROOT / "bot" / "knowledge" / "data"
KNOWLEDGE = KnowledgeBase.load(KB_DIR, LANGUAGES)
# Where every number and legal reference comes from (with the verbatim quote that gives it).
SOURCES = (PROJECT_ROOT / "docs" / "knowledge-sources.md",)
def numbers_in(text: str) -> set[str]:
    """Every run of digits of ``text`` ("call +63 2 1348" -> 63, 2, 1348), in any script's digits."""
    return set(re.findall(r"\d+", "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)))


def test_the_knowledge_base_covers_at_least_eight_jurisdictions_each_sourced_and_dated() -> None:
    assert {"US", "UK", "EU", "INTL", "PH", "ID", "TH", "MY", "AE", "HK", "SG", "UA"} <= set(KNOWLEDGE.jurisdictions)
    for jurisdiction in KNOWLEDGE.jurisdictions.values():
        assert "overview" in jurisdiction.rights and set(jurisdiction.rights) <= set(TOPICS)
        assert jurisdiction.emergency_number is None or jurisdiction.emergency_number in jurisdiction.emergency_text["en"]
        for entry in jurisdiction.rights.values():
            assert entry.source.name and re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.source.last_reviewed)


def test_a_topic_a_place_has_no_source_for_is_answered_from_the_international_baseline() -> None:
    assert "legal_help" not in KNOWLEDGE.jurisdictions["TH"].rights
    assert KNOWLEDGE.rights("TH", "legal_help") is KNOWLEDGE.jurisdictions["INTL"].rights["legal_help"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_short_answers_fit_two_sms_and_details_four(language: str) -> None:
    for jurisdiction in KNOWLEDGE.jurisdictions.values():
        for entry in jurisdiction.rights.values():
            assert segment_count(to_gsm7(entry.short[language])) <= 2, (jurisdiction.code, entry.topic, entry.short[language])
            assert segment_count(to_gsm7(entry.detail[language])) <= 4, (jurisdiction.code, entry.topic)


def _texts_with_their_english():
    for jurisdiction in KNOWLEDGE.jurisdictions.values():
        yield jurisdiction.code, jurisdiction.emergency_text
        for hotline in jurisdiction.hotlines:
            yield jurisdiction.code, hotline.contact
            yield jurisdiction.code, hotline.name
        for entry in jurisdiction.rights.values():
            yield jurisdiction.code, entry.short
            yield jurisdiction.code, entry.detail


def test_every_number_in_an_english_text_is_in_its_sources() -> None:
    """No invented numbers: each number of 3+ digits people read is quoted in the sources."""
    sources = " ".join(path.read_text(encoding="utf-8") for path in SOURCES)
    # Phone numbers as the sources write them, separators removed ("+622129244800" for "+62 21 2924 4800").
    sourced = " ".join(re.sub(r"[ \-.()]", "", found) for found in re.findall(r"\d[\d \-.()]*\d", sources))
    for code, texts in _texts_with_their_english():
        unsourced = {number for number in numbers_in(texts["en"]) if len(number) >= 3 and number not in sourced}
        assert not unsourced, (code, unsourced, texts["en"])


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_a_translation_has_no_number_its_english_text_lacks(language: str) -> None:
    for code, texts in _texts_with_their_english():
        assert numbers_in(texts[language]) <= numbers_in(texts["en"]), (code, texts[language], texts["en"])


def test_short_place_words_are_abbreviations_matched_as_written() -> None:
    """"eu" is "I" in Portuguese: two-letter place words would put people in the wrong country."""
    for jurisdiction in KNOWLEDGE.jurisdictions.values():
        for language, words in jurisdiction.country_words.items():
            assert not [word for word in words if len(word) <= 2 and word.isascii()], (jurisdiction.code, language)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("estoy en España", "EU"),
        ("i'm in london", "UK"),
        ("I live in Northern Ireland", "UK"),
        ("we are in texas", "US"),
        ("help us please", None),
        ("from latin america", None),
        ("US", "US"),
        ("what are my rights in the US?", "US"),
        ("i am in america", "US"),
        ("who do i report it to? im in ohio", "US"),
        ("HELP US", None),
        ("estados unidos", "US"),
        ("eu trabalho numa fazenda no Brasil", None),
        ("guardaram as tuas coisas?", None),
        ("ne-au încuiat ușa și nu putem ieși", None),  # "usa" is Romanian "the door" and Spanish "uses"
        ("quiero ir a USA", "US"),
        ("lucrez în America Latină", None),
        ("trabajo en Dubai", "AE"),
        ("nagtatrabaho ako sa Hong Kong", "HK"),
        ("I work in the EU", "EU"),
    ],
)
def test_places_people_name_select_the_right_jurisdiction(text: str, expected: str) -> None:
    assert KNOWLEDGE.jurisdiction_in(text) == expected


def test_unknown_place_lists_the_baselines_emergency_numbers() -> None:
    text = KNOWLEDGE.emergency_text(None, "en")
    assert "112" in text and "999" in text and "911" in text and len(text) < 60
    assert KNOWLEDGE.emergency_text("UK", "en").startswith("999")


def test_a_notice_short_of_room_gets_the_bare_numbers_from_the_knowledge_base() -> None:
    assert KNOWLEDGE.emergency_number("US") == "911" and KNOWLEDGE.emergency_number(None) == "112/999/911"
    assert KNOWLEDGE.hotline_number("US") == "1-888-373-7888"
    assert KNOWLEDGE.hotline_number("ID") == "0-800-1000"  # the first number, not the one from abroad
    assert KNOWLEDGE.hotline_number(None) == "globalmodernslavery.org"  # the directory has no number
    for code in KNOWLEDGE.jurisdictions:
        assert KNOWLEDGE.hotline_number(code) in KNOWLEDGE.hotline_text(code, "en")  # never a number of its own


def test_rights_topics_follow_the_question() -> None:
    assert KNOWLEDGE.topic_in("will they deport me if i go to the police about my visa") == "immigration_status"
    assert KNOWLEDGE.topic_in("necesito un abogado") == "legal_help"
    assert KNOWLEDGE.topic_in("what are my rights") == "overview"


def test_a_file_without_a_source_is_rejected(tmp_path: Path) -> None:
    broken = (KB_DIR / "intl.yml").read_text(encoding="utf-8").replace("last_reviewed:", "reviewed:", 1)
    (tmp_path / "intl.yml").write_text(broken, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="last_reviewed"):
        KnowledgeBase.load(tmp_path, ("en",))


def test_no_source_line_says_the_same_thing_twice() -> None:
    for jurisdiction in KNOWLEDGE.jurisdictions.values():
        for entry in jurisdiction.rights.values():
            source = entry.source
            if source.article:
                assert source.article not in source.name and source.name not in source.article, source.cite()


def test_place_words_are_looked_for_in_the_languages_of_the_conversation() -> None:
    """Indonesian "Filipina" is the Philippines; Spanish "filipina" is a Filipino woman."""
    assert KNOWLEDGE.jurisdiction_in("saya kerja di Filipina", ("id", "en")) == "PH"
    assert KNOWLEDGE.jurisdiction_in("en mi edificio hay una chica filipina", ("es", "en")) is None
    assert KNOWLEDGE.jurisdiction_in("estou indo para casa", ("pt", "en")) is None
    assert KNOWLEDGE.jurisdiction_in("vorbim maine", ("ro", "en")) is None
    assert KNOWLEDGE.jurisdiction_in("I'm in the US", ("th", "en")) == "US"


@pytest.mark.parametrize(
    ("text", "only_a_place"),
    [
        ("USA", True),
        ("Dubai", True),
        ("España.", True),
        ("Malaysia!", True),
        ("USA help", False),
        ("he is taking me to Dubai now", False),
        ("HELP US", False),
        ("", False),
        ("?", False),
    ],
)
def test_a_message_that_is_only_a_place_name_is_told_apart(text: str, only_a_place: bool) -> None:
    """The answer to "which country are you in?" is typed as told: never danger by itself."""
    assert KNOWLEDGE.is_only_a_place(text) is only_a_place
