"""The web chat in Debian's Chromium driven by Playwright, against the real servers."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from typing import Iterator

import pytest
from playwright.sync_api import expect

from bot.config import PROJECT_ROOT
from testsupport.servers import RunningServers, hotline_servers

MODEL = PROJECT_ROOT / "models" / "hotline.tar.gz"
pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run 'make train' (make test does)"),
]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServers]:
    workdir = tmp_path_factory.mktemp("webchat")
    environment = {"HOTLINE_QUICK_EXIT_URL": "about:blank#left", "HOTLINE_CLIENT_ADDRESS_HEADER": "X-Real-IP",
                   "HOTLINE_WEBCHAT_FRAME_ANCESTORS": "'self' http://127.0.0.1:*"}  # a help line's own site embeds it
    production = PROJECT_ROOT / "credentials.production.yml"  # as a help line runs it: no REST channel
    with hotline_servers(workdir, MODEL, environment, credentials=production) as running:
        yield running
    stored = b"".join(path.read_bytes() for path in workdir.glob("hotline.db*"))  # as a copy of var/ would show it
    for written in (b"he has a knife", b"signs of trafficking", b"hello again"):
        assert written not in stored, written


@pytest.fixture()
def page(browser, servers):
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def say(page, text: str) -> None:
    page.fill("#text", text)
    page.keyboard.press("Enter")


def test_send_a_message_and_see_the_reply_then_reload_and_resume(page, servers) -> None:
    page.goto(f"{servers.url}/chat")
    say(page, "hi")
    page.wait_for_selector("li.msg.bot >> text=confidential", timeout=60_000)
    assert page.locator("li.msg.person").first.inner_text() == "hi"
    before = page.locator("li.msg").count()
    page.reload()
    # same history after the reload, nothing lost and nothing repeated
    expect(page.locator("li.msg")).to_have_count(before, timeout=30_000)
    say(page, "what are the signs of trafficking")
    page.wait_for_selector("li.msg.bot >> text=Common signs", timeout=60_000)
    assert page.locator("li.msg.person").all_inner_texts() == ["hi", "what are the signs of trafficking"]


def test_text_that_looks_like_html_is_shown_as_text(page, servers) -> None:
    page.goto(f"{servers.url}/chat")
    attack = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
    say(page, attack)
    page.wait_for_selector("li.msg.bot", timeout=60_000)
    assert page.locator("li.msg.person").first.inner_text() == attack
    assert page.locator("li.msg img, li.msg script").count() == 0
    assert page.title() != "pwned"


def test_quick_exit_clears_everything_and_leaves(page, servers) -> None:
    page.goto(f"{servers.url}/chat")
    say(page, "hello")
    page.wait_for_selector("li.msg.bot", timeout=60_000)
    assert page.evaluate("sessionStorage.length") == 1
    assert page.evaluate("document.cookie") == ""
    page.keyboard.press("Escape")
    page.wait_for_url("about:blank#left", wait_until="commit", timeout=20_000)  # (load can lag on a busy machine)
    page.goto(f"{servers.url}/chat/config.json")  # same origin again: nothing left behind
    assert page.evaluate("sessionStorage.length") == 0


def test_quick_exit_button_is_always_visible_and_reachable_by_keyboard(page, servers) -> None:
    page.goto(f"{servers.url}/chat")
    button = page.locator("#quick-exit")
    assert button.is_visible()
    for _ in range(20):
        say(page, "x" * 5)
    assert button.is_visible()  # header stays on screen while the log scrolls
    page.focus("#quick-exit")
    page.keyboard.press("Enter")
    page.wait_for_url("about:blank#left", wait_until="commit", timeout=20_000)  # (load can lag on a busy machine)


def test_arabic_page_renders_right_to_left_and_a_320px_screenshot(browser, servers) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{servers.url}/chat?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.locator("#quick-exit").inner_text() == "خروج سريع"
    say(page, "مرحبا، أحتاج إلى مساعدة")
    page.wait_for_selector("li.msg.bot", timeout=60_000)
    bubble = page.locator("li.msg.person").first
    assert bubble.evaluate("el => getComputedStyle(el).direction") == "rtl"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320  # nothing forces sideways scrolling on a small phone
    page.screenshot(path=str(PROJECT_ROOT / "docs" / "webchat-320px-ar.png"), full_page=True)
    context.close()


def test_api_rejects_bad_input_with_clear_errors(servers) -> None:
    def post(payload: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{servers.url}/webchat/messages", data=json.dumps(payload).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    conversation = uuid.uuid4().hex
    assert post({"conversation_id": "nope", "client_id": "abcdefgh1", "text": "hi"})[0] == 400
    status, body = post({"conversation_id": conversation, "client_id": "abcdefgh1", "text": "x" * 1001})
    assert status == 413 and "1000" in body["message"]
    statuses = [post({"conversation_id": conversation, "client_id": f"client-{i:04d}", "text": "hi"})[0] for i in range(10)]
    assert statuses[:8] == [202] * 8 and statuses[-1] == 429
    assert post({"conversation_id": conversation, "client_id": "client-0000", "text": "hi"})[0] in (200, 429)


def call(servers, path: str, payload: dict, address: str = "192.0.2.77") -> tuple[int, dict]:
    request = urllib.request.Request(f"{servers.url}{path}", data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-Real-IP": address})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def stream_token(servers, conversation: str, address: str = "192.0.2.77") -> tuple[int, dict]:
    return call(servers, "/webchat/stream-token", {"conversation_id": conversation}, address)


def _read_events(url: str, last_event_id: str | None, wanted: int, timeout: float = 60.0) -> list[tuple[str, dict]]:
    """Read ``wanted`` message events from the stream, then drop the connection."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    headers = {"Accept": "text/event-stream"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    connection.request("GET", f"{parts.path}?{parts.query}", headers=headers)
    stream = connection.getresponse()
    events: list[tuple[str, dict]] = []
    event_id, data = "", ""
    while len(events) < wanted:
        line = stream.readline().decode("utf-8").rstrip("\n")
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            events.append((event_id, json.loads(data)))
            data = ""
    connection.close()  # the dropped connection
    return events


