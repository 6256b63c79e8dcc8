"""The one configuration loader: every setting, its type, its default and its check.

Settings come from environment variables (``HOTLINE_*``). Call :func:`load_settings`; nothing is
read at import time. A bad value raises :class:`~bot.errors.ConfigError` naming the variable.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Optional, Tuple

from bot.errors import ConfigError
from bot.knowledge import jurisdiction_codes

if TYPE_CHECKING:  # pragma: no cover
    from bot.crypto import KeyRing, Sealer

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# Danger 2 min, a child or a concern 5, signs of exploitation 15, asked for a person 30, other 60.
DEFAULT_WAIT_TARGETS_S: Tuple[int, ...] = (120, 300, 900, 1800, 3600)


@dataclass(frozen=True)
class Settings:
    """Typed, validated settings of one running process."""

    database_url: str
    languages: Tuple[str, ...]
    default_language: str
    default_jurisdiction: Optional[str]
    translations_dir: Path
    knowledge_dir: Path
    handoff_notice_interval_s: int
    rasa_url: str
    secret_key_value: Optional[str]
    secret_key_file: Optional[Path]
    public_url: Optional[str]
    twilio_account_sid: Optional[str]
    twilio_auth_token: Optional[str]
    twilio_api_url: str
    numbers_file: Path
    max_message_chars: int
    quick_exit_url: str
    webchat_frame_ancestors: str
    opening_hours_file: Path
    silence_close_s: int
    routing_grace_s: int
    console_idle_timeout_s: int
    console_permissions_file: Optional[Path] = None  # the help line's own rules; default: the packaged ones
    action_token_value: Optional[str] = None  # HOTLINE_ACTION_TOKEN; default: derived from the master key
    retention_days: int = 30
    console_max_session_s: int = 12 * 3600
    client_address_header: Optional[str] = None  # set by the reverse proxy, e.g. X-Real-IP
    retention_unfinished_days: int = 90
    # how long each priority (1 = danger ... 5) should wait at most, in seconds: the console
    # colours a wait past its target
    wait_targets_s: Tuple[int, ...] = DEFAULT_WAIT_TARGETS_S
    # a person told a longer estimated wait also hears the other ways to get help
    long_wait_s: int = 30 * 60
    # Offline machine translation (bot/translation): where installed .argosmodel packages live, and
    # how long one message may take before the line goes on without its translation.
    translation_models_dir: Path = PROJECT_ROOT / "var" / "translation-models"
    translation_timeout_s: int = 10

    def __repr__(self) -> str:  # secrets never print
        return f"Settings(database_url=<hidden>, languages={self.languages!r}, public_url={self.public_url!r})"

    def key_ring(self) -> "KeyRing":
        """The line's keys (addresses, fingerprints, the action server, sealing); an error naming
        the setting if absent. Read only when needed: training or classifying needs no key."""
        ring = _key_ring(self.secret_key_value, self.secret_key_file)
        if ring is None:
            raise ConfigError(
                "HOTLINE_SECRET_KEY (or HOTLINE_SECRET_KEY_FILE) is not set: it keys the conversation "
                "HMACs and encrypts stored messages; create one with 'hotline secrets init'"
            )
        return ring

    def sealer(self) -> "Sealer":
        """The :class:`~bot.crypto.Sealer` of this line (one per process and key; from a key file,
        it follows a rotation of the file)."""
        return _sealer(self.secret_key_value, self.secret_key_file)

    def action_token(self) -> str:
        """The shared secret between the Rasa server and the action server (``endpoints.yml``
        sends it as ``HOTLINE_ACTION_TOKEN``): that setting, or else the key file's."""
        if self.action_token_value:
            return self.action_token_value
        from bot.crypto import action_token_of

        return action_token_of(self.key_ring())


def _wait_targets(environ: Mapping[str, str]) -> Tuple[int, ...]:
    """HOTLINE_WAIT_TARGETS: five whole minutes, for priorities 1 (danger) to 5, e.g. "2,5,15,30,60"."""
    raw = _env(environ, "HOTLINE_WAIT_TARGETS", "")
    if not raw:
        return DEFAULT_WAIT_TARGETS_S
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) != 5 or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise ConfigError(f"HOTLINE_WAIT_TARGETS must be five whole minutes above 0 (danger first), e.g. '2,5,15,30,60'; got {raw!r}")
    return tuple(int(part) * 60 for part in parts)


