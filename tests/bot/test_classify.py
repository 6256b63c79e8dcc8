"""``hotline classify``: the stable contract other tools rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.classify import DEFAULT_MODEL, PUBLIC_INTENTS, InputLineError, read_messages, to_contract

CONTRACT_KEYS = {"text", "language", "intent", "intent_confidence", "indicators", "danger", "concern", "wants_human"}


def test_nlu_fallback_is_reported_as_the_best_public_intent() -> None:
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.35},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.35},
            {"name": "ask_rights", "confidence": 0.31},
            {"name": "greet", "confidence": 0.2},
        ],
        "language": "en",
        "indicators": [],
        "danger": False,
    }
    result = to_contract("can i stay", parse)
    assert set(result) == CONTRACT_KEYS
    assert (result["intent"], result["intent_confidence"]) == ("ask_rights", 0.31)
    assert result["wants_human"] is False


def test_input_lines_can_be_text_or_json_and_bad_json_objects_are_reported_in_place() -> None:
    lines = ['plain text\n', '{"text": "json text", "id": 3}\n', '\n', '{"id": 4}\n', '{not json\n']
    messages = list(read_messages(lines))
    assert messages[:2] == ["plain text", "json text"]
    assert isinstance(messages[2], InputLineError) and "line 4" in str(messages[2])
    assert messages[3] == "{not json"


@pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run 'make train' (make test does)")
def test_the_command_prints_one_contract_object_per_input_line() -> None:
    stdin = "\n".join(
        [
            "he has a knife and says he will kill me",
            json.dumps({"text": "la agencia me guarda el pasaporte y no me pagan desde hace 3 meses"}),
            "HELP",
            json.dumps({"no_text": True}),
            "what are my rights if i have no visa",
        ]
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "hotline"), "classify"],
        input=stdin, capture_output=True, text=True, timeout=600,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1  # one bad input line
    assert len(lines) == 5 and "error" in lines[3]
    knife, passport, help_, _, rights = lines
    for item in (knife, passport, help_, rights):
        assert set(item) == CONTRACT_KEYS and item["intent"] in PUBLIC_INTENTS
    assert knife["danger"] is True and knife["language"] == "en" and knife["wants_human"] is True
    assert passport["language"] == "es" and passport["intent"] == "report_situation"
    found = {item["key"]: item for item in passport["indicators"]}
    assert "retention_of_documents" in found and "pasaporte" in found["retention_of_documents"]["evidence"]
    assert "withholding_wages" in found
    assert help_["intent"] == "talk_to_human" and help_["wants_human"] is True and help_["danger"] is False
    assert rights["intent"] == "ask_rights" and rights["danger"] is False
