"""A person who writes in a language the line has no catalog for, over SMS, through the real
servers: answered machine-translated where a model is installed, told in English where none is."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest

from bot.config import PROJECT_ROOT
from testsupport.servers import hotline_servers
from testsupport.twilio_client import channel_environment
from testsupport.twilio_emulator import running_emulator
from testsupport.twilio_line import Line

MODEL = PROJECT_ROOT / "models" / "hotline.tar.gz"
AUTH_TOKEN = "test-token-" + uuid.uuid4().hex
PUBLIC_URL = "https://hotline.example.org"
NUMBER = "+15550100001"  # the example numbers file: United States, English
pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run 'make train' (make test does)"),
]
SWAHILI_MARKER = "(tafsiri ya mashine)"


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory, translation_models_dir: Path) -> Iterator[Line]:
    workdir = tmp_path_factory.mktemp("machine-translation")
    with running_emulator(auth_token=AUTH_TOKEN) as emulator:
        environment = {**channel_environment(emulator.base_url, AUTH_TOKEN, PUBLIC_URL), "HOTLINE_TRANSLATION_MODELS": str(translation_models_dir)}
        with hotline_servers(workdir, MODEL, environment, twilio_receiver=True) as servers:
            yield Line(servers, emulator, AUTH_TOKEN, PUBLIC_URL, NUMBER)


def turn(line: Line, sender: str, text: str) -> List[str]:
    """What the line says back to one message (every SMS of the turn)."""
    before = len(line.replies_to(sender))
    line.text(sender, text)
    line.wait_for_replies(sender, before + 1)
    time.sleep(3)  # the rest of the turn
    return line.replies_to(sender)[before:]


def test_a_swahili_writer_is_answered_machine_translated_and_marked(line: Line) -> None:
    sender = "+1555" + str(uuid.uuid4().int)[:7]
    said = turn(line, sender, "Habari, nahitaji msaada. Bosi wangu amechukua pasipoti yangu na hanilipi mshahara wangu")
    whole = " ".join(said)
    assert "utter_" not in whole and "{" not in whole
    assert SWAHILI_MARKER in whole  # machine-translated, and said so in Swahili
    # the conversation goes on with the bot: nobody had to be asked just for the language
    assert "We can't write in your language" not in whole and "in line" not in whole


def test_a_writer_in_a_language_without_a_model_hears_in_english_that_a_counselor_will_help(line: Line) -> None:
    sender = "+1555" + str(uuid.uuid4().int)[:7]
    said = " ".join(turn(line, sender, "አለቃዬ ፓስፖርቴን ወስዶ ደሞዝ አይከፍለኝም"))  # Amharic: no en -> am model
    assert "We can't write in your language yet" in said and "911" in said
    assert "(machine translated)" not in said and SWAHILI_MARKER not in said