def test_a_dropped_stream_resumes_from_the_last_event_without_loss_or_repeats(servers) -> None:
    conversation = uuid.uuid4().hex
    url = f"{servers.url}/webchat/events?token={stream_token(servers, conversation)[1]['token']}"

    def post(text: str) -> None:
        request = urllib.request.Request(
            f"{servers.url}/webchat/messages", method="POST", headers={"Content-Type": "application/json"},
            data=json.dumps({"conversation_id": conversation, "client_id": uuid.uuid4().hex, "text": text}).encode(),
        )
        urllib.request.urlopen(request, timeout=10).close()

    post("hi")
    first = _read_events(url, None, wanted=4)  # the person's message and the first three replies
    assert first[0][1] == {"from": "person", "text": "hi"}
    last_id = first[-1][0]
    post("what are the signs of trafficking")
    resumed = _read_events(url, last_id, wanted=2)
    assert resumed[0][1] == {"from": "person", "text": "what are the signs of trafficking"}
    assert resumed[1][1]["from"] == "bot" and "Common signs" in resumed[1][1]["text"]
    seen = [event_id for event_id, _ in first + resumed]
    assert len(seen) == len(set(seen))
    assert not any(re.fullmatch(r"[\d:]+", event_id) for event_id in seen)  # opaque: no row numbers


