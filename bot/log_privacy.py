"""No personal data in logs, at any level: what people write, their numbers and addresses are
redacted from every log record of the process, Rasa's own DEBUG logs included.

:func:`install` wraps the process's log-record factory, so every record (stdlib logging, Rasa's
structlog output, Sanic's) is redacted when it is made, before any handler sees it; a traceback is
formatted and redacted then too. Redacted are:

* every word (of four letters or more) of the texts the line is handling now: :func:`protect` is
  called with every message and address as it is received or loaded (``bot.inbox``), and its
  words are remembered for an hour. A record's words are looked up one by one (after undoing the
  escapes JSON and Python's ``repr`` write), so a whole message, a quote from it (indicator
  evidence) or a web chat id are caught alike, at the cost of a set lookup per word;
* anything shaped like a phone number or an e-mail address, whoever logs it.

Every server calls :func:`install` when it starts (the channels, the tracker store, the action
server, the console, the command line).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import traceback
from typing import Any, Dict

REDACTED = "[redacted]"
REMEMBER_SECONDS = 3600.0
MAX_PROTECTED = 50_000
MIN_WORD = 4  # shorter words ("ok", "si", "he") say nothing alone and are everywhere

WORD = re.compile(rf"\w{{{MIN_WORD},}}")
ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})")
PHONE = re.compile(r"(?<![\w/.:-])\+?\d[\d ().-]{6,}\d(?![\w/])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")

_words: Dict[str, float] = {}  # lower-cased word -> until when it is redacted
_lock = threading.Lock()
_installed = False


def protect(*texts: str) -> None:
    """Redact every word of these texts from every log record for the next hour."""
    now = time.monotonic()
    with _lock:
        for text in texts:
            for word in WORD.findall(text or ""):
                _words.pop(word.lower(), None)
                _words[word.lower()] = now + REMEMBER_SECONDS  # most recent last
        while _words and (len(_words) > MAX_PROTECTED or next(iter(_words.values())) < now):
            _words.pop(next(iter(_words)))


def _unescape(message: str) -> str:
    return ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), message)


def redact(message: str) -> str:
    text = _unescape(message) if "\\" in message else message
    text = WORD.sub(lambda m: REDACTED if m.group(0).lower() in _words else m.group(0), text)
    return EMAIL.sub(REDACTED, PHONE.sub(REDACTED, text))


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
