"""The counselor console over HTTP (a real ``hotline console`` process on SQLite): sign-in, roles,
CSRF, escaping, replies by the person's channel, claims and the audit log."""

from __future__ import annotations

import base64
import itertools
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pyotp
import pytest
import requests
import sqlalchemy as sa

from bot import inbox
from bot.crypto import Sealer, new_master_key
from bot.handoff import queue as handoff_queue
from bot.handoff.escalation import HandoffSummary, escalate
from bot.storage.db import engine_for
from bot.storage.models import utcnow
from console import accounts
from testsupport.servers import console_server

PASSWORD = "correct horse battery staple"
ADDRESSES = itertools.count(1)


class Browser:
    """Just enough of a browser: keeps the console's (Secure) cookie on http, sends forms with the CSRF token."""

    def __init__(self, base: str, address: Optional[str] = None) -> None:
        self.base = base
        self.cookie: Optional[str] = None
        self.csrf = ""
        # where the proxy says the request comes from (each browser its own, as on a real shift)
        self.address = address or f"192.0.2.{next(ADDRESSES)}"

    def _headers(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        headers = {"X-Real-IP": self.address, **(extra or {})}
        if self.cookie:
            headers["Cookie"] = f"hotline_console={self.cookie}"
        return headers

    def _keep(self, response: requests.Response) -> requests.Response:
        for header in response.raw.headers.getlist("Set-Cookie"):
            morsel = SimpleCookie(header).get("hotline_console")
            if morsel is not None:
                self.cookie = morsel.value or None
        found = re.search(r'name="csrf-token" content="([^"]*)"', response.text)
        if found and found.group(1):
            self.csrf = found.group(1)
        return response

    def get(self, path: str) -> requests.Response:
        return self._keep(requests.get(self.base + path, headers=self._headers(), allow_redirects=False, timeout=30))

    def post(self, path: str, data: Optional[Dict[str, str]] = None, csrf: bool = True, **headers: str) -> requests.Response:
        form = dict(data or {})
        if csrf:
            form["csrf"] = self.csrf
        return self._keep(requests.post(self.base + path, data=form, headers=self._headers(headers), allow_redirects=False, timeout=30))

    def sign_in(self, username: str, secret: str, password: str = PASSWORD) -> None:
        assert self.post("/console/login", {"username": username, "password": password}, csrf=False).status_code == 303
        self.get("/console/verify")
        code = pyotp.TOTP(secret).now()
        response = self.post("/console/verify", {"code": code})
        assert response.status_code == 303 and response.headers["Location"] == "/console/", response.text
        self.get("/console/queue")  # as a browser would: the page carries the new session's form token


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict]:
    workdir = tmp_path_factory.mktemp("console")
    key = new_master_key()
    url = f"sqlite:///{workdir / 'hotline.db'}"
    env = {"HOTLINE_DATABASE_URL": url, "HOTLINE_SECRET_KEY": key, "HOTLINE_CLIENT_ADDRESS_HEADER": "X-Real-IP"}
    with console_server(workdir, env) as base:
        sealer = Sealer(base64.urlsafe_b64decode(key))
        yield {"base": base, "url": url, "sealer": sealer, "workdir": workdir}
    log = (workdir / "console.log").read_text(encoding="utf-8", errors="replace")
    assert "<script>" not in log and "+1555" not in log and PASSWORD not in log, "message text or secrets in the log"


def account(line: Dict, username: str, role: str = "counselor", languages: str = "en") -> str:
    """An account with PASSWORD and an enrolled authenticator; returns the TOTP secret."""
    url, sealer = line["url"], line["sealer"]
    created = accounts.create_counselor(url, sealer, username, username.title(), role, languages)
    accounts.change_password(url, created.counselor.id, created.one_time_password, PASSWORD)
    enrolment = accounts.start_totp_enrolment(url, sealer, created.counselor.id)
    earlier = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=30)
    assert accounts.confirm_totp(url, sealer, created.counselor.id, pyotp.TOTP(enrolment.secret).at(earlier), now=earlier)
    return enrolment.secret


def signed_in(line: Dict, username: str, role: str = "counselor", languages: str = "en") -> Browser:
    browser = Browser(line["base"])
    browser.sign_in(username, account(line, username, role, languages))
    return browser


