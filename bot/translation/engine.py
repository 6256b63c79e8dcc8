"""The installed translation models, loaded once per process, and translating with them safely.

* Every installed pair is loaded when the translator is made (at a process's start-up, through
  :func:`shared_translator`), never at import and never lazily in the middle of a conversation.
* A translation runs in a worker thread, off the event loop; calls to one pair are serialised
  (CTranslate2 translators and argostranslate's tokenizers are not thread-safe).
* Each message has a time limit (``HOTLINE_TRANSLATION_TIMEOUT``); past it the caller goes on
  without the translation (the work finishes in the background and is dropped).
* A pair missing in one step goes through English ("pl" -> "en" -> "tl"), as the Argos index
  pivots through English.
* The result says what went wrong instead of raising: no model, timed out, failed, degenerate
  output, numbers lost (:mod:`bot.translation.quality`). Callers always have the original.

Sentences are split by :mod:`bot.translation.sentences`, never by argostranslate's MiniSBD
(which downloads a model on first use), and output length is bounded so a model that runs away
cannot hold a worker for long.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.translation.packages import PIVOT, InstalledPair, installed_pairs, point_argostranslate_at
from bot.translation.quality import degenerate, keeps_numbers
from bot.translation.sentences import SentenceSplitter

logger = logging.getLogger(__name__)

MAX_OUTPUT_PIECES = 512
WORKERS = 2  # two pairs can translate at once (a person's message in, a counselor's reply out)


class Problem(str, Enum):
    """Why a message has no usable translation."""

    NO_MODEL = "no_model"  # no installed pair, direct or through English
    TIMED_OUT = "timed_out"
    FAILED = "failed"  # the model raised
    DEGENERATE = "degenerate"  # one word repeated, empty, runaway length
    NUMBERS_LOST = "numbers_lost"  # a phone number or web address did not come through


@dataclass(frozen=True)
class Translation:
    """One message's translation, or why there is none (``text`` is then None)."""

    source_language: str
    target_language: str
    original: str
    text: Optional[str]
    problem: Optional[Problem] = None
    route: Tuple[str, ...] = ()
    refused: Optional[str] = None  # what the model wrote when it was refused (degenerate, numbers lost)

    @property
    def ok(self) -> bool:
        return self.text is not None


class _BoundedOutput:
    """The CTranslate2 translator with a cap on output length (argostranslate sets none)."""

    def __init__(self, translator: Any) -> None:
        self._translator = translator

    def translate_batch(self, tokenized: List[List[str]], **options: Any) -> Any:
        longest = max((len(tokens) for tokens in tokenized), default=0)
        options.setdefault("max_decoding_length", min(MAX_OUTPUT_PIECES, 3 * longest + 16))
        return self._translator.translate_batch(tokenized, **options)


class _LoadedPair:
    """One installed direction: its package (tokenizer), its CTranslate2 model, and its lock."""

    def __init__(self, pair: InstalledPair, threads: int) -> None:
        import ctranslate2
        from argostranslate.package import Package
        from argostranslate.translate import apply_packaged_translation  # a heavy import: at start, not on a message

        # argostranslate logs every text it translates at INFO: a person's words must not reach a log.
        logging.getLogger("argostranslate.utils").setLevel(logging.ERROR)
        self.pair = pair
        self.package = Package(pair.path)
        self.translator = ctranslate2.Translator(str(pair.path / "model"), device="cpu", inter_threads=1, intra_threads=threads)
        self.lock = threading.Lock()
        self._splitter = SentenceSplitter()
        self._apply = apply_packaged_translation
        self.run("Hello.")  # the first call allocates its buffers: at start, not on a person's message

    def run(self, text: str) -> str:
        with self.lock:
            hypotheses = self._apply(self.package, text, _BoundedOutput(self.translator), self._splitter, 1)
        return hypotheses[0].value.strip()


