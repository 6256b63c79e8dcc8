"""In-process classification with the trained Rasa model: the ``hotline classify`` contract.

Each message becomes ``{"text", "language", "intent", "intent_confidence", "indicators",
"danger", "concern", "wants_human"}`` (``concern``: not immediate danger, but raised for a
counselor's attention); ``intent`` is always one of the 15 public intents (Rasa's internal
``nlu_fallback`` is replaced by the best public intent of the ranking).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

from bot.config import PROJECT_ROOT
from bot.errors import InputLineError
from bot.safety import is_help_keyword

PUBLIC_INTENTS = (
    "emergency", "request_help", "talk_to_human", "report_situation", "report_suspicion",
    "ask_indicators", "ask_rights", "greet", "goodbye", "thank", "affirm", "deny",
    "delete_data", "change_language", "out_of_scope",
)
WANTS_HUMAN_INTENTS = frozenset({"talk_to_human", "request_help"})
TALK_TO_HUMAN_MIN_SCORE = 0.3
DEFAULT_MODEL = PROJECT_ROOT / "models" / "hotline.tar.gz"


def quiet_rasa() -> None:
    """Keep TensorFlow's and Rasa's start-up noise out of the user's terminal."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    for name in ("rasa", "tensorflow", "absl", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore")


def public_intent(parse: Dict[str, Any]) -> tuple[str, float]:
    """The parse result's intent mapped onto the public contract, with its confidence."""
    intent = parse.get("intent") or {}
    if intent.get("name") in PUBLIC_INTENTS:
        return intent["name"], float(intent.get("confidence") or 0.0)
    for entry in parse.get("intent_ranking") or []:
        if entry.get("name") in PUBLIC_INTENTS:
            return entry["name"], float(entry.get("confidence") or 0.0)
    return "out_of_scope", 0.0


def to_contract(text: str, parse: Dict[str, Any]) -> Dict[str, Any]:
    """One ``hotline classify`` output object from a Rasa parse result."""
    intent, confidence = public_intent(parse)
    ranking = {entry.get("name"): float(entry.get("confidence") or 0.0) for entry in parse.get("intent_ranking") or []}
    danger = bool(parse.get("danger"))
    wants_human = (
        danger
        or intent in WANTS_HUMAN_INTENTS
        or ranking.get("talk_to_human", 0.0) >= TALK_TO_HUMAN_MIN_SCORE
        or is_help_keyword(text)
    )
    return {
        "text": text,
        "language": parse.get("language"),
        "intent": intent,
        "intent_confidence": round(confidence, 4),
        "indicators": [
            {"key": item["key"], "confidence": item["confidence"], "evidence": item["evidence"]}
            for item in parse.get("indicators") or []
        ],
        "danger": danger,
        "concern": bool(parse.get("concern")) and not danger,
        "wants_human": bool(wants_human),
    }


class Classifier:
    """Loads the trained model once and classifies messages without a server."""

    def __init__(self, model_path: Optional[Path] = None) -> None:
        quiet_rasa()
        from rasa.core.agent import Agent

        path = Path(model_path or DEFAULT_MODEL)
        if not path.exists():
            raise FileNotFoundError(f"no trained model at {path}; run 'make train' first")
        self._loop = asyncio.new_event_loop()
        self._agent = Agent.load(str(path))

    def parse(self, text: str) -> Dict[str, Any]:
        return self._loop.run_until_complete(self._agent.parse_message(text))

    def parse_many(self, texts: Sequence[str]) -> List[Dict[str, Any]]:
        """Parse results for a batch, through the same NLU graph in one run (the encoder and the
        classifiers then see the whole batch at once)."""
        from rasa.core.channels.channel import UserMessage
        from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
        from rasa.shared.core.trackers import DialogueStateTracker
        from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT

        if not texts:
            return []
        processor = self._agent.processor
        results = processor.graph_runner.run(
            inputs={
                PLACEHOLDER_MESSAGE: [UserMessage(text) for text in texts],
                PLACEHOLDER_TRACKER: DialogueStateTracker("classify", []),
            },
            targets=[processor.model_metadata.nlu_target],
        )
        parsed = []
        for message in results[processor.model_metadata.nlu_target]:
            data: Dict[str, Any] = {TEXT: "", INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, ENTITIES: []}
            data.update(message.as_dict(only_output_properties=True))
            parsed.append(data)
        return parsed

    def classify(self, text: str) -> Dict[str, Any]:
        return to_contract(text, self.parse(text))

    def classify_many(self, texts: Sequence[str]) -> List[Dict[str, Any]]:
        return [to_contract(text, parse) for text, parse in zip(texts, self.parse_many(texts))]


def read_messages(lines: Iterable[str]) -> Iterator[str | InputLineError]:
    """Messages from input lines: plain text, or JSON objects with a ``text`` key.

    A line that is a JSON object without a ``text`` string yields an :class:`InputLineError`
    (so the caller can report it in place and go on); a line that merely starts with ``{`` but
    is not JSON is taken as text.
    """
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                yield line
                continue
            if isinstance(data, dict):
                if isinstance(data.get("text"), str):
                    yield data["text"]
                else:
                    yield InputLineError(f"line {number}: JSON object without a 'text' string")
                continue
        yield line
