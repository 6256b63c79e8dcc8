"""No personal data in logs, at any level: what people write, their numbers and addresses are
redacted from every log record of the process, Rasa's own DEBUG logs included.

:func:`install` wraps the process's log-record factory, so every record (stdlib logging, Rasa's
structlog output, Sanic's) is redacted when it is made, before any handler sees it; a traceback is
formatted and redacted then too. Redacted are:

* the texts the line is handling now: :func:`protect` is called with every message and address as
  it is received or loaded (``bot.inbox``); the whole text and each of its words of four letters
  or more (so that a quote from it, such as indicator evidence, is caught too) are recognised as
  written, as JSON escapes them and as Python's ``repr`` does, for an hour;
* anything shaped like a phone number or an e-mail address, whoever logs it.

Every server calls :func:`install` when it starts (the channels, the tracker store, the action
server, the console, the command line).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import traceback
from typing import Any, Dict

REDACTED = "[redacted]"
REMEMBER_SECONDS = 3600.0
MAX_PROTECTED = 20_000
MIN_LENGTH = 3  # shorter texts ("ok", "si") say nothing and would redact everything
MIN_WORD = 4  # words of a message redacted on their own

PHONE = re.compile(r"(?<![\w/.:-])\+?\d[\d ().-]{6,}\d(?![\w/])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")

_protected: Dict[str, float] = {}  # whole texts, in each of their forms
_words: Dict[str, float] = {}  # their words, matched as whole words in any case
_lock = threading.Lock()
_pattern: "re.Pattern[str] | None" = None
_word_pattern: "re.Pattern[str] | None" = None
_installed = False


def _forms(text: str) -> set:
    return {text, json.dumps(text)[1:-1], repr(text)[1:-1]}


def _remember(store: Dict[str, float], forms: set, until: float, now: float) -> None:
    for form in forms:
        store.pop(form, None)
        store[form] = until  # most recent last
    for form in [form for form, expiry in store.items() if expiry < now]:
        del store[form]
    while len(store) > MAX_PROTECTED:
        store.pop(next(iter(store)))


def protect(*texts: str) -> None:
    """Redact these texts, and each of their words, from every log record for the next hour."""
    global _pattern, _word_pattern
    now = time.monotonic()
    with _lock:
        for text in texts:
            text = (text or "").strip()
            if len(text) >= MIN_LENGTH:
                _remember(_protected, _forms(text), now + REMEMBER_SECONDS, now)
                words = {form for word in re.findall(rf"\w{{{MIN_WORD},}}", text) for form in _forms(word)}
                _remember(_words, {word.lower() for word in words}, now + REMEMBER_SECONDS, now)
        _pattern = _word_pattern = None  # rebuilt on next use


def _current_patterns() -> "tuple[re.Pattern[str] | None, re.Pattern[str] | None]":
    global _pattern, _word_pattern
    with _lock:
        if _pattern is None and _protected:
            longest_first = sorted(_protected, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(form) for form in longest_first))
        if _word_pattern is None and _words:
            longest_first = sorted(_words, key=len, reverse=True)
            _word_pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in longest_first) + r")(?!\w)", re.IGNORECASE)
        return _pattern, _word_pattern


def redact(message: str) -> str:
    for pattern in _current_patterns():
        if pattern is not None:
            message = pattern.sub(REDACTED, message)
    return EMAIL.sub(REDACTED, PHONE.sub(REDACTED, message))


def install() -> None:
    """Redact every log record of this process from now on (calling it again does nothing)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    make_record = logging.getLogRecordFactory()

    def redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format: keep only the format itself
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return record

    logging.setLogRecordFactory(redacted_record)