def person(line: Dict, channel: str, address: str, text: str, **summary) -> int:
    url, sealer = line["url"], line["sealer"]
    inbound = inbox.record_inbound(url, sealer, f"SM{time.time_ns()}", channel, address, "+15550100001", text)
    inbox.complete_turn(url, sealer, inbound, ["Thanks. I've passed your request to the team."])
    for outbound in inbox.pending(url, (channel,)):
        inbox.mark_sent(url, outbound, "SMx", 1)
    row = escalate(line["url"], line["sealer"], inbound.conversation_key, reason="requested", language="en", jurisdiction="US",
                   summary=HandoffSummary(**summary), requested=True, channel=channel)
    return int(row.id)


def counselor_id(line: Dict, username: str) -> int:
    return next(c.id for c in accounts.list_counselors(line["url"]) if c.username == username)


def test_first_sign_in_changes_the_one_time_password_and_enrols_the_authenticator(line: Dict) -> None:
    created = accounts.create_counselor(line["url"], line["sealer"], "newbie", "Newbie", "counselor", "en,es")
    browser = Browser(line["base"])
    assert browser.get("/console/queue").headers["Location"] == "/console/login"
    response = browser.post("/console/login", {"username": "newbie", "password": created.one_time_password}, csrf=False)
    assert response.status_code == 303
    enrol = browser.get("/console/verify")
    assert "<svg" in enrol.text and "Set up your authenticator" in enrol.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', enrol.text).group(1)
    assert browser.post("/console/verify", {"code": "000000"}).status_code == 401
    assert browser.post("/console/verify", {"code": pyotp.TOTP(secret).now()}).status_code == 303
    assert browser.get("/console/queue").headers["Location"] == "/console/password"
    assert "Choose your own password" in browser.get("/console/password").text
    short = browser.post("/console/password", {"old": created.one_time_password, "new": "short", "again": "short"})
    assert short.status_code == 400
    done = browser.post("/console/password", {"old": created.one_time_password, "new": PASSWORD, "again": PASSWORD})
    assert done.status_code == 303
    assert browser.get("/console/queue").status_code == 200


def test_wrong_user_and_wrong_password_get_the_same_answer(line: Dict) -> None:
    account(line, "known")
    wrong_user = Browser(line["base"]).post("/console/login", {"username": "nobody", "password": PASSWORD}, csrf=False)
    wrong_password = Browser(line["base"]).post("/console/login", {"username": "known", "password": "nope" * 4}, csrf=False)
    assert wrong_user.status_code == wrong_password.status_code == 401
    message = re.search(r'role="alert">([^<]+)<', wrong_user.text).group(1)
    assert message == re.search(r'role="alert">([^<]+)<', wrong_password.text).group(1)


def test_a_password_alone_does_not_open_the_console(line: Dict) -> None:
    account(line, "halfway")
    browser = Browser(line["base"])
    browser.post("/console/login", {"username": "halfway", "password": PASSWORD}, csrf=False)
    assert browser.get("/console/queue").headers["Location"] == "/console/verify"


def test_roles_are_checked_on_the_server_for_every_url(line: Dict) -> None:
    ana, ben = signed_in(line, "ana"), signed_in(line, "ben")
    supervisor = signed_in(line, "sofia", role="supervisor", languages="en,es")
    admin = signed_in(line, "root", role="admin")
    escalation = person(line, "web", "a" * 32, "please help")
    assert handoff_queue.claim(line["url"], escalation, counselor_id(line, "ana"))
    assert ana.get(f"/console/conversations/{escalation}").status_code == 200
    assert ben.get(f"/console/conversations/{escalation}").status_code == 403  # typed another counselor's URL
    assert ben.post(f"/console/conversations/{escalation}/reply", {"text": "hi"}).status_code == 403
    assert ben.post(f"/console/conversations/{escalation}/close", {"outcome": "other"}).status_code == 403
    assert supervisor.get(f"/console/conversations/{escalation}").status_code == 200
    assert supervisor.post(f"/console/conversations/{escalation}/reply", {"text": "hi"}).status_code == 403
    assert ana.get("/console/admin").status_code == 403
    assert ana.get("/console/supervision").status_code == 403
    assert supervisor.get("/console/supervision").status_code == 200
    assert admin.get("/console/queue").status_code == 403
    assert admin.get("/console/admin").status_code == 200
    assert ana.get("/console/conversations/999999").status_code == 404


