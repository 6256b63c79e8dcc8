"""Whole conversations against the real servers: the trained model, the action server, SQLite.

Starts the action server (``hotline actions``) and ``rasa run`` (REST channel) on spare ports with a fresh database,
then talks to them the way ``hotline chat`` does. Needs the trained model (``make train``).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Iterator, List, Tuple

import pytest

from bot.chat import send
from bot.config import PROJECT_ROOT
from bot.sms import MAX_SEGMENTS_PER_TURN, turn_segments
from testsupport.servers import RunningServers, hotline_servers

MODEL = PROJECT_ROOT / "models" / "hotline.tar.gz"
pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run 'make train' (make test does)"),
]


# (message, SMS the bot's answer costs as the SMS channel sends it) for every turn of this module.
TURN_COSTS: List[Tuple[str, int]] = []


class Server:
    """The running pair of servers and the database behind them."""

    def __init__(self, running: RunningServers) -> None:
        self.url = running.url
        self.rows = running.rows
        self.running = running

    def talk(self, sender: str, text: str) -> List[str]:
        replies = send(self.url, sender, text)
        TURN_COSTS.append((text, turn_segments(replies)))
        return replies


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("servers")
    environment = {"HOTLINE_HANDOFF_NOTICE_INTERVAL": "300", "HOTLINE_DEFAULT_JURISDICTION": ""}
    with hotline_servers(workdir, MODEL, environment) as running:
        yield Server(running)
    for name in ("rasa.log", "actions.log"):
        text = (workdir / name).read_text(encoding="utf-8", errors="replace")
        assert "nail salon" not in text and "pasaporte" not in text, f"message text leaked into {name}"


def new_person() -> str:
    return "test-" + uuid.uuid4().hex


def escalations(server: Server, sender: str) -> list:
    """The conversation's requests for a counselor, each with its summary opened with the
    servers' key (it is stored sealed)."""
    from bot.crypto import Sealer
    from bot.handoff.queue import summary_of

    sealer = Sealer(base64.urlsafe_b64decode(server.running.environment["HOTLINE_SECRET_KEY"]))
    rows = server.rows(
        "SELECT priority, reason, language, jurisdiction, id FROM escalations WHERE conversation_id = :c", c=sender
    )
    return [(*row[:4], json.dumps(summary_of(server.running.database_url, sealer, row[4]))) for row in rows]


def test_first_contact_says_what_the_service_is_and_never_replies_in_the_wrong_language(server: Server) -> None:
    person = new_person()
    replies = server.talk(person, "hola")
    assert "confidencial" in replies[0]
    assert any("112" in reply and "911" in reply for reply in replies[:2])
    assert any("AYUDA" in reply for reply in replies)


def test_an_emergency_gets_the_emergency_number_first_and_the_most_urgent_escalation(server: Server) -> None:
    person = new_person()
    replies = server.talk(person, "he has a knife and says he will kill me")
    assert "911" in replies[0] and "danger" in replies[0].lower()
    assert any("safe" in reply.lower() for reply in replies)
    [(priority, reason, language, _jurisdiction, summary)] = escalations(server, person)
    assert priority == 1 and reason == "emergency" and language == "en"
    assert json.loads(summary)["danger"] is True
    # The person answers the safety check: the bot stays quiet (a counselor has it).
    noted = server.talk(person, "yes it is safe to text now")
    assert len(noted) == 1 and "added" in noted[0]
    assert server.talk(person, "hello?") == []  # no more messages until the notice interval passes


def test_danger_inside_a_situation_report_still_gets_the_emergency_number_first(server: Server) -> None:
    person = new_person()
    replies = server.talk(person, "they lock us in the trailer at night and the boss has a gun")
    assert "911" in replies[0]
    [(priority, *_rest)] = escalations(server, person)
    assert priority == 1


def test_spanish_emergency_in_spain(server: Server) -> None:
    person = new_person()
    replies = server.talk(person, "estoy en España, nos encerraron en la nave y el jefe tiene una pistola")
    assert "112" in replies[0]
    assert all("danger" not in reply.lower() for reply in replies)
    [(priority, _reason, language, jurisdiction, _summary)] = escalations(server, person)
    assert (priority, language, jurisdiction) == (1, "es", "EU")


