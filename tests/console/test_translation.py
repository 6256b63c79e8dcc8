"""Machine translation in the console (a real ``hotline console`` process with the tiny models):
a person's messages shown in the original and translated, replies previewed, edited, sent
translated and marked with both texts kept, failures that never block a reply, the switch."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
import requests
import sqlalchemy as sa

from bot import inbox
from bot.crypto import Sealer, new_master_key
from bot.handoff import queue as handoff_queue
from bot.handoff.escalation import HandoffSummary, escalate
from bot.storage.db import engine_for
from tests.console.test_console import Browser, account
from testsupport.servers import console_server


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory, translation_models_dir: Path) -> Iterator[Dict]:
    workdir = tmp_path_factory.mktemp("console-translation")
    key = new_master_key()
    url = f"sqlite:///{workdir / 'hotline.db'}"
    env = {"HOTLINE_DATABASE_URL": url, "HOTLINE_SECRET_KEY": key, "HOTLINE_CLIENT_ADDRESS_HEADER": "X-Real-IP",
           "HOTLINE_TRANSLATION_MODELS": str(translation_models_dir), "HOTLINE_TRANSLATION_TIMEOUT": "30",
           "HOTLINE_ROUTING_GRACE": "0"}  # (a request in Swahili is offered to everyone at once)
    with console_server(workdir, env) as base:
        yield {"base": base, "url": url, "sealer": Sealer(base64.urlsafe_b64decode(key)), "workdir": workdir}
    log = (workdir / "console.log").read_text(encoding="utf-8", errors="replace")
    assert "Nahitaji msaada" not in log and "Where are you now" not in log, "message text in the log"


def signed_in(line: Dict, username: str, languages: str = "en") -> Browser:
    browser = Browser(line["base"])
    browser.sign_in(username, account(line, username, "counselor", languages))
    return browser


def person(line: Dict, address: str, text: str, language: str, summary: Optional[HandoffSummary] = None) -> int:
    url, sealer = line["url"], line["sealer"]
    inbound = inbox.record_inbound(url, sealer, f"SM{time.time_ns()}", "web", address, "+15550100001", text)
    inbox.complete_turn(url, sealer, inbound, [])
    row = escalate(url, sealer, inbound.conversation_key, reason="language", language=language, jurisdiction="US",
                   summary=summary or HandoffSummary(), requested=True, channel="web")
    return int(row.id)


def said_to_person(line: Dict, escalation: int) -> List[Dict]:
    key = handoff_queue.get(line["url"], escalation).conversation_id
    return [e for e in inbox.transcript(line["url"], line["sealer"], key, 0, 0, unsent=True) if e["kind"] == "counselor"]


def translation_events(browser: Browser, escalation: int, wanted: int) -> List[Dict]:
    """Read the conversation's event stream until ``wanted`` translations came."""
    found: List[Dict] = []
    headers = browser._headers()
    with requests.get(f"{browser.base}/console/conversations/{escalation}/events?after=999999:999999", headers=headers, stream=True, timeout=60) as stream:
        event = ""
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: ") and event == "translation":
                found.append(json.loads(line[len("data: "):]))
                if len(found) >= wanted:
                    break
    return found


def test_the_persons_messages_are_shown_translated_and_kept_sealed_once_translated(line: Dict) -> None:
    eva = signed_in(line, "eva")
    moment = {"text": "Ana kisu, anataka kuniua", "words": ["kisu"], "score": 0.9, "danger": True}
    summary = HandoffSummary(danger=True, danger_moments=[moment], indicators=[{"key": "document_confiscation", "evidence": "pasipoti yangu"}])
    escalation = person(line, "a" * 32, "Nahitaji msaada sasa", "sw", summary)
    assert eva.post(f"/console/conversations/{escalation}/claim").status_code == 303
    page = eva.get(f"/console/conversations/{escalation}").text
    assert "Nahitaji msaada sasa" in page and "Machine translation: translating…" in page
    # the summary's quotes of the person's words are translated too, beside the original
    summary_part = page.split('id="summary-title"')[1].split("</section>")[0]
    assert "Ana kisu, anataka kuniua" in summary_part and summary_part.count("Machine translation (en):") == 1
    assert "pasipoti yangu" in summary_part and "(machine translation: <q>" in summary_part
    (shown,) = translation_events(eva, escalation, 1)
    assert shown["language"] == "en" and shown["text"] and shown["text"] != "Nahitaji msaada sasa" and not shown["problem"]
    page = eva.get(f"/console/conversations/{escalation}").text
    assert "Machine translation (en):" in page and "translating…" not in page
    with engine_for(line["url"]).connect() as connection:
        stored = connection.execute(sa.text("SELECT body_sealed FROM message_translations")).scalars().all()
    assert stored and all(shown["text"] not in value for value in stored)  # sealed at rest