def test_forms_without_the_sessions_csrf_token_or_from_another_site_are_refused(line: Dict) -> None:
    ana = signed_in(line, "carla")
    escalation = person(line, "web", "b" * 32, "help")
    assert ana.post(f"/console/conversations/{escalation}/claim", csrf=False).status_code == 403
    assert ana.post(f"/console/conversations/{escalation}/claim", Origin="https://evil.example").status_code == 403
    assert handoff_queue.get(line["url"], escalation).status == "queued"
    assert ana.post(f"/console/conversations/{escalation}/claim").status_code == 303
    assert handoff_queue.get(line["url"], escalation).counselor_id == counselor_id(line, "carla")


def test_what_people_wrote_is_shown_as_text_never_as_markup(line: Dict) -> None:
    ana = signed_in(line, "dana")
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    escalation = person(line, "web", "c" * 32, attack,
                        indicators=[{"key": "threats", "confidence": 0.9, "evidence": "<img src=x onerror=alert(3)>"}])
    preview = ana.get(f"/console/conversations/{escalation}/preview")
    assert "<img src=x onerror=alert(3)>" not in preview.text and "&lt;img src=x onerror=alert(3)&gt;" in preview.text
    ana.post(f"/console/conversations/{escalation}/claim")
    page = ana.get(f"/console/conversations/{escalation}")
    assert "<script>alert(1)</script>" not in page.text and "onerror=\"alert(2)\"" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    ana.post(f"/console/conversations/{escalation}/notes", {"text": "<b>note</b>"})
    assert "&lt;b&gt;note&lt;/b&gt;" in ana.get(f"/console/conversations/{escalation}").text


def test_replies_go_by_the_persons_channel_and_a_closed_whatsapp_window_is_explained(line: Dict) -> None:
    ana = signed_in(line, "eva")
    web = person(line, "web", "d" * 32, "hello")
    whatsapp = person(line, "whatsapp", "whatsapp:+15550144444", "hola")
    for escalation in (web, whatsapp):
        ana.post(f"/console/conversations/{escalation}/claim")
    assert ana.post(f"/console/conversations/{web}/reply", {"text": "Hi, I'm Eva."}).status_code == 303
    key = handoff_queue.get(line["url"], web).conversation_id
    assert [e["text"] for e in inbox.transcript(line["url"], line["sealer"], key, 0, 0) if e["kind"] == "counselor"] == ["Hi, I'm Eva."]
    with engine_for(line["url"]).begin() as connection:
        connection.execute(sa.text("UPDATE channel_addresses SET last_inbound_at = :t"), {"t": utcnow() - timedelta(hours=30)})
    answer = ana.post(f"/console/conversations/{whatsapp}/reply", {"text": "Are you there?"})
    page = ana.get(answer.headers["Location"])
    assert "WhatsApp only lets us answer within 24 hours" in page.text
    assert "Not delivered: outside WhatsApp" in page.text


