"""``hotline keys rotate``: every record re-sealed under a new key while messages keep coming, the old
key then gone from the file, conversation keys unchanged; and key files that are not keys refused."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import List

import pytest
import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from bot import inbox
from bot.config import Settings, settings_from
from bot.crypto import KeyRing, Sealer, new_master_key
from bot.errors import ConfigError
from bot.key_rotation import rotate, sealed_columns
from bot.storage.db import engine_for
from bot.storage.models import Base
from tests.bot.test_sealed_at_rest import MESSAGE, store_everything, tracker_store


@pytest.fixture()
def keyed(tmp_path: Path) -> Settings:
    """A line whose key lives in a file (as `make run` sets it up), apart from its data."""
    key_file = tmp_path / "keys" / "secret.key"
    key_file.parent.mkdir()
    key_file.write_text(new_master_key() + "\n", encoding="ascii")
    return settings_from({"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'hotline.db'}",
                          "HOTLINE_SECRET_KEY_FILE": str(key_file)})


def every_sealed_value(url: str) -> List[str]:
    values = []
    with engine_for(url).connect() as connection:
        for table, _, column in sealed_columns(url):
            values += [value for (value,) in connection.execute(sa.text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"))]
    return values


def test_every_sealed_column_of_the_schema_is_rotated(keyed: Settings) -> None:
    store_everything(keyed.database_url, keyed.sealer())
    found = {(table, column) for table, _, column in sealed_columns(keyed.database_url)}
    declared = {(table.name, column.name) for table in Base.metadata.sorted_tables for column in table.columns
                if column.name.endswith("_sealed")}
    assert declared | {("events", "data")} == found


def test_rotation_reseals_everything_while_messages_flow_and_drops_the_old_key(keyed: Settings) -> None:
    url, key_file = keyed.database_url, keyed.secret_key_file
    server = keyed.sealer()  # what a running server holds: it follows the key file
    old = KeyRing.parse(key_file.read_text(encoding="ascii"))
    key, _ = store_everything(url, server)
    before = len(every_sealed_value(url))
    written: List[str] = []
    stop = threading.Event()

    def person_keeps_writing() -> None:
        n = 0
        while not stop.is_set():
            received = inbox.record_inbound(url, server, f"SM{n:032d}", "sms", "+15550104444", "+15550100001", f"still here {n}")
            inbox.complete_turn(url, server, received, [f"we read you {n}"])
            written.append(received.conversation_key)
            n += 1
            stop.wait(0.2)

    writer = threading.Thread(target=person_keeps_writing)
    writer.start()
    try:
        report = rotate(url, key_file, say=lambda _: None)
    finally:
        stop.set()
        writer.join()

    new = KeyRing.parse(key_file.read_text(encoding="ascii"))
    assert len(new.seal) == 1 and new.seal[0] not in old.seal  # only the new key is left
    assert report.passes >= 1 and sum(report.resealed.values()) >= before
    newest, oldest = Sealer(new), Sealer(old)
    values = every_sealed_value(url)
    assert len(values) > before and written  # messages kept coming during the rotation
    for value in values:
        newest.open(value)  # everything opens with the new key...
        with pytest.raises(InvalidToken):
            oldest.open(value)  # ...and nothing with the old one any more
    assert newest.conversation_key("sms", "+15550109876") == Sealer(old).conversation_key("sms", "+15550109876") == key
    assert asyncio.run(tracker_store(url, server).retrieve(key)).latest_message.text == MESSAGE
    assert stat_mode(key_file) == 0o600


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize("content, complaint", [
    ("not-base64-at-all!!", "URL-safe base64"),
    ("c2hvcnQ", "at least 32 bytes"),
    ("conversation-keys AAAA\nseal AAAA", "at least 32 bytes"),
    (f"seal {new_master_key()}", "'conversation-keys'"),
    (f"colour {new_master_key()}", "unknown key name"),
])
def test_a_key_file_that_is_not_a_key_is_refused_naming_the_file(tmp_path: Path, content: str, complaint: str) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_text(content, encoding="ascii")
    settings = settings_from({"HOTLINE_SECRET_KEY_FILE": str(key_file)})
    with pytest.raises(ConfigError) as refused:
        settings.sealer()
    assert "HOTLINE_SECRET_KEY_FILE" in str(refused.value) and complaint in str(refused.value)


def test_the_rotate_command_needs_a_key_file(settings: Settings, capsys: pytest.CaptureFixture) -> None:
    from hotline.cli import main

    assert main(["keys", "rotate"], settings) == 1  # the test settings hold the key in HOTLINE_SECRET_KEY
    assert "HOTLINE_SECRET_KEY_FILE" in capsys.readouterr().err


def test_secrets_init_writes_a_key_apart_and_moves_one_left_beside_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    import hotline.cli as cli

    beside_the_data = tmp_path / "var" / "secret.key"
    beside_the_data.parent.mkdir()
    beside_the_data.write_text(new_master_key() + "\n", encoding="ascii")
    monkeypatch.setattr(cli, "LEGACY_KEY_FILE", beside_the_data)
    apart = tmp_path / "config" / "hotline" / "secret.key"
    kept = beside_the_data.read_text(encoding="ascii")
    assert cli.main(["secrets", "init", "--file", str(apart)], settings) == 0
    assert apart.read_text(encoding="ascii") == kept and not beside_the_data.exists()  # moved, not replaced
    assert stat_mode(apart) == 0o600 and stat_mode(apart.parent) == 0o700
    assert cli.main(["secrets", "init", "--file", str(apart)], settings) == 0
    assert apart.read_text(encoding="ascii") == kept  # an existing key is never overwritten
    fresh = tmp_path / "other" / "secret.key"
    assert cli.main(["secrets", "init", "--file", str(fresh)], settings) == 0
    assert KeyRing.parse(fresh.read_text(encoding="ascii")) != KeyRing.parse(kept) and stat_mode(fresh) == 0o600