def test_a_message_sent_while_the_action_server_is_down_is_answered_once_it_is_back(servers) -> None:
    import time

    payload = {"conversation_id": uuid.uuid4().hex, "client_id": uuid.uuid4().hex[:16], "text": "hello"}
    request = urllib.request.Request(
        f"{servers.url}/webchat/messages", data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    servers.kill_actions()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202 and "id" not in json.loads(response.read())  # no row ids out
        [(inbound,)] = servers.rows("SELECT max(id) FROM inbound_messages")
        time.sleep(3)
        assert servers.rows("SELECT processed_at FROM inbound_messages WHERE id = :i", i=inbound) == [(None,)]
        assert servers.rows("SELECT count(*) FROM outbound_messages WHERE inbound_id = :i", i=inbound) == [(0,)]
    finally:
        servers.restart_actions()
    deadline = time.monotonic() + 90
    while servers.rows("SELECT count(*) FROM outbound_messages WHERE inbound_id = :i", i=inbound) == [(0,)]:
        assert time.monotonic() < deadline, "the message was never answered"
        time.sleep(0.5)
    time.sleep(3)
    import base64

    from bot.crypto import Sealer

    sealer = Sealer(base64.urlsafe_b64decode(servers.environment["HOTLINE_SECRET_KEY"]))
    texts = [sealer.open(body) for (body,) in servers.rows("SELECT body_sealed FROM outbound_messages WHERE inbound_id = :i", i=inbound)]
    assert len(texts) >= 2 and len(set(texts)) == len(texts) and "confidential" in " ".join(texts)  # one turn, once
    assert servers.rows("SELECT processed_at IS NOT NULL FROM inbound_messages WHERE id = :i", i=inbound) == [(1,)]


def _post_from(servers, address: str, conversation: str, text: str) -> int:
    request = urllib.request.Request(
        f"{servers.url}/webchat/messages", method="POST",
        headers={"Content-Type": "application/json", "X-Real-IP": address},
        data=json.dumps({"conversation_id": conversation, "client_id": uuid.uuid4().hex[:16], "text": text}).encode(),
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_a_flood_from_one_address_with_new_ids_cannot_bury_the_queue(servers) -> None:
    import time

    def urgent() -> int:
        return servers.rows("SELECT count(*) FROM escalations WHERE priority = 1")[0][0]

    before = urgent()
    flooder = "203.0.113.99"  # as the proxy reports it
    statuses = [_post_from(servers, flooder, uuid.uuid4().hex, "he has a knife") for _ in range(14)]
    assert statuses[:10] == [202] * 10 and set(statuses[10:]) == {429}
    assert _post_from(servers, "203.0.113.100", uuid.uuid4().hex, "hello") == 202  # someone else gets through
    deadline = time.monotonic() + 120
    while servers.rows("SELECT count(*) FROM inbound_messages WHERE processed_at IS NULL")[0][0]:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert urgent() - before <= 10  # the refused messages opened nothing


def test_oversized_requests_and_too_many_streams_are_refused(servers) -> None:
    import http.client
    from urllib.parse import urlsplit

    body = json.dumps({"conversation_id": uuid.uuid4().hex, "client_id": "abcdefgh1", "text": "x" * 400_000}).encode()
    request = urllib.request.Request(f"{servers.url}/webchat/messages", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("a 400 KB request was read")
    except urllib.error.HTTPError as refused:
        assert refused.code == 413
    except urllib.error.URLError as cut_off:  # answered 413 and closed while the body was still coming
        assert isinstance(cut_off.reason, (ConnectionResetError, BrokenPipeError))

    parts = urlsplit(servers.url)
    streams = []
    try:
        for _ in range(11):
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            token = stream_token(servers, uuid.uuid4().hex, address="198.51.100.44")[1]["token"]
            connection.request("GET", f"/webchat/events?token={token}",
                               headers={"Accept": "text/event-stream", "X-Real-IP": "198.51.100.44"})
            streams.append((connection, connection.getresponse()))
        assert [answer.status for _, answer in streams] == [200] * 10 + [429]
    finally:
        for connection, _ in streams:
            connection.close()


def test_the_production_set_up_has_no_rest_channel(servers) -> None:
    """Rasa's REST channel trusts any sender id and takes "/intent" messages: not in production."""
    request = urllib.request.Request(f"{servers.url}/webhooks/rest/webhook", method="POST",
                                     headers={"Content-Type": "application/json"},
                                     data=json.dumps({"sender": "anyone", "message": "/delete_data"}).encode())
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("the REST channel answered")
    except urllib.error.HTTPError as refused:
        assert refused.code == 404
    with urllib.request.urlopen(f"{servers.url}/chat", timeout=10) as page:
        assert page.status == 200


def test_a_conversation_id_is_not_a_permanent_password(servers) -> None:
    import sqlalchemy as sa

    conversation = uuid.uuid4().hex
    assert call(servers, "/webchat/messages", {"conversation_id": conversation, "client_id": "first-msg", "text": "hello"})[0] == 202
    status, token = stream_token(servers, conversation)
    assert status == 200 and conversation not in token["token"]  # the id itself never goes in a URL
    events = f"{servers.url}/webchat/events"
    valid = token["token"]
    altered = valid[:-1] + ("1" if valid[-1] == "0" else "0")  # always differs, also when it ends in "0"
    for wrong in (f"?conversation_id={conversation}", "?token=" + altered, "?token=1.web-x.abc"):
        try:
            urllib.request.urlopen(events + wrong, timeout=10)
            raise AssertionError("a stream opened without a valid token")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401

    # End chat: the id opens nothing any more, neither the transcript nor a new message
    assert call(servers, "/webchat/end", {"conversation_id": conversation})[0] == 200
    assert stream_token(servers, conversation)[0] == 410
    assert call(servers, "/webchat/messages", {"conversation_id": conversation, "client_id": "later-msg", "text": "hi"})[0] == 410
    try:
        urllib.request.urlopen(f"{events}?token={token['token']}", timeout=10)  # a token issued before the end
        raise AssertionError("an ended conversation's transcript was served")
    except urllib.error.HTTPError as refused:
        assert refused.code == 410

    # Idle for half an hour (no message, no open page): expired the same way
    idle = uuid.uuid4().hex
    assert call(servers, "/webchat/messages", {"conversation_id": idle, "client_id": "idle-msg1", "text": "hello"})[0] == 202
    engine = sa.create_engine(servers.database_url)
    with engine.begin() as connection:
        long_ago = connection.execute(sa.text("SELECT datetime('now', '-31 minutes')")).scalar_one()
        connection.execute(sa.text("UPDATE channel_addresses SET last_inbound_at = :t, last_seen_at = :t, created_at = :t "
                                   "WHERE channel = 'web' AND ended_at IS NULL AND conversation_key = "
                                   "(SELECT conversation_key FROM inbound_messages ORDER BY id DESC LIMIT 1)"), {"t": long_ago})
    engine.dispose()
    assert stream_token(servers, idle)[0] == 410


def test_end_chat_clears_the_page_and_starts_a_new_conversation(page, servers) -> None:
    page.goto(f"{servers.url}/chat")
    say(page, "hi")
    expect(page.locator("li.msg.bot").first).to_be_visible(timeout=60_000)
    before = page.evaluate("sessionStorage.getItem('hotline.conversation')")
    page.click("#end-chat")
    expect(page.locator("li.msg")).to_have_count(0)
    expect(page.locator("#status")).to_contain_text("ended")
    after = page.evaluate("sessionStorage.getItem('hotline.conversation')")
    assert after and after != before
    assert stream_token(servers, before)[0] == 410  # the old id opens nothing any more
    say(page, "hello again")
    expect(page.locator("li.msg.person")).to_have_count(1, timeout=30_000)


def test_quick_exit_in_the_chat_embedded_on_another_site_leaves_the_whole_page(browser, servers, tmp_path) -> None:
    import http.server
    import threading

    (tmp_path / "index.html").write_text(
        "<!doctype html><title>An NGO's page</title><h1>Our services</h1>"
        f'<script src="{servers.url}/chat/embed.js" async></script>', encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args) -> None:
            pass

    host = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{host.server_address[1]}/")  # another origin than the chat's
        chat = page.frame_locator("iframe")
        expect(chat.locator("body[data-ready=true]")).to_have_count(1, timeout=30_000)  # the chat has its settings
        chat.locator("#quick-exit").click()
        page.wait_for_url("about:blank#left", timeout=10_000)  # the host page left too, not just the frame
    finally:
        context.close()
        host.shutdown()


def test_the_page_speaks_each_of_the_19_languages_and_arabic_right_to_left(browser, servers) -> None:
    import json

    from bot.config import PROJECT_ROOT, shipped_languages

    strings = json.loads((PROJECT_ROOT / "channels" / "webchat_static" / "ui.json").read_text(encoding="utf-8"))
    assert set(strings) == set(shipped_languages(PROJECT_ROOT / "translations"))
    assert all(set(texts) == set(strings["en"]) and all(texts.values()) for texts in strings.values())
    for code in ["fr", "th", "ar", "my", "zh"]:
        page = browser.new_page()
        page.goto(f"{servers.url}/chat?lang={code}")
        expect(page.locator("#quick-exit")).to_have_text(strings[code]["quickExit"])
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if code == "ar" else "ltr")
        page.close()
    context = browser.new_context(locale="fil-PH")  # how a Filipino phone names Tagalog
    page = context.new_page()
    page.goto(f"{servers.url}/chat")
    expect(page.locator("#send")).to_have_text(strings["tl"]["send"])
    context.close()
