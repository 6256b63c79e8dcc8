"""Translation model packages (``.argosmodel``): what one must hold, installing it, listing pairs.

An Argos Translate package is a zip archive holding one folder with ``metadata.json`` (``type``
``translate``, ``from_code``, ``to_code``), the CTranslate2 model in ``model/`` and a tokenizer
(``sentencepiece.model`` or ``bpe.model``). Operators get them from the Argos Translate package
index on a machine that can reach it and copy them here; this line never downloads one.

Packages live in ``HOTLINE_TRANSLATION_MODELS`` (``var/translation-models``), never in the
library's default under the home directory: :func:`point_argostranslate_at` sets
``ARGOS_PACKAGES_DIR`` before argostranslate is first imported.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Dict, FrozenSet, List, Optional, Tuple

from bot.errors import TranslationModelError

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
MAX_PACKAGE_BYTES = 2 * 1024**3  # unpacked; published pairs are 70-120 MB
TOKENIZERS = ("sentencepiece.model", "bpe.model")


@dataclass(frozen=True)
class InstalledPair:
    """One installed translation direction."""

    from_code: str
    to_code: str
    name: str
    version: str
    path: Path

    @property
    def key(self) -> Tuple[str, str]:
        return self.from_code, self.to_code


def point_argostranslate_at(models_dir: Path) -> None:
    """Make argostranslate read and install packages in ``models_dir`` only.

    argostranslate reads ``ARGOS_PACKAGES_DIR`` when first imported; when it was imported already
    (another part of the process), its settings are set directly.
    """
    os.environ["ARGOS_PACKAGES_DIR"] = str(models_dir)
    import sys

    settings = sys.modules.get("argostranslate.settings")
    if settings is not None:
        settings.package_data_dir = models_dir  # type: ignore[attr-defined]
        settings.package_dirs = [models_dir]  # type: ignore[attr-defined]


def _metadata(raw: bytes, where: str) -> Dict:
    try:
        metadata = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise TranslationModelError(f"{where}: metadata.json is not JSON") from None
    if not isinstance(metadata, dict) or metadata.get("type", "translate") != "translate":
        raise TranslationModelError(f"{where}: not a translation package (metadata.json type {metadata.get('type')!r})")
    for field in ("from_code", "to_code"):
        if not LANGUAGE_CODE.match(str(metadata.get(field, ""))):
            raise TranslationModelError(f"{where}: metadata.json {field} must be a language code like 'en', got {metadata.get(field)!r}")
    if metadata["from_code"] == metadata["to_code"]:
        raise TranslationModelError(f"{where}: translates {metadata['from_code']!r} into itself")
    return metadata


def check_package_file(path: Path) -> Tuple[str, Dict]:
    """The package's folder name and metadata, or :class:`TranslationModelError` saying what is wrong."""
    where = path.name
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise TranslationModelError(f"{where}: not a zip archive (an .argosmodel file is one)")
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        names = [PurePosixPath(entry.filename) for entry in entries]
        if any(name.is_absolute() or ".." in name.parts for name in names):
            raise TranslationModelError(f"{where}: holds a path outside its folder")
        tops = {name.parts[0] for name in names if name.parts}
        if len(tops) != 1:
            raise TranslationModelError(f"{where}: must hold exactly one folder, holds {len(tops)}")
        if sum(entry.file_size for entry in entries) > MAX_PACKAGE_BYTES:
            raise TranslationModelError(f"{where}: unpacks to more than {MAX_PACKAGE_BYTES // 1024**3} GB")
        (folder,) = tops
        present = {name.as_posix() for name in names}
        if f"{folder}/metadata.json" not in present:
            raise TranslationModelError(f"{where}: no metadata.json in {folder}/")
        if f"{folder}/model/model.bin" not in present:
            raise TranslationModelError(f"{where}: no CTranslate2 model (model/model.bin) in {folder}/")
        if not any(f"{folder}/{tokenizer}" in present for tokenizer in TOKENIZERS):
            raise TranslationModelError(f"{where}: no tokenizer ({' or '.join(TOKENIZERS)}) in {folder}/")
        metadata = _metadata(archive.read(f"{folder}/metadata.json"), where)
    return folder, metadata


def _pair_at(folder: Path) -> Optional[InstalledPair]:
    try:
        metadata = _metadata((folder / "metadata.json").read_bytes(), folder.name)
    except (OSError, TranslationModelError):
        return None
    if not (folder / "model" / "model.bin").is_file() or not any((folder / name).is_file() for name in TOKENIZERS):
        return None
    return InstalledPair(
        from_code=metadata["from_code"],
        to_code=metadata["to_code"],
        name=str(metadata.get("package_name") or folder.name),
        version=str(metadata.get("package_version") or "?"),
        path=folder,
    )


def installed_pairs(models_dir: Path) -> List[InstalledPair]:
    """The complete packages in ``models_dir``, one per direction: of two for one direction, the
    folder last in name order (for Argos's names, "translate-en_es-1_9", the newer version)."""
    if not models_dir.is_dir():
        return []
    pairs: Dict[Tuple[str, str], InstalledPair] = {}
    for folder in sorted(path for path in models_dir.iterdir() if path.is_dir()):
        pair = _pair_at(folder)
        if pair is not None:
            pairs[pair.key] = pair
    return sorted(pairs.values(), key=lambda pair: pair.key)


def install(path: Path, models_dir: Path) -> InstalledPair:
    """Check ``path`` and install it with argostranslate's ``install_from_path``."""
    folder, metadata = check_package_file(path)
    models_dir.mkdir(parents=True, exist_ok=True)
    point_argostranslate_at(models_dir)
    from argostranslate import package

    try:
        package.install_from_path(path)
    except Exception as error:  # the library raises bare Exception
        raise TranslationModelError(f"{path.name}: argostranslate could not install it ({type(error).__name__})") from error
    pair = _pair_at(models_dir / folder)
    if pair is None:
        raise TranslationModelError(f"{path.name}: installed, but {models_dir / folder} is not a complete package")
    return pair


PIVOT = "en"
_PAIRS_SEEN: Dict[Path, Tuple[float, FrozenSet[Tuple[str, str]]]] = {}


def _pair_keys(models_dir: Path) -> FrozenSet[Tuple[str, str]]:
    """The installed directions, read again only when the folder changes (a package installed)."""
    try:
        stamp = models_dir.stat().st_mtime
    except OSError:
        return frozenset()
    seen = _PAIRS_SEEN.get(models_dir)
    if seen is None or seen[0] != stamp:
        seen = _PAIRS_SEEN[models_dir] = (stamp, frozenset(pair.key for pair in installed_pairs(models_dir)))
    return seen[1]


def reply_languages(models_dir: Path, source: str) -> FrozenSet[str]:
    """The languages a text in ``source`` can be machine-translated into (directly or through English)."""
    keys = _pair_keys(models_dir)
    direct = {target for start, target in keys if start == source}
    through = {target for start, target in keys if start == PIVOT} if (source, PIVOT) in keys else set()
    return frozenset((direct | through) - {source})
