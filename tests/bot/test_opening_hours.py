"""Opening hours per receiving number, with holidays and time zones (bot/opening_hours.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.opening_hours import is_open, load_schedules

SCHEDULES = """
schedules:
  default:
    timezone: UTC
    weekly: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"],
             fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
  "+44 7700 900001":
    timezone: Europe/London
    weekly: {mon: ["09:00-12:30", "13:30-17:30"], fri: ["09:00-17:00"]}
    holidays: ["2026-12-25"]
"""


def schedules(tmp_path: Path, text: str = SCHEDULES):
    path = tmp_path / "hours.yml"
    path.write_text(text, encoding="utf-8")
    return load_schedules(path)


def test_a_day_time_team_is_open_in_its_own_time_zone_and_closed_at_lunch_and_at_night(tmp_path: Path) -> None:
    hours = schedules(tmp_path)
    uk = "+447700900001"
    # Monday 30 Nov 2026; London is on UTC in winter; in June it is UTC+1
    assert is_open(hours, uk, datetime(2026, 11, 30, 9, 30))
    assert not is_open(hours, uk, datetime(2026, 11, 30, 13, 0))
    assert not is_open(hours, uk, datetime(2026, 11, 30, 18, 0))
    assert not is_open(hours, uk, datetime(2026, 12, 1, 10, 0))  # Tuesday: not listed, closed
    assert is_open(hours, uk, datetime(2026, 6, 1, 16, 0))  # 17:00 in London
    assert not is_open(hours, uk, datetime(2026, 6, 1, 16, 45))  # 17:45 in London


def test_holidays_are_closed_and_other_numbers_and_the_web_chat_use_the_default(tmp_path: Path) -> None:
    hours = schedules(tmp_path)
    assert not is_open(hours, "+447700900001", datetime(2026, 12, 25, 10, 0))  # a Friday, but Christmas
    assert is_open(hours, "+15550100001", datetime(2026, 12, 25, 3, 0))
    assert is_open(hours, "web", datetime(2026, 12, 25, 3, 0))
    assert is_open(hours, None, datetime(2026, 12, 25, 3, 0))


def test_the_shipped_file_loads_and_no_file_means_always_open(tmp_path: Path, project_root: Path) -> None:
    assert is_open(load_schedules(project_root / "opening_hours.yml"), "web", datetime(2026, 11, 28, 3, 0))
    assert is_open(load_schedules(tmp_path / "missing.yml"), "+15550100001", datetime(2026, 11, 28, 3, 0))


@pytest.mark.parametrize(
    "schedule, named",
    [
        ('"x": {timezone: Mars/Olympus, weekly: {}}', "Mars/Olympus"),
        ('"x": {timezone: UTC, weekly: {monday: ["09:00-17:00"]}}', "monday"),
        ('"x": {timezone: UTC, weekly: {mon: ["9-5"]}}', "9-5"),
        ('"x": {timezone: UTC, weekly: {mon: ["17:00-09:00"]}}', "17:00-09:00"),
        ('"x": {timezone: UTC, holidays: ["25/12/2026"]}', "25/12/2026"),
    ],
)
def test_a_broken_schedule_is_refused_with_what_is_wrong(tmp_path: Path, schedule: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("/", ".").replace("-", ".")):
        schedules(tmp_path, "schedules:\n  " + schedule + "\n")