class MachineTranslator:
    """Every installed pair in ``models_dir``, ready to translate."""

    def __init__(self, models_dir: Path, timeout_s: float, threads: int = 1) -> None:
        point_argostranslate_at(models_dir)
        self.models_dir = models_dir
        self.timeout_s = timeout_s
        self._pairs: Dict[Tuple[str, str], _LoadedPair] = {}
        for pair in installed_pairs(models_dir):
            try:
                self._pairs[pair.key] = _LoadedPair(pair, threads)
            except Exception as error:  # a broken package must not stop the line
                logger.error("Translation model %s -> %s could not be loaded (%s); it is left out.", pair.from_code, pair.to_code, type(error).__name__)
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="translation")
        if self._pairs:
            logger.info("Translation pairs loaded: %s", ", ".join(f"{a}->{b}" for a, b in sorted(self._pairs)))

    @property
    def pairs(self) -> List[InstalledPair]:
        return [loaded.pair for _, loaded in sorted(self._pairs.items())]

    def route(self, source: str, target: str) -> Optional[Tuple[str, ...]]:
        """The languages a translation passes through, ends included; None when there is no way."""
        if source == target:
            return None
        if (source, target) in self._pairs:
            return source, target
        if (source, PIVOT) in self._pairs and (PIVOT, target) in self._pairs:
            return source, PIVOT, target
        return None

    def can_translate(self, source: str, target: str) -> bool:
        return self.route(source, target) is not None

    def _run(self, text: str, route: Sequence[str]) -> str:
        for source, target in zip(route, route[1:]):
            text = self._pairs[(source, target)].run(text)
        return text

    def _judge(self, text: str, source: str, target: str, route: Tuple[str, ...], output: str) -> Translation:
        if degenerate(text, output):
            return Translation(source, target, text, None, Problem.DEGENERATE, route, refused=output)
        if not keeps_numbers(text, output):
            return Translation(source, target, text, None, Problem.NUMBERS_LOST, route, refused=output)
        return Translation(source, target, text, output, None, route)

    def translate_blocking(self, text: str, source: str, target: str) -> Translation:
        """Translate in a worker and wait at most the time limit (for code outside an event loop)."""
        route = self.route(source, target)
        if route is None:
            return Translation(source, target, text, None, Problem.NO_MODEL)
        future = self._pool.submit(self._run, text, route)
        try:
            output = future.result(timeout=self.timeout_s)
        except FutureTimeout:
            return Translation(source, target, text, None, Problem.TIMED_OUT, route)
        except Exception as error:
            logger.warning("Translation %s failed (%s).", "->".join(route), type(error).__name__)
            return Translation(source, target, text, None, Problem.FAILED, route)
        return self._judge(text, source, target, route, output)

    async def translate(self, text: str, source: str, target: str) -> Translation:
        """The same, awaited without blocking the event loop."""
        route = self.route(source, target)
        if route is None:
            return Translation(source, target, text, None, Problem.NO_MODEL)
        work = asyncio.get_running_loop().run_in_executor(self._pool, self._run, text, route)
        try:
            output = await asyncio.wait_for(work, timeout=self.timeout_s)
        except asyncio.TimeoutError:
            return Translation(source, target, text, None, Problem.TIMED_OUT, route)
        except Exception as error:
            logger.warning("Translation %s failed (%s).", "->".join(route), type(error).__name__)
            return Translation(source, target, text, None, Problem.FAILED, route)
        return self._judge(text, source, target, route, output)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


_SHARED: Dict[Path, MachineTranslator] = {}
_SHARED_LOCK = threading.Lock()


def shared_translator(models_dir: Path, timeout_s: float) -> MachineTranslator:
    """The process's translator for ``models_dir``, made (and its models loaded) on the first call."""
    with _SHARED_LOCK:
        translator = _SHARED.get(models_dir)
        if translator is None:
            translator = _SHARED[models_dir] = MachineTranslator(models_dir, timeout_s)
        return translator
