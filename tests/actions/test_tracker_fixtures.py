"""Actions run on recorded tracker states (``tests/actions/trackers/*.json``, as Rasa's demo bots
test theirs): each must say exactly these responses and return exactly these events.

A fixture holds the action's class, the tracker as the Rasa server sends it, and what is
expected; a change to what an action does shows up as a changed fixture in review.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any, Dict

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.config import Settings

FIXTURES = sorted((Path(__file__).parent / "trackers").glob("*.json"))


def load(path: Path) -> Dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_fixtures() -> None:
    assert len(FIXTURES) >= 3


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
async def test_the_action_says_and_does_exactly_what_the_fixture_records(path: Path, settings: Settings) -> None:
    fixture = load(path)
    module, _, name = fixture["action"].rpartition(".")
    action = getattr(importlib.import_module(module), name)(settings)
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, Tracker.from_dict(fixture["tracker"]), {})
    assert [message.get("response") for message in dispatcher.messages] == fixture["expected_responses"]
    assert events == fixture["expected_events"]