def test_two_counselors_clicking_take_at_once_exactly_one_gets_it(line: Dict) -> None:
    first, second = signed_in(line, "fay"), signed_in(line, "gus")
    for attempt in range(5):
        escalation = person(line, "web", f"{attempt:x}" * 32, "help")
        start = threading.Barrier(2)
        outcomes: List[str] = []

        def take(browser: Browser, start: threading.Barrier = start, outcomes: List[str] = outcomes, escalation: int = escalation) -> None:
            start.wait()
            outcomes.append(browser.post(f"/console/conversations/{escalation}/claim").headers["Location"])

        threads = [threading.Thread(target=take, args=(b,)) for b in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == sorted([f"/console/conversations/{escalation}", "/console/queue?notice=taken"])


def test_the_counselor_erases_a_conversation_when_the_person_asks_and_nothing_of_it_remains(line: Dict) -> None:
    mia, noa = signed_in(line, "mia"), signed_in(line, "noa")
    escalation = person(line, "sms", "+15550177777", "please delete everything i told you")
    keep = person(line, "sms", "+15550188888", "i need help with my passport")
    for conversation in (escalation, keep):
        assert mia.post(f"/console/conversations/{conversation}/claim").status_code == 303
        assert mia.post(f"/console/conversations/{conversation}/notes", {"text": "Asked about her passport."}).status_code == 303
    key = handoff_queue.get(line["url"], escalation).conversation_id

    assert "Erase at the person" in mia.get(f"/console/conversations/{escalation}").text
    assert noa.post(f"/console/conversations/{escalation}/erase", {"confirm": "erase"}).status_code == 403  # not hers
    refused = mia.post(f"/console/conversations/{escalation}/erase", {"confirm": "yes"})
    assert refused.status_code == 400 and handoff_queue.get(line["url"], escalation) is not None
    erased = mia.post(f"/console/conversations/{escalation}/erase", {"confirm": "Erase"})
    assert erased.status_code == 303 and erased.headers["Location"] == "/console/queue?notice=erased"

    assert handoff_queue.get(line["url"], escalation) is None
    assert inbox.transcript(line["url"], line["sealer"], key, 0, 0) == []
    with engine_for(line["url"]).connect() as connection:
        notes = dict(connection.execute(sa.text("SELECT escalation_id, COUNT(*) FROM case_notes GROUP BY escalation_id")).all())
        addresses = connection.execute(sa.text("SELECT COUNT(*) FROM channel_addresses WHERE conversation_key = :k"), {"k": key}).scalar_one()
        audited = connection.execute(
            sa.text("SELECT action FROM audit_log WHERE target = :t ORDER BY id DESC LIMIT 1"), {"t": f"escalation:{escalation}"}).scalar_one()
    assert escalation not in notes and notes.get(keep) == 1  # the other conversation keeps its note
    assert addresses == 0 and audited == "conversation.erase"
    assert mia.get(f"/console/conversations/{keep}").status_code == 200


def test_every_opening_and_action_is_audited_and_tampering_is_detected(line: Dict) -> None:
    from bot.audit import verify
    from bot.config import settings_from
    from hotline.cli import main

    ana = signed_in(line, "hana")
    escalation = person(line, "web", "e" * 32, "help")
    ana.post(f"/console/conversations/{escalation}/claim")
    ana.get(f"/console/conversations/{escalation}")
    ana.post(f"/console/conversations/{escalation}/close", {"outcome": "information_given", "follow_up": "yes"})
    engine = engine_for(line["url"])
    with engine.connect() as connection:
        actions = [row[0] for row in connection.execute(
            sa.text("SELECT action FROM audit_log WHERE target = :t ORDER BY id"), {"t": f"escalation:{escalation}"})]
    assert actions == ["conversation.claim", "conversation.open_transcript", "conversation.close"]
    assert verify(line["url"]).ok
    settings = settings_from({"HOTLINE_DATABASE_URL": line["url"]})
    assert main(["audit", "verify"], settings) == 0
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_log SET actor = 'someone-else' WHERE action = 'conversation.open_transcript'"))
    assert main(["audit", "verify"], settings) == 1


def test_an_admin_creates_and_disables_accounts_from_the_console(line: Dict) -> None:
    admin = signed_in(line, "boss", role="admin")
    overview = admin.get("/console/admin").text
    assert 'id="settings"' in overview and "HOTLINE_SILENCE_CLOSE" in overview
    assert line["url"] not in overview  # the database URL (and any secret) is never shown
    page = admin.post("/console/admin/counselors", {"username": "ivan", "display_name": "Ivan <b>", "role": "counselor",
                                                    "languages": "en,es"})
    assert page.status_code == 200 and "Ivan &lt;b&gt;" in page.text
    one_time = re.search(r'id="one-time-password">([^<]+)<', page.text).group(1)
    newcomer = Browser(line["base"])
    assert newcomer.post("/console/login", {"username": "ivan", "password": one_time}, csrf=False).headers["Location"] == "/console/verify"
    refused = admin.post("/console/admin/counselors", {"username": "ivan", "display_name": "Again", "role": "counselor", "languages": "en"})
    assert refused.status_code == 400
    ivan = counselor_id(line, "ivan")
    assert admin.post(f"/console/admin/counselors/{ivan}/disable").status_code == 303
    assert newcomer.get("/console/verify").headers["Location"] == "/console/login"  # signed out at once
    assert Browser(line["base"]).post("/console/login", {"username": "ivan", "password": one_time}, csrf=False).status_code == 401
    admin.get("/console/admin")
    assert admin.post(f"/console/admin/counselors/{ivan}/enable").status_code == 303
    admin.get("/console/admin")
    renewed = admin.post(f"/console/admin/counselors/{ivan}/reset-password")
    fresh = re.search(r'id="one-time-password">([^<]+)<', renewed.text).group(1)
    assert Browser(line["base"]).post("/console/login", {"username": "ivan", "password": one_time}, csrf=False).status_code == 401
    assert Browser(line["base"]).post("/console/login", {"username": "ivan", "password": fresh}, csrf=False).status_code == 303
    from bot.audit import verify

    checked = admin.get("/console/admin/audit").text  # (another test in this module tampers with the log)
    assert ("Intact:" in checked) == verify(line["url"]).ok and 'id="audit-result"' in checked


def test_an_admin_changes_the_opening_hours_and_a_broken_version_is_refused(line: Dict) -> None:
    from bot.opening_hours import current_schedules, is_open

    admin = signed_in(line, "hours-admin", role="admin")
    page = admin.get("/console/admin")
    assert "schedules:" in page.text  # the file's hours until a version is saved
    broken = admin.post("/console/admin/opening-hours", {"hours": "schedules:\n  default: {timezone: Mars/Base}\n"})
    assert broken.status_code == 400 and "Mars/Base" in broken.text
    closed_on_sunday = (
        "schedules:\n  default:\n    timezone: UTC\n"
        "    weekly: {mon: ['00:00-24:00'], tue: ['00:00-24:00'], wed: ['00:00-24:00'], thu: ['00:00-24:00'],"
        " fri: ['00:00-24:00'], sat: ['00:00-24:00']}\n"
    )
    saved = admin.post("/console/admin/opening-hours", {"hours": closed_on_sunday})
    assert saved.status_code == 200 and 'id="hours-saved"' in saved.text
    hours = current_schedules(line["url"], Path("/nonexistent"))
    assert not is_open(hours, "web", datetime(2026, 11, 29, 12, 0)) and is_open(hours, "web", datetime(2026, 11, 30, 12, 0))
    assert signed_in(line, "not-an-admin").post("/console/admin/opening-hours", {"hours": "schedules: {}"}).status_code == 403


def test_a_help_lines_own_rules_can_give_one_admin_section_to_supervisors(tmp_path: Path) -> None:
    """HOTLINE_CONSOLE_PERMISSIONS: here supervisors may check the audit log. The administration
    page opens for them with that section only; accounts stay the admins'."""
    from console.permissions import RULES_FILE

    rules = RULES_FILE.read_text(encoding="utf-8").replace("  verify_audit:\n    - [{role: admin}]", "  verify_audit:\n    - [{role: [admin, supervisor]}]")
    assert "[admin, supervisor]" in rules
    (tmp_path / "rules.yml").write_text(rules, encoding="utf-8")
    key = new_master_key()
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    env = {"HOTLINE_DATABASE_URL": url, "HOTLINE_SECRET_KEY": key, "HOTLINE_CONSOLE_PERMISSIONS": str(tmp_path / "rules.yml")}
    with console_server(tmp_path / "console", env) as base:
        own = {"base": base, "url": url, "sealer": Sealer(base64.urlsafe_b64decode(key))}
        supervisor, admin = signed_in(own, "sara", role="supervisor"), signed_in(own, "root", role="admin")
        page = supervisor.get("/console/admin")
        assert page.status_code == 200 and "Audit log" in page.text
        assert "Add an account" not in page.text and "Opening hours" not in page.text
        assert supervisor.get("/console/admin/audit").status_code == 200
        assert supervisor.post("/console/admin/counselors", {"username": "x1y", "display_name": "X", "role": "admin", "languages": "en"}).status_code == 403
        assert "Add an account" in admin.get("/console/admin").text
        assert signed_in(own, "carl").get("/console/admin").status_code == 403  # a counselor has no section


class Stream:
    """An open server-sent-events stream read in the background, as the console page holds one."""

    def __init__(self, browser: Browser, path: str) -> None:
        self.events: List[str] = []
        self.ended = threading.Event()
        self._response = requests.get(browser.base + path, headers={**browser._headers(), "Accept": "text/event-stream"},
                                      stream=True, timeout=60)
        assert self._response.status_code == 200, self._response.text
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self._response.iter_lines(decode_unicode=True):
                if line and line.startswith("event: "):
                    self.events.append(line[len("event: "):])
        except requests.RequestException:
            pass
        self.ended.set()

    def close(self) -> None:
        self._response.close()


def test_access_follows_the_current_assignment_and_an_open_transcript_ends_with_it(line: Dict) -> None:
    ida, jon = signed_in(line, "ida"), signed_in(line, "jon")

    # closed: its former counselor can no longer read it, write notes or reply
    closed = person(line, "web", "1a" * 16, "they keep my passport")
    assert ida.post(f"/console/conversations/{closed}/claim").status_code == 303
    stream = Stream(ida, f"/console/conversations/{closed}/events")
    assert ida.post(f"/console/conversations/{closed}/close", {"outcome": "information_given", "follow_up": "no"}).status_code == 303
    assert stream.ended.wait(10) and "state" in stream.events  # the open transcript ended with the assignment
    assert ida.get(f"/console/conversations/{closed}").status_code == 403
    assert ida.get(f"/console/conversations/{closed}/events").status_code == 403
    assert ida.post(f"/console/conversations/{closed}/notes", {"text": "late note"}).status_code == 403
    assert ida.post(f"/console/conversations/{closed}/reply", {"text": "hello?"}).status_code == 403

    # transferred: the colleague has it, the former counselor does not
    moved = person(line, "web", "2b" * 16, "i need to talk")
    ida.post(f"/console/conversations/{moved}/claim")
    stream = Stream(ida, f"/console/conversations/{moved}/events")
    assert ida.post(f"/console/conversations/{moved}/transfer", {"to": str(counselor_id(line, "jon"))}).status_code == 303
    assert stream.ended.wait(10)
    assert ida.get(f"/console/conversations/{moved}").status_code == 403
    assert jon.get(f"/console/conversations/{moved}").status_code == 200

    # returned to the bot, or back in the queue: nobody's any more
    for how, form in (("return", {}), ("transfer", {"to": "queue"})):
        escalation = person(line, "web", ("3c" if how == "return" else "4d") * 16, "help me")
        jon.post(f"/console/conversations/{escalation}/claim")
        assert jon.post(f"/console/conversations/{escalation}/{how}", form).status_code == 303
        assert jon.get(f"/console/conversations/{escalation}").status_code == 403
        assert jon.post(f"/console/conversations/{escalation}/notes", {"text": "note"}).status_code == 403


def test_an_open_stream_ends_when_the_session_does(line: Dict) -> None:
    kim = signed_in(line, "kim")
    escalation = person(line, "web", "5e" * 16, "help")
    kim.post(f"/console/conversations/{escalation}/claim")
    transcript = Stream(kim, f"/console/conversations/{escalation}/events")
    queue = Stream(kim, "/console/queue/events")
    assert kim.post("/console/logout").status_code == 303  # signed out in another tab
    assert transcript.ended.wait(10) and "ended" in transcript.events
    assert queue.ended.wait(10) and "ended" in queue.events

    lou = signed_in(line, "lou")
    escalation = person(line, "web", "6f" * 16, "help")
    lou.post(f"/console/conversations/{escalation}/claim")
    transcript = Stream(lou, f"/console/conversations/{escalation}/events")
    accounts.disable_counselor(line["url"], "lou")  # an admin disables the account
    assert transcript.ended.wait(10) and "ended" in transcript.events


def test_changing_the_password_signs_out_every_other_browser(line: Dict) -> None:
    from console import sessions

    here = signed_in(line, "max")
    elsewhere = Browser(line["base"])  # the same account signed in on another computer
    started = sessions.start(line["url"], counselor_id(line, "max"))
    live = sessions.lookup(line["url"], started, sessions.SessionLimits(60, 3600))
    elsewhere.cookie = sessions.complete_second_factor(line["url"], live.session_id)
    assert elsewhere.get("/console/queue").status_code == 200
    new = PASSWORD + " again"
    assert here.post("/console/password", {"old": PASSWORD, "new": new, "again": new}).status_code == 303
    assert elsewhere.get("/console/queue").headers["Location"] == "/console/login"
    assert here.get("/console/queue").status_code == 200  # the browser that changed it stays signed in


def test_guessing_passwords_is_slowed_before_hashing_and_never_locks_the_owner_out(line: Dict) -> None:
    signed_in(line, "owen")  # the account under attack, with its real owner
    attacker = Browser(line["base"], address="203.0.113.66")
    answers = [attacker.post("/console/login", {"username": "owen", "password": f"guess {n}"}, csrf=False).status_code
               for n in range(8)]
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}  # this address may guess no more at owen
    other_names = [attacker.post("/console/login", {"username": f"user{n}", "password": "x"}, csrf=False).status_code
                   for n in range(20)]
    assert 429 in other_names  # nor spray passwords at every account from one address
    owner = Browser(line["base"], address="192.0.2.250")
    assert owner.post("/console/login", {"username": "owen", "password": PASSWORD}, csrf=False).status_code == 303
    log = (line["workdir"] / "console.log").read_text(encoding="utf-8", errors="replace")
    assert "203.0.113.66" not in log  # the address is never logged


