"""Every flow in every language the line writes, over SMS, through the real servers.

Each of the 19 languages gets its own receiving number, set (as an operator would) to that
language and to a jurisdiction where its speakers often are. For each language a new person
writes: an emergency, a situation followed by the short questions, a rights question, a worry about
someone else, HELP, an erasure, and a change of language from the numbered menu. The messages
that need understanding are the language's first training example of their intent: this test is
about the conversation in every language, not about how well the model generalises (that is
``hotline eval``, on the held-out sets); keywords come from the language's keyword file.

Every answer must be the language's own catalog text (as the SMS channel sends it: accents GSM-7
lacks dropped), recognised as that language by language identification, without an untranslated
key or placeholder, and the emergency answer must carry the number of the receiving number's
jurisdiction.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from typing import Callable, Dict, Iterator, List, Sequence, Tuple

import pytest
import yaml

from bot.catalog import Catalogs
from bot.config import PROJECT_ROOT, shipped_languages
from bot.dialogue.nlg import context_values
from bot.knowledge import KnowledgeBase
from bot.language import LanguageIdentifier, recognised_languages
from bot.sms import to_gsm7
from bot.text import fold
from testsupport.servers import hotline_servers
from testsupport.twilio_client import channel_environment
from testsupport.twilio_emulator import running_emulator
from testsupport.twilio_line import Line

MODEL = PROJECT_ROOT / "models" / "hotline.tar.gz"
AUTH_TOKEN = "test-token-" + uuid.uuid4().hex
PUBLIC_URL = "https://hotline.example.org"
LANGUAGES = shipped_languages(PROJECT_ROOT / "translations")
# Where the line's number for each language is (where many of its speakers work or seek help).
JURISDICTION_OF = {
    "en": "UK", "es": "US", "fr": "EU", "pt": "EU", "ro": "EU", "bg": "EU", "sq": "EU", "ru": "EU", "uk": "UA",
    "ar": "AE", "zh": "HK", "vi": "UK", "tl": "SG", "id": "MY", "th": "TH", "hi": "AE", "ne": "MY", "my": "TH", "km": "TH",
}
NUMBER_OF = {language: f"+1555030{index:04d}" for index, language in enumerate(LANGUAGES)}
CATALOGS = Catalogs.load(PROJECT_ROOT / "translations", LANGUAGES, "en")
KNOWLEDGE = KnowledgeBase.load(PROJECT_ROOT / "bot" / "knowledge" / "data", LANGUAGES)
pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run 'make train' (make test does)"),
]


def compact(text: str) -> str:
    """A text as the SMS channel sends it, without spaces (SMS parts are cut where the channel
    likes) and without accents (GSM-7 drops those it lacks only when the whole SMS fits it)."""
    return re.sub(r"\s+", "", fold(to_gsm7(text)))


def said(language: str, key: str, **values: object) -> str:
    """The catalog text ``key`` of ``language`` as the line's number's jurisdiction fills it."""
    filled = context_values(KNOWLEDGE, language, JURISDICTION_OF[language])
    filled.update(values)
    text = CATALOGS.render(language, key, filled)
    assert text is not None, key
    return text


def prefix_of(language: str, key: str) -> str:
    """The catalog text up to its first placeholder (for texts with a value only the server knows)."""
    return CATALOGS.template(language, key).split("{")[0]


def script(text: str) -> str:
    """The Unicode script of the first letter of ``text`` ("LATIN", "CYRILLIC", "DEVANAGARI" ...)."""
    return next((unicodedata.name(char).split()[0] for char in text if char.isalpha()), "")


# Files of hard negatives and near-contrasts: messages written to look like danger (past violence,
# idioms), whose false-alarm rate `hotline eval` measures; the flows start from ordinary ones.
HARD_NEGATIVE_FILES = frozenset({"hard_negatives", "danger_contrast", "near_contrast"})


def first_example(language: str, intent: str) -> str:
    """The first training example of ``intent`` in the language's own script (danger only for
    emergencies), outside the hard negatives. Romanised messages (Bulgarian or Hindi in Latin
    letters) are measured by ``hotline eval``; here the conversation in each language is tested."""
    own_script = script(CATALOGS.template(language, "utter_emergency"))
    for path in sorted((PROJECT_ROOT / "nlu_data" / language).glob("*.yml")):
        if path.stem in HARD_NEGATIVE_FILES:
            continue
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for example in block["examples"] if block.get("intent") == intent else ():
                text = str(example["text"]).strip()
                if script(text) == own_script and (intent == "emergency" or not (example.get("metadata") or {}).get("danger")):
                    return text
    raise LookupError(f"no {intent} example in nlu_data/{language}")


def keyword(language: str, kind: str) -> str:
    words = yaml.safe_load((PROJECT_ROOT / "bot" / "nlu" / "keywords" / f"{language}.yml").read_text(encoding="utf-8"))
    return str(words[kind][0])


class Person:
    """One person writing to the line's number for their language."""

    def __init__(self, line: Line, language: str) -> None:
        self.line, self.language = line, language
        self.address = "+1555" + str(uuid.uuid4().int)[:7]

    def all_said(self) -> List[str]:
        return self.line.replies_to(self.address)

    def writes(self, text: str, *expected: str, timeout: float = 60.0) -> str:
        """Send ``text``; wait until the line has said every one of ``expected`` (compared as SMS
        text: a long answer arrives as several SMS); everything the line said since."""
        return self.writes_one_of(text, expected, timeout=timeout)[1]

    def writes_one_of(self, text: str, *answers: Sequence[str], timeout: float = 60.0) -> Tuple[int, str]:
        """Send ``text``; wait until the line has said all the texts of one of ``answers``; which
        one, and everything the line said since."""
        before = len(self.all_said())
        self.line.text(self.address, text, to=NUMBER_OF[self.language])
        wanted = [[compact(expect) for expect in answer] for answer in answers]
        assert wanted and all(all(answer) for answer in wanted), f"[{self.language}] nothing to wait for after {text!r}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            said_since = " ".join(self.all_said()[before:])
            for index, answer in enumerate(wanted):
                if all(want in compact(said_since) for want in answer):
                    return index, said_since
            time.sleep(0.2)
        raise AssertionError(f"[{self.language}] after {text!r} expected one of {answers!r}, got {self.all_said()[before:]!r}")


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    workdir = tmp_path_factory.mktemp("every-language")
    numbers = workdir / "numbers.yml"
    numbers.write_text(
        yaml.safe_dump({"numbers": {NUMBER_OF[c]: {"jurisdiction": JURISDICTION_OF[c], "language": c} for c in LANGUAGES}}),
        encoding="utf-8",
    )
    with running_emulator(auth_token=AUTH_TOKEN) as emulator:
        environment = {
            **channel_environment(emulator.base_url, AUTH_TOKEN, PUBLIC_URL),
            "HOTLINE_NUMBERS_FILE": str(numbers),
            "HOTLINE_DEFAULT_JURISDICTION": "",
        }
        with hotline_servers(workdir, MODEL, environment, twilio_receiver=True) as servers:
            yield Line(servers, emulator, AUTH_TOKEN, PUBLIC_URL, NUMBER_OF["en"])


