"""Shared fixtures: settings isolated per test (temporary database), project paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, load_settings


@pytest.fixture()
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite database for one test, also seen by code that calls load_settings()."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    load_settings.cache_clear()
    yield url
    load_settings.cache_clear()


@pytest.fixture()
def project_root() -> Path:
    return PROJECT_ROOT
