"""Every response exists in every language and fits in two SMS segments with real values filled in."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import yaml

from bot.catalog import Catalogs, placeholders_in
from bot.config import PROJECT_ROOT, shipped_languages
from bot.dialogue.nlg import context_values
from bot.knowledge import KnowledgeBase
from bot.nlu.indicators import INDICATOR_KEYS
from bot.sms import segment_count, to_gsm7

LANGUAGES = shipped_languages(PROJECT_ROOT / "translations")
CATALOGS = Catalogs.load(PROJECT_ROOT / "translations", LANGUAGES, "en")
KNOWLEDGE = KnowledgeBase.load(PROJECT_ROOT / "bot" / "knowledge" / "data", LANGUAGES)
JURISDICTIONS = [None, *KNOWLEDGE.jurisdictions]


def response_names_used() -> set[str]:
    """Every response name the actions send, plus the questions the forms ask."""
    names: set[str] = set()
    for path in (PROJECT_ROOT / "actions").glob("*.py"):
        names |= set(re.findall(r'(?<!get\()"(utter_\w+)"', path.read_text(encoding="utf-8")))
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    names |= {"utter_" + name[len("action_"):] for name in domain["actions"] if name.startswith("action_ask_")}
    names |= {f"indicator_{key}" for key in INDICATOR_KEYS}
    names |= {f"language_{code}" for code in LANGUAGES}
    return names


def test_every_response_the_bot_sends_exists_in_every_language() -> None:
    for language in LANGUAGES:
        missing = response_names_used() - CATALOGS.keys(language)
        assert not missing, f"{language} catalog lacks {sorted(missing)}"


def test_the_project_ships_the_nineteen_languages() -> None:
    assert set(LANGUAGES) == {"en", "es", "fr", "pt", "ro", "bg", "sq", "ru", "uk", "ar", "zh", "vi", "tl", "id", "th", "hi", "ne", "my", "km"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogs_have_the_same_entries_and_placeholders(language: str) -> None:
    assert CATALOGS.keys(language) == CATALOGS.keys("en"), set(CATALOGS.keys(language)) ^ set(CATALOGS.keys("en"))
    for key in CATALOGS.keys("en"):
        assert placeholders_in(CATALOGS.template("en", key)) == placeholders_in(CATALOGS.template(language, key)), key


def _longest_indicator(language: str) -> str:
    return max((CATALOGS.template(language, f"indicator_{key}") for key in INDICATOR_KEYS), key=len)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_response_fits_two_sms_segments_wherever_the_person_is(language: str) -> None:
    too_long = []
    longest_source = max(
        (entry.source.cite() for j in KNOWLEDGE.jurisdictions.values() for entry in j.rights.values()), key=len
    )
    for key, jurisdiction in itertools.product(sorted(CATALOGS.keys(language)), JURISDICTIONS):
        if key == "utter_rights_text":
            continue  # the knowledge-base texts are checked by tests/test_knowledge.py
        values = context_values(KNOWLEDGE, language, jurisdiction)
        values.update(
            source=longest_source,
            reviewed="2026-11-27",
            first=_longest_indicator(language),
            second=_longest_indicator(language),
        )
        text = CATALOGS.render(language, key, values)
        if segment_count(to_gsm7(text)) > 2:  # as the SMS channel sends it (bot.sms.turn_text)
            too_long.append((key, jurisdiction, segment_count(to_gsm7(text)), len(text), text))
    assert not too_long, "\n".join(map(str, too_long))


def test_a_missing_catalog_entry_falls_back_to_the_default_language(tmp_path: Path) -> None:
    (tmp_path / "en.yml").write_text('utter_x: {review_status: reviewed, text: "Hello {place}"}\n'
                                     'utter_y: {review_status: reviewed, text: "Only English"}\n', encoding="utf-8")
    (tmp_path / "es.yml").write_text('utter_x: {review_status: draft, text: "Hola {place}"}\n', encoding="utf-8")
    catalogs = Catalogs.load(tmp_path, ("en", "es"), "en")
    assert catalogs.render("es", "utter_x", {"place": "España"}) == "Hola España"
    assert catalogs.render("es", "utter_y", {}) == "Only English"
    assert catalogs.render("es", "utter_nothing", {}) is None
    assert [(c.language, c.reviewed, c.draft, c.missing) for c in catalogs.review_counts()] == [("en", 2, 0, 0), ("es", 0, 1, 1)]


@pytest.mark.parametrize("entry, complaint", [
    ('"Hello"', "review_status: draft|reviewed"),
    ('{text: "Hello"}', "review_status None"),
    ('{review_status: approved, text: "Hello"}', "review_status 'approved'"),
    ('{review_status: draft, text: "Hello", note: "x"}', "unknown fields"),
    ('{review_status: draft, text: "Hello {name}"}', "unknown placeholders"),
])
def test_an_entry_without_its_review_status_or_with_unknown_parts_is_refused(tmp_path: Path, entry: str, complaint: str) -> None:
    from bot.errors import CatalogError

    (tmp_path / "en.yml").write_text(f"utter_x: {entry}\n", encoding="utf-8")
    with pytest.raises(CatalogError) as refused:
        Catalogs.load(tmp_path, ["en"], "en")
    assert "utter_x" in str(refused.value) and complaint in str(refused.value)


def test_catalogs_status_prints_what_still_needs_a_native_reader(capsys: pytest.CaptureFixture) -> None:
    from bot.config import settings_from
    from hotline.cli import main

    assert main(["catalogs", "status"], settings_from({})) == 0
    out = capsys.readouterr().out
    for counts in CATALOGS.review_counts():
        assert f"{counts.language:<8}  {counts.reviewed:>8}  {counts.draft:>5}  {counts.missing:>7}  " in out
    entries = len(CATALOGS.keys("en"))
    assert f"{'es':<8}  {0:>8}  {entries:>5}  {0:>7}  draft" in out and f"{'en':<8}  {0:>8}  {entries:>5}  {0:>7}  source" in out


# What each action sends in a first turn (after the first-contact notice, where it sends one).
FIRST_TURNS = {
    "situation, two signs": ["utter_reflect_two", "utter_offer_options"],
    "situation, no sign": ["utter_situation_heard", "utter_offer_options"],
    "a request for help": ["utter_here_to_help", "utter_offer_options"],
    "the signs": ["utter_signs", "utter_signs_next"],
    "a greeting": ["utter_how_can_i_help"],
    "asking for a person": ["utter_handoff_recorded", "utter_queue_place"],
    # (a long wait: its notice says they are in line, in place of "your request is passed on")
    "asking for a person, long wait": ["utter_queue_place_long"],
    "not understood": ["utter_fallback"],
    "rights, country unknown": ["utter_ask_country_reply"],
}
NO_NOTICE_TURNS = {
    # (its answer gives the emergency number, so the notice leaves it out)
    "a community member": ["utter_welcome", "utter_suspicion_thanks", "utter_community_do_not_confront", "utter_community_contacts"],
    "an emergency": ["utter_emergency", "utter_emergency_safety_check", "utter_handoff_urgent"],
    "someone else in danger": ["utter_emergency", "utter_community_do_not_confront", "utter_handoff_urgent"],
    "another language": ["utter_other_language", "utter_queue_place"],
    "another language, long wait": ["utter_other_language", "utter_queue_place_long"],
    "asking for a person later, long wait": ["utter_handoff_recorded", "utter_queue_place_long"],
}


def _rendered(language: str, jurisdiction, keys) -> list:
    values = context_values(KNOWLEDGE, language, jurisdiction)
    values.update(
        first=_longest_indicator(language),
        second=_longest_indicator(language),
        position=12,
        wait=45,
    )
    return [CATALOGS.render(language, key, values) for key in keys]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_first_turn_costs_at_most_three_sms_with_the_longest_values(language: str) -> None:
    from bot.sms import max_turn_segments, turn_segments

    over = []
    for jurisdiction in JURISDICTIONS:
        for name, keys in FIRST_TURNS.items():
            replies = _rendered(language, jurisdiction, ["utter_welcome", "utter_welcome_safety", *keys])
            if turn_segments(replies) > max_turn_segments(replies):
                over.append((name, jurisdiction, turn_segments(replies), len(" ".join(replies))))
        for name, keys in NO_NOTICE_TURNS.items():
            replies = _rendered(language, jurisdiction, keys)
            if turn_segments(replies) > max_turn_segments(replies):
                over.append((name, jurisdiction, turn_segments(replies), len(" ".join(replies))))
    assert not over, over


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_rights_answer_as_the_first_turn_costs_at_most_three_sms(language: str) -> None:
    """A first message that names the place ("what are my rights in the US?") is answered at once:
    notice, the knowledge base's short answer and its source line."""
    from bot.sms import max_turn_segments, turn_segments

    over = []
    for code, jurisdiction in KNOWLEDGE.jurisdictions.items():
        for topic, entry in jurisdiction.rights.items():
            notice = _rendered(language, code, ["utter_welcome", "utter_welcome_safety"])
            values = context_values(KNOWLEDGE, language, code)
            values.update(source=entry.source.cite(), reviewed=entry.source.last_reviewed)
            replies = notice + [entry.short[language], CATALOGS.render(language, "utter_rights_source_more", values)]
            if turn_segments(replies) > max_turn_segments(replies):
                over.append((code, topic, turn_segments(replies)))
    assert not over, over
