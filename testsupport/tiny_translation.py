"""Build a tiny ``.argosmodel`` package for tests and benchmarks: no download, no torch.

A real CTranslate2 Transformer (one layer, one head) with a SentencePiece vocabulary trained here,
packaged as Argos Translate packages are (``metadata.json``, ``model/``, ``sentencepiece.model``
in one folder inside a zip). Its weights are set by hand, not trained, so that its output is
predictable nonsense:

* ``cipher`` copies the source pieces one by one (one-hot positions make the cross-attention pick
  source position *t* at step *t*) and swaps each word piece for the next one in the vocabulary.
  The output is as long as the input, differs from it, and keeps digits and punctuation, as a good
  model keeps numbers. "I need help" comes out as something like "eShekwe".
* ``repeat`` writes one piece over and over whatever the input ("aaaa..."), like published models
  with the repetition bug (argos-translate #522): the line must recognise it as degenerate.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import List

import numpy as np

# Text the vocabulary is trained on: the tests' languages in plain Latin letters, so the output
# fits GSM-7 SMS (anything else becomes an unknown piece, copied as it is).
VOCABULARY_TEXT = (
    "I need help, my boss keeps my passport. Call 911 in an emergency, or 1-888-373-7888.",
    "We are locked in the house. Where are you now? A counselor will write to you soon.",
    "Kailangan ko ng tulong. Ang amo ko ay may hawak ng pasaporte ko. Salamat po.",
    "Potrzebuje pomocy, szef zabral mi paszport. Gdzie jestes? Dziekuje bardzo.",
    "Nahitaji msaada, bosi wangu ana pasipoti yangu. Uko wapi sasa? Asante sana.",
    "0123456789 +-/()[]:;!?'\"",
)
SPECIAL = ("<blank>", "<s>", "</s>", "<unk>")
TOKEN_DIMS = 32  # dimensions that carry the piece; the rest carry the position
MAX_POSITIONS = 256  # pieces per sentence the model can read


def _sentencepiece_model() -> bytes:
    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(VOCABULARY_TEXT * 20), model_writer=model, vocab_size=120, model_type="unigram",
        character_coverage=1.0, hard_vocab_limit=False, bos_id=-1, eos_id=-1, unk_id=0, pad_id=-1,
        minloglevel=2, num_threads=1,
    )
    return model.getvalue()


def _vocabulary(sentencepiece_model: bytes) -> List[str]:
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_proto=sentencepiece_model)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    return list(SPECIAL) + [piece for piece in pieces if piece not in SPECIAL]


def _word_pieces(vocabulary: List[str]) -> List[int]:
    return [
        i for i, piece in enumerate(vocabulary)
        if piece not in SPECIAL and piece.lstrip("▁") and all(c.isalpha() for c in piece.lstrip("▁"))
    ]


def _output_piece(vocabulary: List[str]) -> List[int]:
    """Which piece the cipher writes for each source piece: the next word piece; special pieces,
    digits and punctuation as they are."""
    words = _word_pieces(vocabulary)
    mapping = list(range(len(vocabulary)))
    for n, index in enumerate(words):
        mapping[index] = words[(n + 1) % len(words)]
    return mapping


def _model(directory: Path, vocabulary: List[str], kind: str) -> None:
    from ctranslate2.specs import TransformerSpec, model_spec

    size, dims = len(vocabulary), TOKEN_DIMS + MAX_POSITIONS
    rng = np.random.default_rng(11)
    pieces = np.zeros((size, dims), np.float32)
    pieces[:, :TOKEN_DIMS] = rng.normal(0.0, 4.0, (size, TOKEN_DIMS))
    positions = np.zeros((MAX_POSITIONS, dims), np.float32)
    positions[np.arange(MAX_POSITIONS), TOKEN_DIMS + np.arange(MAX_POSITIONS)] = 1.0
    piece_part = np.diag([1.0] * TOKEN_DIMS + [0.0] * MAX_POSITIONS).astype(np.float32)
    position_part = np.diag([0.0] * TOKEN_DIMS + [1.0] * MAX_POSITIONS).astype(np.float32)
    projection = np.zeros((size, dims), np.float32)
    bias = np.zeros(size, np.float32)
    if kind == "cipher":
        for source, target in enumerate(_output_piece(vocabulary)):
            projection[target, :TOKEN_DIMS] += pieces[source, :TOKEN_DIMS]
    else:  # one word piece, whatever the input, until the length limit stops it
        bias[_word_pieces(vocabulary)[0]] = 1.0

    spec = TransformerSpec.from_config(1, 1)
    spec.config.add_source_eos = True  # the source's end is copied too: decoding stops there
    spec.encoder.position_encodings.encodings = None
    spec.decoder.position_encodings.encodings = None

    def weight(name: str) -> np.ndarray:
        zeros = np.zeros
        table = {
            "encoder/embeddings_0/weight": pieces / np.sqrt(dims),  # the model scales it by sqrt(dims)
            "decoder/embeddings/weight": zeros((size, dims), np.float32),  # the step is its position only
            "decoder/projection/weight": projection,
        }
        if name in table:
            return table[name]
        if name.endswith("position_encodings/encodings"):
            return positions
        if name.endswith("/gamma"):
            return np.ones(dims, np.float32)
        if name.endswith("/beta"):
            return zeros(dims, np.float32)
        if "self_attention/linear_0" in name:
            return zeros((3 * dims, dims), np.float32)
        if "self_attention/linear_1" in name or "ffn/linear_1" in name or "ffn/linear_0" in name:
            return zeros((dims, dims), np.float32)  # no self-attention and no feed-forward: only copying
        if name.endswith("attention/linear_0/weight"):  # query: the step's position
            return 30.0 * position_part
        if name.endswith("attention/linear_1/weight"):  # key: the source position; value: its piece
            return np.concatenate([30.0 * position_part, 30.0 * piece_part])
        if name.endswith("attention/linear_2/weight"):
            return np.eye(dims, dtype=np.float32)
        raise KeyError(name)

    def fill(layer: object, name: str, value: object) -> None:
        if value is None:
            setattr(layer, name.split("/")[-1], weight(name))

    model_spec.visit_spec(spec, fill)
    spec.decoder.projection.bias = bias
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    directory.mkdir(parents=True)
    spec.save(str(directory))


def build_tiny_argosmodel(destination: Path, from_code: str, to_code: str, kind: str = "cipher") -> Path:
    """Write ``translate-<from>_<to>-tiny.argosmodel`` into ``destination`` and return its path."""
    if kind not in ("cipher", "repeat"):
        raise ValueError(f"kind must be 'cipher' or 'repeat', got {kind!r}")
    name = f"translate-{from_code}_{to_code}-tiny"
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / name
        sentencepiece_model = _sentencepiece_model()
        _model(folder / "model", _vocabulary(sentencepiece_model), kind)
        (folder / "sentencepiece.model").write_bytes(sentencepiece_model)
        metadata = {
            "package_version": "0.1", "argos_version": "1.12", "type": "translate",
            "from_code": from_code, "from_name": from_code, "to_code": to_code, "to_name": to_code,
            "package_name": f"Tiny test model ({kind})", "languages": [], "links": [],
        }
        (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
        destination.mkdir(parents=True, exist_ok=True)
        package = destination / f"{name}.argosmodel"
        with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                archive.write(path, path.relative_to(Path(work)).as_posix())
        shutil.rmtree(folder)
    return package