def _env(environ: Mapping[str, str], key: str, default: str) -> str:
    value = environ.get(key, "").strip()
    return value or default


def _positive_int(environ: Mapping[str, str], key: str, default: int, unit: str = "seconds") -> int:
    raw = _env(environ, key, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a whole number of {unit}, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{key} must not be negative, got {value}")
    return value


def _key_ring(raw: Optional[str], key_file: Optional[Path]) -> Optional["KeyRing"]:
    from bot.crypto import KeyRing

    raw = (raw or "").strip()
    where = "HOTLINE_SECRET_KEY"
    if not raw and key_file:
        where = f"HOTLINE_SECRET_KEY_FILE={str(key_file)!r}"
        try:
            raw = Path(key_file).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not ASCII"
            raise ConfigError(f"{where} cannot be read ({reason})") from None
    if not raw:
        return None
    try:
        return KeyRing.parse(raw)
    except ValueError as error:
        raise ConfigError(f"{where}: {error} (as 'hotline secrets init' writes)") from None


@functools.lru_cache(maxsize=8)
def _sealer(raw: Optional[str], key_file: Optional[Path]) -> "Sealer":
    from bot.crypto import Sealer

    ring = _key_ring(raw, key_file)
    if ring is None:
        raise ConfigError(
            "HOTLINE_SECRET_KEY (or HOTLINE_SECRET_KEY_FILE) is not set: it keys the conversation "
            "HMACs and encrypts stored messages; create one with 'hotline secrets init'"
        )
    return Sealer(ring, source=None if (raw or "").strip() else key_file)


def shipped_languages(translations_dir: Path) -> Tuple[str, ...]:
    """Every language with a response catalog, English first, then in ``bot/languages.yml``'s
    order: what the bot writes in unless ``HOTLINE_LANGUAGES`` says otherwise."""
    from bot.language import recognised_languages

    present = {path.stem for path in Path(translations_dir).glob("*.yml")}
    order = ("en", *recognised_languages())
    return tuple(dict.fromkeys(code for code in order if code in present)) + tuple(sorted(present - set(order)))


def settings_from(environ: Mapping[str, str]) -> Settings:
    """Build and check settings from a mapping of environment variables."""
    data_dir = Path(_env(environ, "HOTLINE_DATA_DIR", str(PROJECT_ROOT / "var")))
    database_url = _env(environ, "HOTLINE_DATABASE_URL", f"sqlite:///{data_dir / 'hotline.db'}")

    translations_dir = Path(_env(environ, "HOTLINE_TRANSLATIONS_DIR", str(PROJECT_ROOT / "translations")))
    languages = tuple(
        code.strip().lower()
        for code in _env(environ, "HOTLINE_LANGUAGES", ",".join(shipped_languages(translations_dir))).split(",")
        if code.strip()
    )
    if not languages or any(len(code) != 2 or not code.isalpha() for code in languages):
        raise ConfigError(f"HOTLINE_LANGUAGES must list ISO 639-1 codes like 'en,es', got {languages!r}")
    default_language = _env(environ, "HOTLINE_DEFAULT_LANGUAGE", languages[0]).lower()
    if default_language not in languages:
        raise ConfigError(
            f"HOTLINE_DEFAULT_LANGUAGE={default_language!r} is not one of HOTLINE_LANGUAGES {languages!r}"
        )

    knowledge_dir = Path(_env(environ, "HOTLINE_KNOWLEDGE_DIR", str(PROJECT_ROOT / "bot" / "knowledge" / "data")))
    jurisdiction = _env(environ, "HOTLINE_DEFAULT_JURISDICTION", "").upper() or None
    if jurisdiction is not None and jurisdiction not in jurisdiction_codes(knowledge_dir):
        raise ConfigError(
            f"HOTLINE_DEFAULT_JURISDICTION must be one of {jurisdiction_codes(knowledge_dir)} or empty, got {jurisdiction!r}"
        )

    return Settings(
        database_url=database_url,
        languages=languages,
        default_language=default_language,
        default_jurisdiction=jurisdiction,
        translations_dir=translations_dir,
        knowledge_dir=knowledge_dir,
        handoff_notice_interval_s=_positive_int(environ, "HOTLINE_HANDOFF_NOTICE_INTERVAL", 300),
        rasa_url=_env(environ, "HOTLINE_RASA_URL", "http://localhost:5005").rstrip("/"),
        secret_key_value=environ.get("HOTLINE_SECRET_KEY", "").strip() or None,
        secret_key_file=Path(environ["HOTLINE_SECRET_KEY_FILE"]) if environ.get("HOTLINE_SECRET_KEY_FILE", "").strip() else None,
        public_url=(_env(environ, "HOTLINE_PUBLIC_URL", "").rstrip("/") or None),
        twilio_account_sid=environ.get("TWILIO_ACCOUNT_SID", "").strip() or None,
        twilio_auth_token=environ.get("TWILIO_AUTH_TOKEN", "").strip() or None,
        twilio_api_url=_env(environ, "HOTLINE_TWILIO_API_URL", "https://api.twilio.com").rstrip("/"),
        numbers_file=Path(_env(environ, "HOTLINE_NUMBERS_FILE", str(PROJECT_ROOT / "hotline_numbers.yml"))),
        max_message_chars=_positive_int(environ, "HOTLINE_MAX_MESSAGE_CHARS", 1600),
        quick_exit_url=_env(environ, "HOTLINE_QUICK_EXIT_URL", "https://www.google.com/search?q=weather+today"),
        webchat_frame_ancestors=_env(environ, "HOTLINE_WEBCHAT_FRAME_ANCESTORS", "'self'"),
        opening_hours_file=Path(_env(environ, "HOTLINE_OPENING_HOURS_FILE", str(PROJECT_ROOT / "opening_hours.yml"))),
        # The US national hotline closes a conversation after 15 minutes without an answer.
        silence_close_s=_positive_int(environ, "HOTLINE_SILENCE_CLOSE", 15 * 60),
        routing_grace_s=_positive_int(environ, "HOTLINE_ROUTING_GRACE", 120),
        console_idle_timeout_s=_positive_int(environ, "HOTLINE_CONSOLE_IDLE_TIMEOUT", 30 * 60),
        console_permissions_file=Path(environ["HOTLINE_CONSOLE_PERMISSIONS"]) if environ.get("HOTLINE_CONSOLE_PERMISSIONS") else None,
        action_token_value=environ.get("HOTLINE_ACTION_TOKEN", "").strip() or None,
        console_max_session_s=_positive_int(environ, "HOTLINE_CONSOLE_MAX_SESSION", 12 * 3600),
        client_address_header=environ.get("HOTLINE_CLIENT_ADDRESS_HEADER", "").strip() or None,
        retention_days=_positive_int(environ, "HOTLINE_RETENTION_DAYS", 30, unit="days"),
        retention_unfinished_days=_positive_int(environ, "HOTLINE_RETENTION_UNFINISHED_DAYS", 90, unit="days"),
        wait_targets_s=_wait_targets(environ),
        long_wait_s=_positive_int(environ, "HOTLINE_LONG_WAIT", 30, unit="minutes") * 60,
        translation_models_dir=Path(_env(environ, "HOTLINE_TRANSLATION_MODELS", str(data_dir / "translation-models"))),
        translation_timeout_s=max(1, _positive_int(environ, "HOTLINE_TRANSLATION_TIMEOUT", 10)),
    )


@functools.lru_cache(maxsize=1)
def load_settings() -> Settings:
    """Settings of this process, read once from the environment."""
    return settings_from(os.environ)


class LazySettings:
    """For what Rasa builds without arguments (actions, channels): settings passed in (tests), or
    else read from the environment on first use, never at import."""

    def __init__(self, settings: Optional[Settings] = None) -> None:
        super().__init__()
        self._settings = settings

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings
