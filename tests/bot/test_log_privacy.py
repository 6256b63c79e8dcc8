"""No personal data in any log record, whoever logs it and however (bot/log_privacy.py)."""

from __future__ import annotations

import io
import json
import logging

from bot import log_privacy


def captured(emit) -> str:
    log_privacy.install()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.log_privacy")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_message_being_handled_never_reaches_a_log_in_any_form() -> None:
    text = "el patrón guardó mi pasaporte y está aquí"
    log_privacy.protect(text, "whatsapp:+15550107321")
    parse = {"text": text, "intent": {"name": "report_situation"}}

    def emit(logger: logging.Logger) -> None:
        logger.debug(f"Received user message '{text}' with intent 'report_situation'")  # Rasa's f-strings
        logger.debug("parse: %s", parse)  # a dict's repr
        logger.debug(json.dumps({"event": "processor.message.parse", "parse_data_text": text}))  # structlog's JSON
        try:
            raise KeyError(text)
        except KeyError:
            logger.exception("the turn failed")  # the traceback too

    output = captured(emit)
    assert "report_situation" in output and "the turn failed" in output  # the rest of the record stays
    for private in ("pasaporte", "pasaporte y est\\u00e1", "15550107321", "whatsapp:+1555"):
        assert private not in output


def test_numbers_and_addresses_nobody_announced_are_redacted_too() -> None:
    output = captured(lambda logger: logger.warning(
        "call me on +44 20 7946 0958 or (555) 010-4477, or write to ana.gomez@example.org"))
    assert "7946" not in output and "010-4477" not in output and "ana.gomez" not in output
    assert "call me on" in output


def test_ordinary_records_are_left_alone(monkeypatch) -> None:
    monkeypatch.setattr(log_privacy, "_words", {})  # nothing announced by other tests in this process
    line = "Loaded 25 languages in 1.5 s; model hotline.tar.gz, Rasa 3.6.21, port 5005"
    assert captured(lambda logger: logger.info(line)).strip() == line
