"""Settings read once from the environment (bot/config.py): the queue's wait targets."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_WAIT_TARGETS_S, settings_from
from bot.errors import ConfigError


def test_wait_targets_are_five_minutes_danger_first_or_the_defaults() -> None:
    assert settings_from({}).wait_targets_s == DEFAULT_WAIT_TARGETS_S == (120, 300, 900, 1800, 3600)
    assert settings_from({"HOTLINE_WAIT_TARGETS": "1, 3,10,20,45"}).wait_targets_s == (60, 180, 600, 1200, 2700)
    assert settings_from({"HOTLINE_LONG_WAIT": "45"}).long_wait_s == 2700


@pytest.mark.parametrize("value", ["1,2,3", "1,2,3,4,x", "0,5,15,30,60", "-1,5,15,30,60"])
def test_a_bad_wait_target_names_the_setting(value: str) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_WAIT_TARGETS"):
        settings_from({"HOTLINE_WAIT_TARGETS": value})