def test_a_conversation_cannot_be_taken_by_its_number_before_the_language_routing_offers_it(line: Dict) -> None:
    english_only = signed_in(line, "pat", languages="en")
    url, sealer = line["url"], line["sealer"]
    inbound = inbox.record_inbound(url, sealer, f"SM{time.time_ns()}", "web", "7" * 32, "web", "necesito ayuda")
    spanish = escalate(url, sealer, inbound.conversation_key, reason="requested", language="es", jurisdiction="US",
                       summary=HandoffSummary(), requested=True, channel="web").id
    assert english_only.get(f"/console/conversations/{spanish}/preview").status_code == 403
    taken = english_only.post(f"/console/conversations/{spanish}/claim")
    assert taken.headers["Location"] == "/console/queue?notice=routed"
    assert handoff_queue.get(url, spanish).status == "queued"
    speaker = signed_in(line, "quin", languages="es")
    assert speaker.post(f"/console/conversations/{spanish}/claim").headers["Location"] == f"/console/conversations/{spanish}"


def test_the_audit_check_in_the_console_takes_a_head_kept_elsewhere(tmp_path: Path) -> None:
    key = new_master_key()
    url = f"sqlite:///{tmp_path / 'hotline.db'}"  # a console of its own: the others' chain was tampered with
    with console_server(tmp_path, {"HOTLINE_DATABASE_URL": url, "HOTLINE_SECRET_KEY": key}) as base:
        own = {"base": base, "url": url, "sealer": Sealer(base64.urlsafe_b64decode(key))}
        admin = signed_in(own, "rita", role="admin")
        first = admin.get("/console/admin/audit").text
        head = re.search(r'id="audit-head">([0-9a-f]{64})<', first).group(1)
        assert "Intact" in admin.get(f"/console/admin/audit?head={head}").text
        assert "Broken" in admin.get(f"/console/admin/audit?head={'0' * 64}").text  # as if the newest entries went
        assert admin.get("/console/admin/audit?head=not-a-head").status_code == 400


def test_supervisors_see_the_words_each_waits_with_waits_past_target_and_who_is_signed_in(line: Dict) -> None:
    supervisor = signed_in(line, "sara", role="supervisor", languages="en")
    moment = {"text": "they locked <b>us</b> in the container", "words": ["locked <b>us</b> in"], "score": 1.0, "danger": True}
    escalation = person(line, "web", "s" * 32, "help", danger=True, danger_score=1.0, danger_moments=[moment])
    with engine_for(line["url"]).begin() as connection:  # arrived ten minutes ago: past danger's 2-minute target
        connection.execute(sa.text("UPDATE escalations SET queued_at = :t, ranked_at = :t WHERE id = :i"),
                           {"t": datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=10), "i": escalation})
    time.sleep(1)  # the live queue reads the change (and the words) within a quarter of a second
    page = supervisor.get("/console/supervision").text
    assert "locked &lt;b&gt;us&lt;/b&gt; in" in page and "<b>us</b>" not in page  # the person's words, escaped
    assert 'id="over-target"' in page and "over 2 min" in page
    assert "<td>Sara</td><td>en</td><td>yes</td>" in page
    handoff_queue.close(line["url"], line["sealer"], escalation, {"outcome": "other"}, reason="test")