def test_situation_reflection_screening_and_handoff_summary(server: Server) -> None:
    person = new_person()
    replies = server.talk(person, "the agency keeps my passport for safekeeping and i still owe them 3000 for the visa")
    text = " ".join(replies).lower()
    assert "passport" in text and "trafficking" not in text and "victim" not in text
    assert "yes" in text and "help" in text  # the options: questions or a person
    first_question = server.talk(person, "yes")
    assert first_question and "1/8" in first_question[-1]
    assert "2/8" in server.talk(person, "no")[-1]
    assert "3/8" in server.talk(person, "skip")[-1]
    stopped = " ".join(server.talk(person, "DONE")).lower()
    assert "stopped" in stopped and "counselor" in stopped
    handed_over = " ".join(server.talk(person, "yes"))
    assert "1-888" not in handed_over  # unknown place: never a US number
    assert "counselor will answer here" in handed_over
    assert re.search(r"You are number \d+ in line\. We can't estimate the wait", handed_over)  # nobody was taken yet
    [(priority, reason, language, _jurisdiction, summary)] = escalations(server, person)
    summary = json.loads(summary)
    assert priority == 3 and language == "en"
    assert summary["screening"]["screen_paid"] == "no"
    assert summary["screening"]["screen_leave"] == "skipped"
    assert summary["screening"]["screen_threats"] == "not_asked"
    keys = {item["key"] for item in summary["indicators"]}
    assert "retention_of_documents" in keys
    assert any("passport" in item["evidence"].lower() for item in summary["indicators"])


def test_rights_in_the_us_after_asking_for_the_country_with_source_and_more(server: Server) -> None:
    person = new_person()
    server.talk(person, "hi")
    asked = server.talk(person, "can they deport me if i report my boss, i dont have papers")
    assert "country" in asked[-1].lower()
    answer = server.talk(person, "USA")
    text = " ".join(answer)
    assert "T visa" in text and "Source:" in text and "2026-" in text and "MORE" in text
    detail = " ".join(server.talk(person, "more"))
    assert "Source:" in detail and detail != text


def test_rights_in_the_uk_and_the_eu(server: Server) -> None:
    person = new_person()
    uk = " ".join(server.talk(person, "I'm in London. What are my rights, can they deport me?"))
    assert "National Referral Mechanism" in uk or "NRM" in uk
    persona = new_person()
    eu = " ".join(server.talk(persona, "vivo en España, tengo derecho a quedarme si denuncio?"))
    assert "Fuente:" in eu and ("2011/36" in eu or "2004/81" in eu or "CETS" in eu or "Consejo de Europa" in eu)


def test_a_community_member_is_told_not_to_confront_and_where_to_report(server: Server) -> None:
    person = new_person()
    replies = " ".join(server.talk(person, "I think the women at the nail salon next door are not allowed to leave"))
    assert "confront" in replies and "globalmodernslavery.org" in replies


def test_help_keyword_at_any_point_escalates(server: Server) -> None:
    person = new_person()
    server.talk(person, "hola")
    replies = " ".join(server.talk(person, "AYUDA"))
    assert "equipo" in replies
    [(priority, *_rest)] = escalations(server, person)
    assert priority == 4


def test_erasure_is_confirmed_then_removes_everything(server: Server) -> None:
    person = new_person()
    server.talk(person, "quiero hablar con una persona")
    assert escalations(server, person)
    server.talk(person, "borra mis datos")
    done = " ".join(server.talk(person, "sí"))
    assert "Borré" in done or "borr" in done.lower()
    assert escalations(server, person) == []
    assert server.rows("SELECT count(*) FROM events WHERE sender_id = :s", s=person) == [(0,)]
    # The next message starts a brand-new conversation.
    assert "confidencial" in server.talk(person, "hola")[0]


