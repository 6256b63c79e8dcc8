"""Shared fixtures: each test's own settings (a temporary database, a new master key), passed in
to the code under test; nothing is read from or written to the environment."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bot.config import PROJECT_ROOT, Settings, settings_from
from bot.crypto import Sealer, new_master_key

UNREACHABLE_DATABASE = "sqlite:////proc/settings-are-passed-in/hotline.db"


def pytest_configure(config: pytest.Config) -> None:
    """Settings are passed in here: code under test that reads the database from the environment
    instead fails loudly. (Servers a test starts are given their own environment.)"""
    os.environ["HOTLINE_DATABASE_URL"] = UNREACHABLE_DATABASE


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    """This test's settings: the defaults, with a fresh SQLite database and a new master key."""
    return settings_from({"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.db'}", "HOTLINE_SECRET_KEY": new_master_key()})


@pytest.fixture()
def database_url(settings: Settings) -> str:
    """This test's fresh SQLite database."""
    return settings.database_url


@pytest.fixture()
def sealer(settings: Settings) -> Sealer:
    """Seals and opens with this test's master key."""
    return settings.sealer()


@pytest.fixture()
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL server for the whole run (``make test`` installs it with apt).

    Skipped only where PostgreSQL is not installed and ``HOTLINE_TEST_POSTGRES`` is not
    ``required`` (``make test`` sets it, so CI can never skip these tests silently).
    """
    from testsupport.postgres import binaries, running_postgres

    if binaries() is None:
        if os.environ.get("HOTLINE_TEST_POSTGRES") == "required":
            pytest.fail("PostgreSQL is required for these tests but not installed (apt-get install postgresql)")
        pytest.skip("PostgreSQL is not installed")
    with running_postgres() as url:
        yield url


@pytest.fixture()
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL server for one test."""
    import sqlalchemy as sa

    name = "t_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    yield postgres_server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite (the embedded default) and on a real PostgreSQL server."""
    return request.getfixturevalue("database_url" if request.param == "sqlite" else "postgres_url")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (installed by ``make test`` with apt, never downloaded)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: `make test` installs it with apt")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


# Tiny translation models (testsupport/tiny_translation.py): "cipher" pairs write predictable
# nonsense that keeps numbers; en -> pl repeats one piece, as some published models do.
TINY_PAIRS = (("en", "sw", "cipher"), ("sw", "en", "cipher"), ("en", "tl", "cipher"), ("tl", "en", "cipher"), ("en", "pl", "repeat"))


@pytest.fixture(scope="session")
def translation_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of tiny ``.argosmodel`` files, built once per run."""
    from testsupport.tiny_translation import build_tiny_argosmodel

    folder = tmp_path_factory.mktemp("argosmodels")
    for source, target, kind in TINY_PAIRS:
        build_tiny_argosmodel(folder, source, target, kind)
    return folder


@pytest.fixture(scope="session")
def translation_models_dir(translation_packages: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny packages installed (through argostranslate), for tests that only read them."""
    from bot.translation.packages import install

    models = tmp_path_factory.mktemp("translation-models")
    for package in sorted(translation_packages.glob("*.argosmodel")):
        install(package, models)
    return models


@pytest.fixture()
def translating_settings(settings: Settings, translation_models_dir: Path) -> Settings:
    """This test's settings with the tiny translation models installed."""
    import dataclasses

    return dataclasses.replace(settings, translation_models_dir=translation_models_dir)
