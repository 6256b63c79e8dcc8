"""Opening hours of the counselor team, per receiving number, with holidays.

Kept as data in ``opening_hours.yml`` (``HOTLINE_OPENING_HOURS_FILE``), checked on load: each
schedule has a time zone, weekly ranges and closed dates. :meth:`Schedule.is_open` answers for a
moment in UTC; :func:`schedule_for` picks a number's schedule or the default one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Dict, FrozenSet, List, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.crypto import normalise_address
from bot.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
DEFAULT = "default"
Minutes = Tuple[int, int]


@dataclass(frozen=True)
class Schedule:
    timezone: str
    weekly: Mapping[int, Tuple[Minutes, ...]]  # weekday (0 = Monday) -> (start, end) minutes of the day
    holidays: FrozenSet[date]

    def is_open(self, at_utc: datetime) -> bool:
        """Whether counselors answer at this moment (naive datetimes are taken as UTC)."""
        moment = at_utc if at_utc.tzinfo else at_utc.replace(tzinfo=timezone.utc)
        local = moment.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.weekly.get(local.weekday(), ()))

    @classmethod
    def always_open(cls) -> "Schedule":
        return cls("UTC", {day: ((0, 24 * 60),) for day in range(7)}, frozenset())


def _minutes(hours: str, minutes: str, where: str) -> int:
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > 24 * 60:
        raise ConfigError(f"{where}: {hours}:{minutes} is not a time of day")
    return value


def _schedule(name: str, entry: Mapping, path: Path) -> Schedule:
    where = f"{path}: schedule {name!r}"
    zone = str((entry or {}).get("timezone") or "")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where} has unknown timezone {zone!r}") from None
    weekly: Dict[int, Tuple[Minutes, ...]] = {}
    for day, ranges in ((entry or {}).get("weekly") or {}).items():
        if day not in DAYS:
            raise ConfigError(f"{where}: unknown day {day!r} (use {', '.join(DAYS)})")
        parsed: List[Minutes] = []
        for text in ranges or []:
            match = RANGE.match(str(text).strip())
            if not match:
                raise ConfigError(f"{where}: {text!r} is not a range like '09:00-17:30'")
            start, end = _minutes(*match.group(1, 2), where), _minutes(*match.group(3, 4), where)
            if end <= start:
                raise ConfigError(f"{where}: {text!r} ends before it starts")
            parsed.append((start, end))
        weekly[DAYS.index(day)] = tuple(parsed)
    holidays = set()
    for text in (entry or {}).get("holidays") or []:
        try:
            holidays.add(date.fromisoformat(str(text)))
        except ValueError:
            raise ConfigError(f"{where}: holiday {text!r} is not a date like 2026-12-25") from None
    return Schedule(zone, weekly, frozenset(holidays))


def load_schedules(path: Path) -> Dict[str, Schedule]:
    """Number (normalised) or ``default`` -> schedule. No file: always open."""
    if not Path(path).exists():
        return {DEFAULT: Schedule.always_open()}
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    schedules = {
        _key(str(name)): _schedule(str(name), entry, Path(path)) for name, entry in (data.get("schedules") or {}).items()
    }
    schedules.setdefault(DEFAULT, Schedule.always_open())
    return schedules


def _key(number: str) -> str:
    return number if number in (DEFAULT, "web") else normalise_address(number)


def schedule_for(schedules: Mapping[str, Schedule], number: Optional[str]) -> Schedule:
    if number:
        found = schedules.get(_key(number))
        if found is not None:
            return found
    return schedules[DEFAULT]


def is_open(schedules: Mapping[str, Schedule], number: Optional[str], at_utc: Optional[datetime] = None) -> bool:
    return schedule_for(schedules, number).is_open(at_utc or datetime.now(timezone.utc))


