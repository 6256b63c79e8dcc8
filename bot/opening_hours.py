"""Opening hours of the counselor team, per receiving number, with holidays.

Kept as data: ``opening_hours.yml`` (``HOTLINE_OPENING_HOURS_FILE``) until an admin saves a new
version in the console (kept in the database, every version; the newest applies). Checked on
load: each schedule has a time zone, weekly ranges and closed dates. :meth:`Schedule.is_open` answers for a
moment in UTC; :func:`schedule_for` picks a number's schedule or the default one.
"""

from __future__ import annotations

import re
import time
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
    if not isinstance(entry, dict) or not isinstance(entry.get("weekly") or {}, dict) or not isinstance(entry.get("holidays") or [], list):
        raise ConfigError(f"{where} must have timezone, weekly (day: ranges) and holidays (a list)")
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
            start, end = _minutes(match.group(1), match.group(2), where), _minutes(match.group(3), match.group(4), where)
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


def parse_schedules(text: str, source: str) -> Dict[str, Schedule]:
    """Number (normalised), ``web`` or ``default`` -> schedule, from YAML text; a ConfigError
    naming what is wrong otherwise. Without a ``default`` schedule the line is always open."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{source} is not valid YAML ({error.__class__.__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("schedules") or {}, dict):
        raise ConfigError(f"{source} must have a 'schedules:' mapping")
    schedules = {
        _key(str(name)): _schedule(str(name), entry, Path(source)) for name, entry in (data.get("schedules") or {}).items()
    }
    schedules.setdefault(DEFAULT, Schedule.always_open())
    return schedules


def load_schedules(path: Path) -> Dict[str, Schedule]:
    """The schedules of a file. No file: always open."""
    if not Path(path).exists():
        return {DEFAULT: Schedule.always_open()}
    return parse_schedules(Path(path).read_text(encoding="utf-8"), str(path))


def current_text(database_url: str, default_file: Path) -> str:
    """The opening hours in force as YAML: the newest version saved in the console, else the file."""
    from sqlalchemy import select

    from bot.storage.db import new_session
    from bot.storage.models import OpeningHoursVersion

    with new_session(database_url) as session:
        saved = session.execute(
            select(OpeningHoursVersion.text).order_by(OpeningHoursVersion.id.desc()).limit(1)
        ).scalar_one_or_none()
    if saved is not None:
        return saved
    return Path(default_file).read_text(encoding="utf-8") if Path(default_file).exists() else ""


def save_schedules(database_url: str, text: str, counselor_id: Optional[int]) -> Dict[str, Schedule]:
    """Check and keep a new version (it applies everywhere within ``CACHE_SECONDS``); ConfigError if wrong."""
    from bot.storage.db import new_session
    from bot.storage.models import OpeningHoursVersion

    schedules = parse_schedules(text, "the opening hours")
    with new_session(database_url) as session:
        session.add(OpeningHoursVersion(text=text, counselor_id=counselor_id))
        session.commit()
    _cache.clear()
    return schedules


CACHE_SECONDS = 30.0
_cache: Dict[Tuple[str, str], Tuple[float, Dict[str, Schedule]]] = {}


def current_schedules(database_url: str, default_file: Path) -> Dict[str, Schedule]:
    """The schedules in force, read again at most every ``CACHE_SECONDS`` (cheap to call per message)."""
    key = (database_url, str(default_file))
    cached = _cache.get(key)
    if cached is None or time.monotonic() - cached[0] > CACHE_SECONDS:
        text = current_text(database_url, default_file)
        schedules = parse_schedules(text, "the opening hours") if text.strip() else {DEFAULT: Schedule.always_open()}
        cached = _cache[key] = (time.monotonic(), schedules)
    return cached[1]


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


