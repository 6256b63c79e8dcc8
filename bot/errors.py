"""The project's exception classes, in one place.

    HotlineError
    ├── ConfigError          a setting is missing or has a bad value (names the setting)
    ├── CatalogError         a response catalog is missing a key or is malformed
    ├── KnowledgeBaseError   a knowledge-base file breaks its schema
    ├── AccountError         a console account cannot be created or changed as asked
    ├── AuditError           an audit entry was refused (its detail is not plain, personal-data-free data)
    ├── InputLineError       a `hotline classify` input line is JSON without a ``text`` string
    ├── DeliveryError        the messaging provider did not accept a message (``final``: retrying cannot help)
    ├── TranslationModelError
    │                        a translation model package cannot be installed (names the file and what is wrong)
    └── ActionServerUnavailable
                             the action server does not answer; the message waits in the inbox

Messages name settings, files and keys; never a person's message text or phone number.
"""


class HotlineError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(HotlineError):
    """A setting is missing or has a value that cannot be used."""


class CatalogError(HotlineError):
    """A response catalog in ``translations/`` is missing a key or is malformed."""


class KnowledgeBaseError(HotlineError):
    """A knowledge-base file in ``bot/knowledge/data/`` breaks its schema."""


class AccountError(HotlineError):
    """A console account cannot be created or changed as asked (names the field, never a password)."""


class AuditError(HotlineError):
    """An audit entry was refused: fields too long, or a detail that is not plain data or looks personal."""


class InputLineError(HotlineError, ValueError):
    """A JSON input line of ``hotline classify`` that has no ``text`` string."""


class DeliveryError(HotlineError):
    """The messaging provider did not accept a message. ``final`` is True when retrying cannot help."""

    def __init__(self, reason: str, final: bool, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final
        self.attempts = attempts


class TranslationModelError(HotlineError):
    """A ``.argosmodel`` file is not a translation package the line can install, or installing it failed."""


class ActionServerUnavailable(HotlineError, RuntimeError):
    """The action server does not answer: a turn now would lose its answer (Rasa drops the events
    of an action that fails), so the message waits in the inbox and is tried again."""
