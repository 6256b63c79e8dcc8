"""Who may do what in the counselor console: roles and rules as data, checked once at load.

The rules live in ``permissions.yml`` next to this module (one file per help line). Each
:class:`Permission` has a list of grants; ANY grant allows the action and EVERY condition inside
a grant must hold. :func:`allowed` denies unless a grant matches, and a condition whose fact is
unknown (``None``) does not hold. :func:`load_rules` rejects an unknown permission, role or
condition, and a permission without a rule, with a :class:`~bot.errors.ConfigError` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Tuple

import yaml

from bot.errors import ConfigError

RULES_FILE = Path(__file__).resolve().parent / "permissions.yml"


class Permission(str, Enum):
    """The console's actions, one name each; routes and buttons name one of these."""

    VIEW_QUEUE = "view_queue"
    CLAIM = "claim"
    VIEW_OWN_CONVERSATION = "view_own_conversation"
    VIEW_ANY_CONVERSATION = "view_any_conversation"
    REPLY = "reply"
    ADD_NOTE = "add_note"
    TRANSFER = "transfer"
    RETURN_TO_BOT = "return_to_bot"
    CLOSE = "close"
    ERASE_CONVERSATION = "erase_conversation"  # at the person's request, from every store
    REASSIGN = "reassign"
    VIEW_SUPERVISION = "view_supervision"  # waits in the queue and each counselor's load
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_OPENING_HOURS = "manage_opening_hours"
    MANAGE_SETTINGS = "manage_settings"
    VERIFY_AUDIT = "verify_audit"


@dataclass(frozen=True)
class Condition:
    """One condition of a grant: the fact named ``fact`` must be one of ``accepted``."""

    fact: str
    accepted: FrozenSet[Any]

    def holds(self, facts: Mapping[str, Any]) -> bool:
        value = facts.get(self.fact)
        return value is not None and value in self.accepted


Grant = Tuple[Condition, ...]


@dataclass(frozen=True)
class Rules:
    """The roles of a help line and, for every permission, the grants that allow it."""

    roles: FrozenSet[str]
    grants: Mapping[Permission, Tuple[Grant, ...]]


def allowed(
    rules: Rules, permission: Permission, role: Optional[str], *, assigned_to_me: Optional[bool] = None
) -> bool:
    """Whether an account with ``role`` may do ``permission``; denied unless a grant matches."""
    facts = {"role": role, "assigned_to_me": assigned_to_me}
    return any(all(condition.holds(facts) for condition in grant) for grant in rules.grants.get(permission, ()))


def load_rules(path: Optional[Path] = None) -> Rules:
    """Read and check a rules file: the help line's own (``HOTLINE_CONSOLE_PERMISSIONS``, as
    ``Settings.console_permissions_file``), or by default ``permissions.yml`` beside this module."""
    path = Path(path or RULES_FILE)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"permission rules {str(path)!r} cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"permission rules {str(path)!r} are not valid YAML ({error})") from None
    return parse_rules(data, source=str(path))


def parse_rules(data: Any, source: str = "permission rules") -> Rules:
    """Check already-parsed rules data; every problem names the key it is about."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a mapping with 'roles' and 'permissions'")
    unknown_keys = sorted(set(data) - {"roles", "permissions"})
    if unknown_keys:
        raise ConfigError(f"{source}: unknown top-level key {unknown_keys[0]!r}")
    roles = _parse_roles(data.get("roles"), source)
    permissions = data.get("permissions")
    if not isinstance(permissions, dict):
        raise ConfigError(f"{source}: 'permissions' must map each permission to a list of grants")

    known = {permission.value: permission for permission in Permission}
    grants: Dict[Permission, Tuple[Grant, ...]] = {}
    for name, raw_grants in permissions.items():
        if name not in known:
            raise ConfigError(f"{source}: unknown permission {name!r} (known: {', '.join(sorted(known))})")
        grants[known[name]] = _parse_grants(raw_grants, roles, f"{source}: permissions.{name}")
    missing = [permission.value for permission in Permission if permission not in grants]
    if missing:
        raise ConfigError(f"{source}: no rule for permission {missing[0]!r} (every permission needs one)")
    return Rules(roles=roles, grants=MappingProxyType(grants))


def _parse_roles(raw: Any, source: str) -> FrozenSet[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(role, str) and role for role in raw):
        raise ConfigError(f"{source}: 'roles' must be a non-empty list of role names")
    return frozenset(raw)


def _parse_grants(raw: Any, roles: FrozenSet[str], where: str) -> Tuple[Grant, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: must be a list of grants (an empty list allows nobody)")
    return tuple(_parse_grant(grant, roles, f"{where} grant {number}") for number, grant in enumerate(raw, 1))


def _parse_grant(raw: Any, roles: FrozenSet[str], where: str) -> Grant:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: must be a non-empty list of conditions (an empty one would allow anyone)")
    conditions: List[Condition] = []
    for item in raw:
        if not isinstance(item, dict) or not item:
            raise ConfigError(f"{where}: each condition must be a mapping like {{role: counselor}}")
        for fact, value in item.items():
            parser = _CONDITIONS.get(fact)
            if parser is None:
                raise ConfigError(f"{where}: unknown condition {fact!r} (known: {', '.join(sorted(_CONDITIONS))})")
            conditions.append(Condition(fact, parser(value, roles, f"{where}: {fact}")))
    return tuple(conditions)


def _role_values(value: Any, roles: FrozenSet[str], where: str) -> FrozenSet[Any]:
    names: List[Any] = value if isinstance(value, list) else [value]
    if not names:
        raise ConfigError(f"{where}: names no role")
    for name in names:
        if name not in roles:
            raise ConfigError(f"{where}: unknown role {name!r} (roles: {', '.join(sorted(roles))})")
    return frozenset(names)


def _bool_values(value: Any, _roles: FrozenSet[str], where: str) -> FrozenSet[Any]:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: must be true or false, got {value!r}")
    return frozenset([value])


_ConditionParser = Callable[[Any, FrozenSet[str], str], FrozenSet[Any]]
_CONDITIONS: Mapping[str, _ConditionParser] = MappingProxyType(
    {"role": _role_values, "assigned_to_me": _bool_values}
)

__all__ = ["Permission", "Rules", "Condition", "Grant", "RULES_FILE", "allowed", "load_rules", "parse_rules"]
