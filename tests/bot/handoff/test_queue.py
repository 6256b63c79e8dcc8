"""The escalation queue (bot/handoff/queue.py) on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import List

import pytest
import sqlalchemy as sa

from bot.crypto import Sealer
from bot.handoff import queue as handoff_queue
from bot.handoff.escalation import HandoffSummary, escalate
from bot.storage.db import engine_for
from bot.storage.models import utcnow

# A test key for rows whose sealed parts these tests never open.
SEALER = Sealer(b"test key of thirty-two bytes ...")


def ask(url: str, conversation: str, *, language: str = "en", danger: bool = False, child: bool = False,
        indicators: tuple = (), requested: bool = True) -> int:
    summary = HandoffSummary(
        danger=danger, child_mentioned=child, indicators=[{"key": key, "confidence": 0.9, "evidence": "x"} for key in indicators]
    )
    row = escalate(url, SEALER, conversation, reason="requested", language=language, jurisdiction="US", summary=summary,
                   requested=requested, channel="web")
    return int(row.id)


def test_most_urgent_first_then_first_come_first_served(any_database_url: str) -> None:
    url = any_database_url
    plain = ask(url, "plain", requested=False)
    asked = ask(url, "asked")
    signs = ask(url, "signs", indicators=("retention_of_documents",))
    child = ask(url, "child", child=True)
    later_child = ask(url, "child-2", child=True)
    danger = ask(url, "danger", danger=True)
    assert [item.id for item in handoff_queue.waiting(url)] == [danger, child, later_child, signs, asked, plain]
    assert handoff_queue.position(url, plain) == 6 and handoff_queue.position(url, danger) == 1


def test_a_new_emergency_message_moves_a_waiting_person_up_and_keeps_their_arrival_time(any_database_url: str) -> None:
    url = any_database_url
    first = ask(url, "first", indicators=("debt_bondage",))
    second = ask(url, "second")
    before = handoff_queue.get(url, second).queued_at
    assert ask(url, "second", danger=True) == second  # same request, raised
    assert [item.id for item in handoff_queue.waiting(url)] == [second, first]
    assert handoff_queue.get(url, second).queued_at == before
    ask(url, "second")  # calmer later messages never lower it
    assert handoff_queue.get(url, second).priority == 1


def test_a_conversation_is_offered_first_to_counselors_who_speak_its_language(any_database_url: str) -> None:
    url = any_database_url
    spanish = ask(url, "es-1", language="es")
    english = ask(url, "en-1", language="en")
    now = utcnow()
    offered = handoff_queue.offered_to(handoff_queue.waiting(url), ["en"], routing_grace_s=120, now=now)
    assert [item.id for item in offered] == [english]
    later = now + timedelta(seconds=121)
    offered = handoff_queue.offered_to(handoff_queue.waiting(url), ["en"], routing_grace_s=120, now=later)
    assert [item.id for item in offered] == [spanish, english]
    assert handoff_queue.claim_next(url, counselor_id=7, languages=["en"], routing_grace_s=120, now=now) == english
    assert handoff_queue.claim_next(url, counselor_id=7, languages=["en"], routing_grace_s=120, now=now) is None
    assert handoff_queue.claim_next(url, counselor_id=8, languages=["es", "en"], routing_grace_s=120, now=now) == spanish


def test_two_counselors_claiming_at_once_exactly_one_gets_it(any_database_url: str) -> None:
    url = any_database_url
    ids = [ask(url, f"c{i}") for i in range(10)]
    for escalation_id in ids:
        start = threading.Barrier(2)
        winners: List[int] = []

        def click(counselor: int, start: threading.Barrier = start, winners: List[int] = winners, escalation_id: int = escalation_id) -> None:
            start.wait()
            if handoff_queue.claim(url, escalation_id, counselor):
                winners.append(counselor)

        threads = [threading.Thread(target=click, args=(counselor,)) for counselor in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(winners) == 1
        assert handoff_queue.get(url, escalation_id).counselor_id == winners[0]


def test_many_counselors_taking_the_next_conversation_never_share_one(any_database_url: str) -> None:
    url = any_database_url
    ids = {ask(url, f"c{i}") for i in range(24)}
    taken: List[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def counselor(number: int) -> None:
        start.wait()
        while True:
            got = handoff_queue.claim_next(url, number, ["en"], routing_grace_s=120)
            if got is None:
                return
            with lock:
                taken.append(got)

    threads = [threading.Thread(target=counselor, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(ids)


def test_postgresql_claims_skip_a_row_another_counselor_is_claiming(postgres_url: str) -> None:
    url = postgres_url
    first, second = ask(url, "a"), ask(url, "b")
    engine = engine_for(url)
    with engine.connect() as other:  # another counselor's claim, caught mid-transaction
        transaction = other.begin()
        other.execute(sa.text("SELECT id FROM escalations WHERE id = :id FOR UPDATE"), {"id": first})
        assert handoff_queue.claim(url, first, counselor_id=2) is False  # no waiting on the lock
        assert handoff_queue.claim_next(url, 2, ["en"], routing_grace_s=120) == second
        transaction.rollback()
    assert handoff_queue.claim(url, first, counselor_id=3) is True


def test_transfer_back_to_queue_return_to_bot_and_close(any_database_url: str) -> None:
    url = any_database_url
    early, late = ask(url, "early"), ask(url, "late")
    assert handoff_queue.claim(url, early, 1)
    assert handoff_queue.transfer(url, early, 2)
    assert handoff_queue.get(url, early).counselor_id == 2
    assert handoff_queue.back_to_queue(url, early)
    assert [item.id for item in handoff_queue.waiting(url)] == [early, late]  # keeps its place
    assert handoff_queue.claim(url, early, 3)
    assert handoff_queue.return_to_bot(url, early)
    assert handoff_queue.open_for(url, "early") is None
    assert not handoff_queue.claim(url, early, 4)
    assert handoff_queue.claim(url, late, 3)
    wrapup = {"outcome": "information_given", "referral": "legal aid", "follow_up": False}
    assert handoff_queue.close(url, SEALER, late, wrapup)
    assert handoff_queue.get(url, late).status == "closed" and not handoff_queue.back_to_queue(url, late)
    assert ask(url, "late") != late  # writing again after a close starts a new request


def test_wait_estimates_come_from_real_claims_or_are_not_given(database_url: str) -> None:
    url = database_url
    ids = [ask(url, f"c{i}") for i in range(6)]
    assert handoff_queue.estimated_wait_seconds(url, 1) is None
    now = utcnow()
    for escalation_id in ids[:3]:  # three taken within the last hour: one every 20 minutes
        handoff_queue.claim(url, escalation_id, 1, now=now - timedelta(minutes=10))
    assert handoff_queue.position(url, ids[4]) == 2
    assert handoff_queue.estimated_wait_seconds(url, 2, now=now) == pytest.approx(40 * 60)
    assert handoff_queue.estimated_wait_seconds(url, 2, now=now + timedelta(hours=2)) is None


def test_wait_notices_only_when_the_place_changes_meaningfully_and_not_too_often() -> None:
    now = datetime(2026, 11, 27, 12, 0)
    due = handoff_queue.wait_notice_due
    assert due(None, None, 5, 300, now)
    assert not due(now - timedelta(seconds=100), 8, 1, 300, now)  # too soon, even when next
    assert not due(now - timedelta(seconds=400), 8, 6, 300, now)  # only a little closer
    assert due(now - timedelta(seconds=400), 8, 4, 300, now)
    assert due(now - timedelta(seconds=400), 2, 1, 300, now)
    assert not due(now - timedelta(seconds=400), 3, 3, 300, now)


def test_supervisors_see_waits_and_load(database_url: str) -> None:
    url = database_url
    a, _ = ask(url, "a", danger=True), ask(url, "b")
    handoff_queue.claim(url, a, 5)
    load = handoff_queue.load(url)
    assert load["waiting"] == 1 and load["conversations_per_counselor"] == {5: 1}


def test_two_console_servers_sweeping_at_once_send_a_wait_notice_once(any_database_url: str) -> None:
    url = any_database_url
    escalation = ask(url, "waiting")
    told_at = utcnow() - timedelta(minutes=10)
    handoff_queue.record_wait_notice(url, escalation, 5, told_at)
    seen = handoff_queue.get(url, escalation).wait_notice_at
    assert handoff_queue.take_wait_notice(url, escalation, seen, 2) is True
    assert handoff_queue.take_wait_notice(url, escalation, seen, 2) is False  # the other server lost
    assert handoff_queue.get(url, escalation).wait_notice_position == 2


def danger_request(url: str, conversation: str, text: str, words: List[str], score: float, arrived_minutes_ago: float = 0) -> int:
    """A request raised by a message the danger model scored ``score``, arrived that long ago."""
    summary = HandoffSummary(
        danger=True, danger_score=score, danger_moments=[{"text": text, "words": words, "score": score, "danger": True}]
    )
    escalation_id = int(escalate(url, SEALER, conversation, reason="danger", language="en", jurisdiction="US",
                                 summary=summary, requested=False, channel="web").id)
    if arrived_minutes_ago:
        shift = timedelta(minutes=arrived_minutes_ago)
        with engine_for(url).begin() as connection:
            for column in ("queued_at", "ranked_at"):
                value = connection.execute(sa.text(f"SELECT {column} FROM escalations WHERE id = :i"), {"i": escalation_id}).scalar_one()
                value = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
                connection.execute(sa.text(f"UPDATE escalations SET {column} = :v WHERE id = :i"), {"v": value - shift, "i": escalation_id})
    return escalation_id


def test_within_danger_the_strongest_evidence_goes_first_but_nobody_is_passed_for_ever(any_database_url: str) -> None:
    url = any_database_url
    vague = danger_request(url, "vague", "i am scared something bad will happen", ["scared"], 0.3, arrived_minutes_ago=3)
    gun = danger_request(url, "gun", "he has a gun and says he will kill me tonight", ["kill me tonight", "gun"], 1.0)
    waited_long = danger_request(url, "long", "please help i am scared", ["help"], 0.3, arrived_minutes_ago=20)
    assert [item.id for item in handoff_queue.waiting(url)] == [waited_long, gun, vague]
    assert [handoff_queue.position(url, i) for i in (waited_long, gun, vague)] == [1, 2, 3]  # what each person is told
    assert handoff_queue.claim_next(url, 7, ["en"], 120) == waited_long
    assert handoff_queue.claim_next(url, 8, ["en"], 120) == gun


def test_a_stronger_message_moves_a_request_up_within_its_priority_and_never_down(any_database_url: str) -> None:
    url = any_database_url
    first = danger_request(url, "first", "they are shouting at the door", ["shouting"], 0.5, arrived_minutes_ago=1)
    second = danger_request(url, "second", "he is coming back", ["coming back"], 0.2)
    assert [item.id for item in handoff_queue.waiting(url)] == [first, second]
    assert danger_request(url, "second", "he has a knife now", ["knife"], 1.0) == second
    assert [item.id for item in handoff_queue.waiting(url)] == [second, first]
    danger_request(url, "second", "he is calmer", ["calmer"], 0.1)
    assert [item.id for item in handoff_queue.waiting(url)] == [second, first]


def test_the_queue_shows_the_words_that_raised_danger_opened_from_the_sealed_summary(database_url: str) -> None:
    url = database_url
    gun = danger_request(url, "gun", "he has a gun and says he will kill me tonight", ["kill me tonight", "gun"], 1.0)
    chinese = danger_request(url, "zh", "他拿着刀说要杀了我", [], 0.97)
    signs = int(escalate(url, SEALER, "signs", reason="requested", language="en", jurisdiction="US", requested=True,
                         summary=HandoffSummary(indicators=[{"key": "retention_of_documents", "evidence": "took my passport"}])).id)
    found = handoff_queue.evidence(url, SEALER, [gun, chinese, signs])
    assert found == {gun: ("kill me tonight", "gun"), chinese: ("他拿着刀说要杀了我",), signs: ("took my passport",)}
    with engine_for(url).connect() as connection:
        stored = connection.execute(sa.text("SELECT summary FROM escalations WHERE id = :i"), {"i": gun}).scalar_one()
    assert "gun" not in str(stored) and "kill" not in str(stored)  # in clear: categories and the score only


def test_a_returning_person_is_marked_and_their_earlier_requests_are_kept_with_outcomes(database_url: str) -> None:
    url = database_url
    earlier = ask(url, "returning")
    handoff_queue.claim(url, earlier, 3)
    handoff_queue.close(url, SEALER, earlier, {"outcome": "referral_made", "follow_up": True})
    other = ask(url, "first-time")
    again = ask(url, "returning")
    assert again != earlier
    assert handoff_queue.get(url, again).returning and not handoff_queue.get(url, other).returning
    assert {item.id: item.returning for item in handoff_queue.waiting(url)} == {other: False, again: True}
    [past] = handoff_queue.earlier_requests(url, "returning", again)
    assert (past.id, past.outcome, past.follow_up, past.counselor_id, past.closed_reason) == (earlier, "referral_made", True, 3, "counselor")
