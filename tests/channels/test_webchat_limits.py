"""The web chat's flood limits, on a clock the test controls (channels/webchat_limits.py)."""

from __future__ import annotations

from channels.webchat_limits import LINE_BUSY, TOO_FAST, Limits, WebChatLimits


def test_rotating_conversation_ids_from_one_address_does_not_get_past_the_limit() -> None:
    limits = WebChatLimits()
    flooder = limits.client("203.0.113.7")
    outcomes = [limits.message(flooder, f"conversation-{n}", now=n * 0.5) for n in range(30)]
    assert outcomes[:10] == [None] * 10 and set(outcomes[10:]) == {TOO_FAST}
    neighbour = limits.client("203.0.113.8")
    assert limits.message(neighbour, "someone-else", now=15.0) is None  # another address is not held up
    assert limits.message(flooder, "conversation-0", now=16.0) is None  # an ongoing conversation goes on
    assert limits.message(flooder, "conversation-new", now=601.0) is None  # ten minutes later: a new one again


def test_a_flood_from_many_addresses_is_capped_for_the_whole_line() -> None:
    limits = WebChatLimits(Limits(line_new_conversations=120, line_messages=600))
    outcomes = [limits.message(limits.client(f"198.51.100.{n % 250}-{n}"), f"c{n}", now=n * 0.1) for n in range(200)]
    assert outcomes.count(None) == 120 and set(outcomes[120:]) == {LINE_BUSY}
    assert limits.message(limits.client("198.51.100.1-1"), "c1", now=20.0) is None  # people already talking go on
    assert limits.message(limits.client("192.0.2.1"), "new-person", now=61.0) is None  # a minute later, new ones too


def test_a_fast_typist_is_slowed_only_in_their_own_conversation() -> None:
    limits = WebChatLimits()
    person = limits.client("192.0.2.50")
    outcomes = [limits.message(person, "mine", now=n * 0.2) for n in range(10)]
    assert outcomes[:8] == [None] * 8 and outcomes[8:] == [TOO_FAST, TOO_FAST]
    assert limits.message(person, "mine", now=31.0) is None


def test_memory_stays_bounded_under_a_flood_of_new_ids() -> None:
    limits = WebChatLimits(Limits(line_new_conversations=10**9, line_messages=10**9, address_new_conversations=10**9,
                                  address_messages=10**9), max_keys=1_000)
    for n in range(50_000):
        limits.message(limits.client(f"addr-{n}"), f"conversation-{n}", now=n * 0.001)
    assert limits.tracked_keys() <= 4 * 1_000


def test_open_streams_are_limited_per_address_and_released_when_they_close() -> None:
    limits = WebChatLimits(Limits(address_streams=3, line_streams=5))
    one, two = limits.client("192.0.2.1"), limits.client("192.0.2.2")
    assert [limits.open_stream(one) for _ in range(4)] == [None, None, None, TOO_FAST]
    assert [limits.open_stream(two) for _ in range(3)] == [None, None, LINE_BUSY]
    limits.close_stream(one)
    assert limits.open_stream(two) is None
    for _ in range(5):
        limits.close_stream(one)
        limits.close_stream(two)
    assert limits.tracked_keys() == 0


def test_the_client_address_is_never_kept_as_it_is() -> None:
    limits = WebChatLimits()
    assert "203.0.113.7" not in limits.client("203.0.113.7")
    assert limits.client("203.0.113.7") == limits.client("203.0.113.7") != WebChatLimits().client("203.0.113.7")
