"""``hotline translations install | list | check`` as an operator uses them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import Settings
from hotline.cli import main


def test_install_list_and_check_flag_the_model_that_repeats_itself(
    settings: Settings, translation_packages: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    mine = dataclasses.replace(settings, translation_models_dir=tmp_path / "models")
    assert main(["translations", "list"], mine) == 0
    assert "0 pair(s)" in capsys.readouterr().out
    assert main(["translations", "check"], mine) == 0
    assert "no translation models installed" in capsys.readouterr().out

    assert main(["translations", "install", str(translation_packages / "translate-en_sw-tiny.argosmodel")], mine) == 0
    assert "installed en -> sw" in capsys.readouterr().out
    assert main(["translations", "check"], mine) == 0
    out = capsys.readouterr().out
    assert "en -> sw  ok" in out and "911" in out.split("If you are in danger now")[1]

    assert main(["translations", "install", str(translation_packages / "translate-en_pl-tiny.argosmodel")], mine) == 0
    capsys.readouterr()
    assert main(["translations", "list"], mine) == 0
    listed = capsys.readouterr().out
    assert "2 pair(s)" in listed and "en -> pl" in listed and "machine-translated from English into: pl, sw" in listed
    assert main(["translations", "check"], mine) == 1
    checked = capsys.readouterr()
    assert "en -> pl  DEGENERATE" in checked.out and "en -> sw  ok" in checked.out
    assert "replace these pairs: en -> pl" in checked.err


def test_a_file_that_is_not_a_package_is_refused_with_a_clear_error(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    mine = dataclasses.replace(settings, translation_models_dir=tmp_path / "models")
    stray = tmp_path / "photo.jpg"
    stray.write_bytes(b"\xff\xd8\xff")
    assert main(["translations", "install", str(stray)], mine) == 1
    assert capsys.readouterr().err.strip() == "error: photo.jpg: not a zip archive (an .argosmodel file is one)"