IDENTIFIER = LanguageIdentifier(recognised_languages())
# Vietnamese goes out by SMS without its tone marks (GSM-7), and without them no language
# identifier tells it apart reliably: its answers are checked against its catalog texts only.
WITHOUT_ITS_MARKS_BY_SMS = {"vi"}


def check_language(person: Person) -> None:
    """Everything the line said to this person is in their language, with nothing untranslated."""
    everything = " ".join(person.all_said())
    assert not re.search(r"utter_|indicator_|language_[a-z]{2}\b|\{\w+\}", everything), everything
    if person.language in WITHOUT_ITS_MARKS_BY_SMS:
        return  # (what it said was matched to the language's own catalog texts above)
    assert IDENTIFIER.detect(everything).language == person.language, (person.language, everything)


FLOWS: Dict[str, Callable[[Line, str], Person]] = {}


def flow(function: Callable[[Line, str], Person]) -> Callable[[Line, str], Person]:
    FLOWS[function.__name__] = function
    return function


@flow
def emergency(line: Line, language: str) -> Person:
    person = Person(line, language)
    number = KNOWLEDGE.jurisdictions[JURISDICTION_OF[language]].emergency_number
    person.writes(first_example(language, "emergency"), said(language, "utter_emergency"))
    assert number and number in person.all_said()[0], (language, person.all_said())  # in the very first SMS
    return person


@flow
def situation_and_screening(line: Line, language: str) -> Person:
    person = Person(line, language)
    person.writes(first_example(language, "report_situation"), prefix_of(language, "utter_offer_options"))
    person.writes(keyword(language, "affirm"), said(language, "utter_ask_screen_paid"))
    person.writes(keyword(language, "end_words"), said(language, "utter_screening_stopped"))
    return person


@flow
def rights(line: Line, language: str) -> Person:
    person = Person(line, language)
    overview = KNOWLEDGE.rights(JURISDICTION_OF[language], "overview")
    person.writes(keyword(language, "ask_rights"), overview.short[language], overview.source.last_reviewed)
    return person


@flow
def community_member(line: Line, language: str) -> Person:
    person = Person(line, language)
    number = KNOWLEDGE.jurisdictions[JURISDICTION_OF[language]].emergency_number
    guidance = [said(language, "utter_community_contacts")]
    # Where the report reads as danger now, a witness gets the emergency number first instead.
    danger_now = [said(language, "utter_emergency"), said(language, "utter_community_do_not_confront")]
    answer, _ = person.writes_one_of(first_example(language, "report_suspicion"), guidance, danger_now)
    if answer == 1:
        assert number and number in person.all_said()[0], (language, person.all_said())
    return person


@flow
def talk_to_a_person(line: Line, language: str) -> Person:
    person = Person(line, language)
    person.writes(keyword(language, "talk_to_human"), said(language, "utter_handoff_recorded"))
    return person


@flow
def delete(line: Line, language: str) -> Person:
    person = Person(line, language)
    person.writes(keyword(language, "delete_data"), said(language, "utter_confirm_delete"))
    person.writes(keyword(language, "affirm"), said(language, "utter_data_deleted"))
    return person


@flow
def language_change(line: Line, language: str) -> Person:
    person = Person(line, language)
    other = "es" if language == "en" else "en"
    number = LANGUAGES.index(other) + 1
    last = LANGUAGES[-1]
    person.writes(
        keyword(language, "change_language"),
        said(language, "utter_language_menu"),
        f"{number} {CATALOGS.template(other, f'language_{other}')}",
        f"{len(LANGUAGES)} {CATALOGS.template(last, f'language_{last}')}",  # the whole menu has come
    )
    before_the_switch = len(person.all_said())
    person.writes(str(number), said(other, "utter_language_changed"))
    person.writes(keyword(other, "talk_to_human"), said(other, "utter_handoff_recorded"))
    after = " ".join(person.all_said()[before_the_switch:])
    assert IDENTIFIER.detect(after).language == other, after
    return person


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(FLOWS))
def test_every_flow_in_every_language(line: Line, language: str, name: str) -> None:
    person = FLOWS[name](line, language)
    if name != "language_change":  # (that one checks its two languages itself)
        check_language(person)