def test_a_reply_is_previewed_edited_and_sent_marked_with_the_counselors_words_kept(line: Dict) -> None:
    eva = signed_in(line, "ema")
    escalation = person(line, "b" * 32, "Niko hatarini", "sw")
    eva.post(f"/console/conversations/{escalation}/claim")
    page = eva.get(f"/console/conversations/{escalation}").text
    assert "Send the translation" in page and "Turn translation off" in page
    preview = eva.post(f"/console/conversations/{escalation}/translation-preview", {"text": "Where are you now?"})
    assert preview.status_code == 200
    offered = preview.json()
    assert offered["text"] and offered["text"] != "Where are you now?" and offered["language"] == "sw"
    sent = eva.post(f"/console/conversations/{escalation}/reply", {"text": "Where are you now?", "translation": "Uko wapi sasa?"})
    assert sent.status_code == 303
    (reply,) = said_to_person(line, escalation)
    assert reply["text"] == "Uko wapi sasa? (tafsiri ya mashine)"  # the edited translation, marked; nothing else
    assert reply["original"] == "Where are you now?" and reply["original_language"] == "en"
    page = eva.get(f"/console/conversations/{escalation}").text
    assert "Sent machine-translated. Written (en):" in page and "Where are you now?" in page
    # not previewed: translated when sent
    assert eva.post(f"/console/conversations/{escalation}/reply", {"text": "We can help you."}).status_code == 303
    latest = said_to_person(line, escalation)[-1]
    assert latest["text"].endswith(" (tafsiri ya mashine)") and latest["original"] == "We can help you."
    # as written (a canned reply in their language, say): untranslated, unmarked
    assert eva.post(f"/console/conversations/{escalation}/reply", {"text": "Asante.", "send_as": "written"}).status_code == 303
    assert said_to_person(line, escalation)[-1]["text"] == "Asante." and said_to_person(line, escalation)[-1]["original"] is None


def test_a_failed_translation_sends_nothing_keeps_the_draft_and_offers_the_way_round(line: Dict) -> None:
    eva = signed_in(line, "eli")
    escalation = person(line, "c" * 32, "Potrzebuje pomocy", "pl")  # en -> pl repeats itself
    eva.post(f"/console/conversations/{escalation}/claim")
    preview = eva.post(f"/console/conversations/{escalation}/translation-preview", {"text": "Where are you now?"}).json()
    assert preview["text"] == "" and "repeated itself" in preview["problem"]
    refused = eva.post(f"/console/conversations/{escalation}/reply", {"text": "Where are you now?"})
    assert refused.status_code == 422
    assert "Not sent: the machine translation failed" in refused.text and ">Where are you now?</textarea>" in refused.text
    assert said_to_person(line, escalation) == []
    assert eva.post(f"/console/conversations/{escalation}/reply", {"text": "Where are you now?", "send_as": "written"}).status_code == 303
    assert [e["text"] for e in said_to_person(line, escalation)] == ["Where are you now?"]


def test_translation_can_be_turned_off_per_conversation_and_is_not_offered_to_a_reader(line: Dict) -> None:
    eva = signed_in(line, "edi")
    escalation = person(line, "d" * 32, "Nahitaji msaada", "sw")
    eva.post(f"/console/conversations/{escalation}/claim")
    assert eva.post(f"/console/conversations/{escalation}/translation", {"translation": "off"}).status_code == 303
    page = eva.get(f"/console/conversations/{escalation}").text
    assert "Machine translation is off" in page and "Send the translation" not in page and "translating…" not in page
    eva.post(f"/console/conversations/{escalation}/reply", {"text": "Hello"})
    assert said_to_person(line, escalation)[-1]["text"] == "Hello"
    assert eva.post(f"/console/conversations/{escalation}/translation", {"translation": "on"}).status_code == 303
    assert "Send the translation" in eva.get(f"/console/conversations/{escalation}").text
    # a counselor who answers in Swahili is offered nothing to translate
    amina = signed_in(line, "amina", languages="sw,en")
    other = person(line, "e" * 32, "Nahitaji msaada", "sw")
    amina.post(f"/console/conversations/{other}/claim")
    page = amina.get(f"/console/conversations/{other}").text
    assert "Send the translation" not in page and "Turn translation off" not in page