def test_two_misunderstandings_in_a_row_offer_a_person(server: Server) -> None:
    person = new_person()
    server.talk(person, "hello")
    first = " ".join(server.talk(person, "what is the weather tomorrow in paris"))
    second = " ".join(server.talk(person, "who won the football game"))
    assert "HELP" in first
    assert "counselor" in second.lower()


def test_rights_questions_naming_a_country_are_answered_not_treated_as_emergencies(server: Server) -> None:
    for question in ("what are my rights in the US?", "do i have rights here in the united states", "i am in america, what rights do i have"):
        person = new_person()
        text = " ".join(server.talk(person, question))
        assert "in danger now, call" not in text.lower() and "urgent" not in text.lower()
        assert "T visa" in text and "Source:" in text, question
        assert escalations(server, person) == []
    person = new_person()
    text = " ".join(server.talk(person, "what are my rights in the UK?"))
    assert "08000 121 700" in text or "NRM" in text or "Modern Slavery" in text
    assert escalations(server, person) == []


def test_a_country_typed_as_the_answer_is_recognised(server: Server) -> None:
    person = new_person()
    asked = server.talk(person, "que derechos tengo si no tengo papeles")
    assert "país" in asked[-1].lower() or "pais" in asked[-1].lower()
    answer = " ".join(server.talk(person, "estados unidos"))
    assert "visa T" in answer and "Fuente" in answer and "peligro ahora" not in answer
    assert escalations(server, person) == []


def test_a_witness_is_not_treated_as_in_danger_and_gets_where_to_report(server: Server) -> None:
    person = new_person()
    first = " ".join(server.talk(person, "there are 6 guys who sleep in the back of the shop on my street, they never seem to go anywhere"))
    assert "safe for you to keep texting" not in first and "confront" in first
    answer = " ".join(server.talk(person, "who do i report it to? im in ohio"))
    assert "1-888-373-7888" in answer
    assert escalations(server, person) == []


def test_a_joke_about_the_boss_is_not_an_emergency(server: Server) -> None:
    person = new_person()
    text = " ".join(server.talk(person, "lol my supervisor is gonna murder me if i clock in late again"))
    assert "in danger now, call 1" not in text.lower() and "urgent" not in text.lower()
    assert all(priority != 1 for priority, *_ in escalations(server, person))


def test_a_language_the_bot_cannot_write_reaches_a_counselor_with_that_language(server: Server) -> None:
    person = new_person()
    replies = server.talk(person, "Habari, bosi wangu amechukua pasipoti yangu na hajanilipa mshahara kwa miezi mitatu")
    text = " ".join(replies)
    assert "a counselor who reads it" in text
    [(priority, reason, language, _jurisdiction, _summary)] = escalations(server, person)
    assert (reason, language) == ("language", "sw") and priority > 1
    # The bot then waits for the counselor like any handed-over conversation.
    assert server.talk(person, "asante") in ([], ["Thank you. I've added this to your request for the team."])


def test_an_emergency_in_a_language_without_training_data_gets_the_emergency_number(server: Server) -> None:
    person = new_person()
    replies = server.talk(person, "Tafadhali nisaidieni, amenifungia chumbani na ana kisu, anasema ataniua usiku huu")
    assert "112" in replies[0] and "911" in replies[0]
    [(priority, reason, language, _jurisdiction, _summary)] = escalations(server, person)
    assert (priority, reason, language) == (1, "emergency", "sw")


def test_no_turn_costs_more_than_three_sms_unless_the_person_asked_for_more() -> None:
    """Measured over every turn of the conversations above (they run first, in file order)."""
    assert TURN_COSTS, "the conversations above did not run"
    costs = [(text, cost) for text, cost in TURN_COSTS if text.strip().lower() not in ("more", "mas", "más")]
    print(f"SMS per turn over {len(costs)} turns: max {max(c for _, c in costs)}, "
          f"mean {sum(c for _, c in costs) / len(costs):.2f}")
    over = [(text, cost) for text, cost in costs if cost > MAX_SEGMENTS_PER_TURN]
    assert not over, over
