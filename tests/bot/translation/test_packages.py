"""Installing ``.argosmodel`` packages: what is refused, what is listed, what is reachable."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from bot.errors import TranslationModelError
from bot.translation.packages import check_package_file, install, installed_pairs, reply_languages


def _package(path: Path, files: dict) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


GOOD_METADATA = json.dumps({"type": "translate", "from_code": "en", "to_code": "sw"})


@pytest.mark.parametrize(
    "files, complaint",
    [
        ({"a/metadata.json": GOOD_METADATA, "a/model/model.bin": "x", "a/sentencepiece.model": "x", "b/x": "x"}, "exactly one folder"),
        ({"a/metadata.json": GOOD_METADATA, "a/model/model.bin": "x", "a/sentencepiece.model": "x", "a/../../evil": "x"}, "outside its folder"),
        ({"a/model/model.bin": "x", "a/sentencepiece.model": "x"}, "no metadata.json"),
        ({"a/metadata.json": GOOD_METADATA, "a/sentencepiece.model": "x"}, "no CTranslate2 model"),
        ({"a/metadata.json": GOOD_METADATA, "a/model/model.bin": "x"}, "no tokenizer"),
        ({"a/metadata.json": "{not json", "a/model/model.bin": "x", "a/sentencepiece.model": "x"}, "not JSON"),
        ({"a/metadata.json": json.dumps({"type": "sbd", "from_code": "en", "to_code": "sw"}), "a/model/model.bin": "x", "a/bpe.model": "x"},
         "not a translation package"),
        ({"a/metadata.json": json.dumps({"from_code": "english", "to_code": "sw"}), "a/model/model.bin": "x", "a/bpe.model": "x"}, "from_code"),
        ({"a/metadata.json": json.dumps({"from_code": "en", "to_code": "en"}), "a/model/model.bin": "x", "a/bpe.model": "x"}, "into itself"),
    ],
)
def test_a_package_that_is_not_a_complete_translation_model_is_refused_with_the_reason(tmp_path: Path, files: dict, complaint: str) -> None:
    package = _package(tmp_path / "bad.argosmodel", files)
    with pytest.raises(TranslationModelError) as refused:
        install(package, tmp_path / "models")
    assert complaint in str(refused.value) and "bad.argosmodel" in str(refused.value)
    assert installed_pairs(tmp_path / "models") == []


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.argosmodel"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(TranslationModelError, match="not a zip archive"):
        check_package_file(text)


def test_installed_pairs_are_listed_and_reachable_through_english(translation_packages: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    assert reply_languages(models, "en") == frozenset()
    for name in ("translate-en_sw-tiny", "translate-sw_en-tiny", "translate-en_tl-tiny"):
        pair = install(translation_packages / f"{name}.argosmodel", models)
        assert (models / name / "model" / "model.bin").is_file() and pair.path == models / name
    assert [pair.key for pair in installed_pairs(models)] == [("en", "sw"), ("en", "tl"), ("sw", "en")]
    assert reply_languages(models, "en") == {"sw", "tl"}
    assert reply_languages(models, "sw") == {"en", "tl"}  # through English
    assert reply_languages(models, "tl") == frozenset()  # no tl -> en installed
    shutil.rmtree(models / "translate-en_tl-tiny")  # an operator removes a pair
    assert reply_languages(models, "en") == {"sw"}
