"""The knowledge base: every entry sourced and dated, texts short enough, places recognised."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.errors import KnowledgeBaseError
from bot.knowledge import TOPICS, KnowledgeBase
from bot.sms import segment_count

LANGUAGES = ("en", "es")
KB_DIR = PROJECT_ROOT / "bot" / "knowledge" / "data"
KNOWLEDGE = KnowledgeBase.load(KB_DIR, LANGUAGES)
REFERENCE_NUMBERS = {"1-888-373-7888", "233733", "711", "08000 121 700", "112", "116 006", "911", "999"}


def test_every_jurisdiction_has_every_topic_with_source_and_review_date() -> None:
    assert set(KNOWLEDGE.jurisdictions) == {"US", "UK", "EU", "INTL"}
    for jurisdiction in KNOWLEDGE.jurisdictions.values():
        assert set(jurisdiction.rights) == set(TOPICS)
        for entry in jurisdiction.rights.values():
            assert entry.source.name and re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.source.last_reviewed)


@pytest.mark.parametrize("language", LANGUAGES)
def test_short_answers_fit_two_sms_and_details_four(language: str) -> None:
    for jurisdiction in KNOWLEDGE.jurisdictions.values():
        for entry in jurisdiction.rights.values():
            assert segment_count(entry.short[language]) <= 2, (jurisdiction.code, entry.topic, entry.short[language])
            assert segment_count(entry.detail[language]) <= 4, (jurisdiction.code, entry.topic)


def _all_texts():
    for jurisdiction in KNOWLEDGE.jurisdictions.values():
        for language in LANGUAGES:
            yield jurisdiction.emergency_text[language]
            for hotline in jurisdiction.hotlines:
                yield hotline.contact[language]
            for entry in jurisdiction.rights.values():
                yield entry.short[language]
                yield entry.detail[language]


def test_every_number_people_are_told_to_call_is_in_the_reference() -> None:
    """No invented numbers: whatever follows call/text/dial (or llama/escribe/marca) is a known one."""
    told_to_call = re.compile(
        r"(?:call|text|dial|tty|llama(?: al)?|escribe(?: al)?|marca(?: el)?|sms(?: al)?|emergencias:?|emergency:?)\s+"
        r"(\d[\d -]*\d)",
        re.IGNORECASE,
    )
    for text in _all_texts():
        for number in told_to_call.findall(text):
            assert number.strip() in REFERENCE_NUMBERS, (number, text)
    for jurisdiction in KNOWLEDGE.jurisdictions.values():
        if jurisdiction.emergency_number:
            assert jurisdiction.emergency_number in REFERENCE_NUMBERS


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
    ],
)
def test_places_people_name_select_the_right_jurisdiction(text: str, expected: str) -> None:
    assert KNOWLEDGE.jurisdiction_in(text) == expected


def test_unknown_place_lists_every_known_emergency_number() -> None:
    text = KNOWLEDGE.emergency_text(None, "en")
    assert "112" in text and "999" in text and "911" in text
    assert KNOWLEDGE.emergency_text("UK", "en").startswith("999")


def test_rights_topics_follow_the_question() -> None:
    assert KNOWLEDGE.topic_in("will they deport me if i go to the police about my visa") == "immigration_status"
    assert KNOWLEDGE.topic_in("necesito un abogado") == "legal_help"
    assert KNOWLEDGE.topic_in("what are my rights") == "overview"


def test_a_file_without_a_source_is_rejected(tmp_path: Path) -> None:
    broken = (KB_DIR / "intl.yml").read_text(encoding="utf-8").replace("last_reviewed:", "reviewed:", 1)
    (tmp_path / "intl.yml").write_text(broken, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="last_reviewed"):
        KnowledgeBase.load(tmp_path, LANGUAGES)


def test_no_source_line_says_the_same_thing_twice() -> None:
    for jurisdiction in KNOWLEDGE.jurisdictions.values():
        for entry in jurisdiction.rights.values():
            source = entry.source
            if source.article:
                assert source.article not in source.name and source.name not in source.article, source.cite()
