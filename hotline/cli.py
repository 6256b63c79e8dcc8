"""The ``hotline`` command: chat, classify, eval, secrets, database migrations, the Twilio receiver,
console accounts, the audit log and translation models."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, List, Optional

from bot import log_privacy
from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.errors import HotlineError

CLASSIFY_BATCH = 32
# The master key lives apart from the data (var/): a copy of either alone reveals nothing.
DEFAULT_KEY_FILE = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "hotline" / "secret.key"

if TYPE_CHECKING:  # pragma: no cover
    from bot.crypto import Sealer
    from console.accounts import CounselorInfo
    from console.permissions import Rules


def _reports_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A refused account or audit action prints its reason and exits 1 instead of a traceback."""

    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except HotlineError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    return wrapper


def _chat(args: argparse.Namespace) -> int:
    from bot.chat import run_chat

    return run_chat(args.url or args.settings().rasa_url)


def _classify(args: argparse.Namespace) -> int:
    from bot.classify import Classifier, InputLineError, read_messages

    classifier = Classifier(args.model)
    # Piped input is classified in batches (the encoder is faster on many messages at once); a
    # person typing at a terminal gets each answer at once.
    batch_size = 1 if sys.stdin.isatty() else CLASSIFY_BATCH
    pending: List[Any] = []
    failures = 0

    def flush() -> None:
        texts = [item for item in pending if isinstance(item, str)]
        results = iter(classifier.classify_many(texts))
        for item in pending:
            line = {"error": str(item)} if isinstance(item, InputLineError) else next(results)
            print(json.dumps(line, ensure_ascii=False))
        sys.stdout.flush()
        pending.clear()

    for message in read_messages(sys.stdin):
        failures += isinstance(message, InputLineError)
        pending.append(message)
        if len(pending) >= batch_size:
            flush()
    flush()
    return 1 if failures else 0


def _eval(args: argparse.Namespace) -> int:
    from bot.classify import Classifier
    from bot.evaluation import (
        Bars,
        as_table,
        bars_for,
        evaluate,
        language_id_accuracy,
        language_id_table,
        load_floors,
        write_results_section,
    )

    classifier = Classifier(args.model)
    languages = args.languages or list(args.settings().languages)
    results = evaluate(classifier.classify_many, languages, args.data)
    table = as_table(results)
    print(table)
    identification = language_id_accuracy(lambda texts: [r["language"] for r in classifier.classify_many(texts)], args.data)
    identification_table = language_id_table(identification)
    print("\nLanguage identification, messages of 3+ words (eval_data/language_id.yml):")
    print(identification_table)
    if args.write:
        write_results_section(args.write, table)
        write_results_section(args.write, identification_table, mark="<!-- language identification results -->")
    bars = Bars(
        min_danger_recall=args.min_danger_recall,
        max_danger_false_positive_rate=args.max_danger_fpr,
        min_intent_accuracy=args.min_intent_accuracy,
        min_indicator_f1=args.min_indicator_f1,
        min_zero_shot_danger_recall=args.min_zero_shot_recall,
        min_language_id=args.min_language_id,
        min_language_id_all=args.min_language_id_all,
    )
    floors = load_floors(args.floors) if args.floors else {}
    failed = 0
    for scores in results:
        if scores.group.startswith("zero-shot:"):
            continue  # judged as a group
        for failure in bars_for(scores.group, bars, floors).failures(scores):
            failed += 1
            print(f"FAIL {scores.group}: {failure}", file=sys.stderr)
    if identification["all"] < bars.min_language_id_all:
        failed += 1
        print(f"FAIL language identification: {identification['all']:.3f} < {bars.min_language_id_all}", file=sys.stderr)
    return 1 if failed else 0


@_reports_errors
def _db(args: argparse.Namespace) -> int:
    from bot.sealing import seal_legacy_rows
    from bot.storage.db import upgrade

    url = args.settings().database_url
    upgrade(url)
    print("database schema is up to date")
    sealed = seal_legacy_rows(url, _sealer(args))
    if any(sealed.values()):
        print("sealed rows an earlier version stored in clear: " + ", ".join(f"{n} {t}" for t, n in sealed.items() if n))
    return 0


# Where the key used to live, beside the data: moved to the new default on the next `secrets init`.
LEGACY_KEY_FILE = PROJECT_ROOT / "var" / "secret.key"


def _secrets(args: argparse.Namespace) -> int:
    from bot.crypto import new_master_key

    path = Path(args.file).expanduser()
    if path.exists():
        print(f"{path} exists; keeping it (a new key would make stored data unreadable)")
        return 0
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if LEGACY_KEY_FILE.exists() and LEGACY_KEY_FILE.resolve() != path.resolve():
        LEGACY_KEY_FILE.replace(path)
        path.chmod(0o600)
        print(f"moved the master key from {LEGACY_KEY_FILE} (beside the data) to {path}; back the two up apart")
        return 0
    descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(new_master_key() + "\n")
    print(f"wrote a new master key to {path} (keep it secret, and back it up apart from the data; "
          "point HOTLINE_SECRET_KEY_FILE at it)")
    return 0


@_reports_errors
def _keys_rotate(args: argparse.Namespace) -> int:
    from bot.key_rotation import rotate

    settings = args.settings()
    if settings.secret_key_value or settings.secret_key_file is None:
        print("error: rotation rewrites the key file: set HOTLINE_SECRET_KEY_FILE (not HOTLINE_SECRET_KEY)", file=sys.stderr)
        return 1
    rotate(settings.database_url, settings.secret_key_file)
    return 0


@_reports_errors
def _purge(args: argparse.Namespace) -> int:
    from bot.retention import policy_of, purge

    settings = args.settings()
    report = purge(settings.database_url, policy_of(settings))
    rows = ", ".join(f"{count} {table}" for table, count in sorted(report.rows.items())) or "nothing else"
    print(f"purged {report.conversations} conversations past retention ({rows})")
    return 0


@_reports_errors
def _catalogs_status(args: argparse.Namespace) -> int:
    from bot.catalog import Catalogs
    from bot.knowledge.translations import SOURCE_LANGUAGE, review_status_by_language

    settings = args.settings()
    catalogs = Catalogs.load(settings.translations_dir, settings.languages, settings.default_language)
    knowledge = review_status_by_language(settings.knowledge_dir.parent / "languages")
    print("language  reviewed  draft  missing  knowledge base")
    for counts in catalogs.review_counts():
        kb = "source" if counts.language == SOURCE_LANGUAGE else knowledge.get(counts.language, "missing")
        print(f"{counts.language:<8}  {counts.reviewed:>8}  {counts.draft:>5}  {counts.missing:>7}  {kb}")
    print("draft: not yet read by a native speaker; missing: answered from the default language")
    print("knowledge base: bot/knowledge/languages/<lang>.yml (its review_status); English is the source")
    return 0


@_reports_errors
def _translations_install(args: argparse.Namespace) -> int:
    from bot.translation.packages import install

    settings = args.settings()
    pair = install(Path(args.file), settings.translation_models_dir)
    print(f"installed {pair.from_code} -> {pair.to_code}: {pair.name} {pair.version} in {pair.path}")
    print("restart the line's servers to use it; `hotline translations check` tries it now")
    return 0


def _translations_list(args: argparse.Namespace) -> int:
    from bot.translation.packages import installed_pairs

    settings = args.settings()
    pairs = installed_pairs(settings.translation_models_dir)
    print(f"translation models in {settings.translation_models_dir}: {len(pairs)} pair(s)")
    for pair in pairs:
        print(f"{pair.from_code} -> {pair.to_code}  {pair.version:<6}  {pair.name}")
    written = set(settings.languages)
    reachable = {pair.to_code for pair in pairs if pair.from_code == "en"}
    if pairs:
        others = sorted(reachable - written)
        print("answers machine-translated from English into: " + (", ".join(others) if others else "none (every target has a catalog)"))
    return 0


def _translations_check(args: argparse.Namespace) -> int:
    from bot.dialogue.nlg import Notices
    from bot.translation.engine import MachineTranslator
    from bot.translation.probes import check_pairs

    settings = args.settings()
    notices = Notices(settings)

    def probe(key: str, language: str) -> str:
        return notices.text(key, language if language in settings.languages else "en", "US")

    translator = MachineTranslator(settings.translation_models_dir, settings.translation_timeout_s)
    results = check_pairs(translator, probe)
    translator.close()
    for result in results:
        verdict = "ok" if result.ok else (result.problem.value.upper() if result.problem else "?")
        print(f"{result.from_code} -> {result.to_code}  {verdict:<13} {result.probe!r} -> {result.output!r}")
    bad = sorted({(r.from_code, r.to_code) for r in results if not r.ok})
    if not results:
        print(f"no translation models installed in {settings.translation_models_dir}")
    elif bad:
        print(
            "replace these pairs: " + ", ".join(f"{a} -> {b}" for a, b in bad)
            + " (each bad output is refused as it comes; the person then gets the English text)",
            file=sys.stderr,
        )
    return 1 if bad else 0


def _action_token(args: argparse.Namespace) -> int:
    print(args.settings().action_token())
    return 0


def _actions(args: argparse.Namespace) -> int:
    import logging

    from actions.server import serve

    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    serve(args.settings(), args.host, args.port)
    return 0


def _twilio_receiver(args: argparse.Namespace) -> int:
    from channels.twilio_receiver import serve

    serve(args.settings(), args.host, args.port)
    return 0


def _sealer(args: argparse.Namespace) -> "Sealer":

    return args.settings().sealer()


def _rules(args: argparse.Namespace) -> "Rules":
    """The help line's console rules (its own file when ``HOTLINE_CONSOLE_PERMISSIONS`` names one)."""
    from console.permissions import load_rules

    return load_rules(args.settings().console_permissions_file)


def _audit_cli(args: argparse.Namespace, action: str, counselor: "CounselorInfo", **detail: Any) -> None:
    """Every account change made from the command line is audited with actor ``cli``."""
    from bot.audit import record

    record(args.settings().database_url, "cli", action, f"counselor:{counselor.id}",
           {"username": counselor.username, **detail})


@_reports_errors
def _counselor_add(args: argparse.Namespace) -> int:
    from console.accounts import create_counselor

    settings = args.settings()
    languages = args.languages or ",".join(settings.languages)
    counselor, password = create_counselor(
        settings.database_url, _sealer(args), args.username, args.name, args.role, languages, rules=_rules(args)
    )
    _audit_cli(args, "counselor.add", counselor, role=counselor.role, languages=list(counselor.languages))
    print(f"created {counselor.role} {counselor.username!r} (id {counselor.id})")
    print(f"one-time password: {password}  (shown once; it must be changed at first sign-in)")
    return 0


# Account changes that need only the username: what to call in console.accounts, the audit action,
# and what to print afterwards.
ACCOUNT_CHANGES = {
    "disable": ("disable_counselor", "counselor.disable", "disabled {name!r} and signed out its sessions"),
    "reset-2fa": ("reset_second_factor", "counselor.reset_2fa",
                  "reset the second factor of {name!r}: it enrols again at the next sign-in; sessions ended"),
    "enable": ("enable_counselor", "counselor.enable", "enabled {name!r}"),
}


@_reports_errors
def _counselor_change(args: argparse.Namespace) -> int:
    from console import accounts

    function, action, done = ACCOUNT_CHANGES[args.change]
    url = args.settings().database_url
    if args.change == "disable":  # the last account able to manage accounts is kept
        counselor = accounts.disable_counselor(url, args.username, rules=_rules(args))
    else:
        counselor = getattr(accounts, function)(url, args.username)
    _audit_cli(args, action, counselor)
    print(done.format(name=counselor.username))
    return 0


@_reports_errors
def _counselor_reset_password(args: argparse.Namespace) -> int:
    from console.accounts import reset_password

    counselor, password = reset_password(args.settings().database_url, args.username)
    _audit_cli(args, "counselor.reset_password", counselor)
    print(f"new one-time password for {counselor.username!r}: {password}  (shown once; it must be changed at sign-in)")
    return 0


@_reports_errors
def _counselor_list(args: argparse.Namespace) -> int:
    from console.accounts import list_counselors

    counselors = list_counselors(args.settings().database_url)
    if not counselors:
        print("no counselor accounts yet (create the first admin with 'hotline admin init')")
    for c in counselors:
        state = "active" if c.active else "disabled"
        second_factor = "2fa" if c.totp_enrolled else "no-2fa"
        extra = " must-change-password" if c.must_change_password else ""
        print(f"{c.id:>4}  {c.username:<24} {c.role:<11} {','.join(c.languages):<12} {state:<8} {second_factor}{extra}")
    return 0


@_reports_errors
def _admin_init(args: argparse.Namespace) -> int:
    from console.accounts import FIRST_ADMIN_USERNAME, ensure_first_admin, list_counselors

    url = args.settings().database_url
    password = ensure_first_admin(url, _sealer(args), languages=args.settings().languages)
    if password is None:
        print("counselor accounts already exist; nothing to do")
        return 0
    admin = next(c for c in list_counselors(url) if c.username == FIRST_ADMIN_USERNAME)
    _audit_cli(args, "counselor.add", admin, role=admin.role, first_admin=True)
    print(f"First sign-in: user {FIRST_ADMIN_USERNAME}, one-time password {password} (change it at first sign-in)")
    return 0


@_reports_errors
def _audit_verify(args: argparse.Namespace) -> int:
    from bot.audit import verify

    result = verify(args.settings().database_url, expected_head=args.head)
    if not result.ok:
        where = f" at entry {result.first_bad_id}" if result.first_bad_id is not None else ""
        print(f"audit log broken{where}: {result.problem}", file=sys.stderr)
        return 1
    print(f"audit log intact: {result.entries} entries")
    if result.head:
        print(f"head: {result.head} (keep it elsewhere: 'audit verify --head' then detects deleted last entries)")
    return 0


def _console(args: argparse.Namespace) -> int:
    from console.app import serve

    serve(args.settings(), args.host, args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    chat = commands.add_parser("chat", help="talk to the running assistant in the terminal")
    chat.add_argument("--url", help="Rasa server URL (default: HOTLINE_RASA_URL or http://localhost:5005)")
    chat.set_defaults(run=_chat)

    classify = commands.add_parser("classify", help="classify messages from stdin, one JSON object per line")
    classify.add_argument("--model", type=Path, help="trained model (default: models/hotline.tar.gz)")
    classify.set_defaults(run=_classify)

    evaluate = commands.add_parser("eval", help="score the held-out test set per language")
    evaluate.add_argument("--model", type=Path)
    evaluate.add_argument("--data", type=Path, default=PROJECT_ROOT / "eval_data")
    evaluate.add_argument("--languages", nargs="*")
    from bot.evaluation import Bars

    bars = Bars()
    evaluate.add_argument("--min-danger-recall", type=float, default=bars.min_danger_recall)
    evaluate.add_argument("--max-danger-fpr", type=float, default=bars.max_danger_false_positive_rate,
                          help="highest danger false-positive rate allowed on the hard negatives")
    evaluate.add_argument("--min-intent-accuracy", type=float, default=bars.min_intent_accuracy)
    evaluate.add_argument("--min-indicator-f1", type=float, default=bars.min_indicator_f1)
    evaluate.add_argument("--min-zero-shot-recall", type=float, default=bars.min_zero_shot_danger_recall)
    evaluate.add_argument("--min-language-id", type=float, default=bars.min_language_id,
                          help="per trained language, on its own held-out messages of 3+ words")
    evaluate.add_argument("--min-language-id-all", type=float, default=bars.min_language_id_all,
                          help="over every recognised language (eval_data/language_id.yml)")
    evaluate.add_argument("--write", type=Path, help="markdown file whose results section to replace")
    evaluate.add_argument("--floors", type=Path, help="per-language floors where a language is below the bars (YAML)")
    evaluate.set_defaults(run=_eval)

    secrets_ = commands.add_parser("secrets", help="create the master key for conversation keys and encryption")
    secrets_actions = secrets_.add_subparsers(dest="action", required=True)
    init = secrets_actions.add_parser("init", help="write a new master key to --file unless it exists")
    init.add_argument("--file", default=str(DEFAULT_KEY_FILE), help=f"default: {DEFAULT_KEY_FILE} (apart from the data)")
    init.set_defaults(run=_secrets)
    secrets_actions.add_parser(
        "action-token", help="print the action server's shared secret (HOTLINE_ACTION_TOKEN for the Rasa server)"
    ).set_defaults(run=_action_token)

    catalogs = commands.add_parser("catalogs", help="the response catalogs (translations/<lang>.yml)")
    catalogs_actions = catalogs.add_subparsers(dest="action", required=True)
    catalogs_actions.add_parser(
        "status", help="per language: entries reviewed by a native speaker, in draft, and missing"
    ).set_defaults(run=_catalogs_status)

    translations = commands.add_parser("translations", help="offline machine translation models (.argosmodel files)")
    translations_actions = translations.add_subparsers(dest="action", required=True)
    install = translations_actions.add_parser("install", help="check an .argosmodel file and install it (never downloads)")
    install.add_argument("file", help="an Argos Translate package, e.g. translate-en_tl-1_9.argosmodel")
    install.set_defaults(run=_translations_install)
    translations_actions.add_parser("list", help="the installed pairs").set_defaults(run=_translations_list)
    translations_actions.add_parser(
        "check", help="translate fixed texts with every pair; exit 1 if one repeats itself or loses numbers"
    ).set_defaults(run=_translations_check)

    keys = commands.add_parser("keys", help="the master key file")
    keys_actions = keys.add_subparsers(dest="action", required=True)
    keys_actions.add_parser(
        "rotate", help="re-seal every stored record under a new key while the line runs, then drop the old key"
    ).set_defaults(run=_keys_rotate)

    actions = commands.add_parser("actions", help="serve the bot's actions to the Rasa server (shared secret required)")
    actions.add_argument("--host", default="127.0.0.1")
    actions.add_argument("--port", type=int, default=5055)
    actions.add_argument("--debug", action="store_true", help="log at DEBUG level (personal data is still redacted)")
    actions.set_defaults(run=_actions)

    purge = commands.add_parser(
        "purge", help="erase conversations past HOTLINE_RETENTION_DAYS, expired sessions and leftovers (the console runs it daily)"
    )
    purge.set_defaults(run=_purge)

    database = commands.add_parser("db", help="database maintenance")
    database.add_argument("action", choices=["upgrade"])
    database.set_defaults(run=_db)

    receiver = commands.add_parser(
        "twilio-receiver", help="serve the Twilio webhooks: check, store and acknowledge (Rasa runs the turns)"
    )
    receiver.add_argument("--host", default="127.0.0.1")
    receiver.add_argument("--port", type=int, default=5006)
    receiver.set_defaults(run=_twilio_receiver)

    console = commands.add_parser("console", help="serve the counselor console (queue, conversations, administration)")
    console.add_argument("--host", default="127.0.0.1")
    console.add_argument("--port", type=int, default=5007)
    console.set_defaults(run=_console)

    counselor = commands.add_parser("counselor", help="console accounts: add, disable, enable, reset-password, reset-2fa, list")
    counselor_actions = counselor.add_subparsers(dest="action", required=True)
    add = counselor_actions.add_parser("add", help="create an account and print its one-time password once")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="display name shown to colleagues")
    add.add_argument("--role", required=True, help="counselor, supervisor or admin (console/permissions.yml)")
    add.add_argument("--languages", help="ISO 639-1 codes, e.g. en,es (default: HOTLINE_LANGUAGES)")
    add.set_defaults(run=_counselor_add)
    disable = counselor_actions.add_parser("disable", help="disable an account and sign it out everywhere")
    disable.add_argument("username")
    disable.set_defaults(run=_counselor_change, change="disable")
    reset = counselor_actions.add_parser("reset-2fa", help="forget the second factor; the next sign-in enrols again")
    reset.add_argument("username")
    reset.set_defaults(run=_counselor_change, change="reset-2fa")
    enable = counselor_actions.add_parser("enable", help="let a disabled account sign in again")
    enable.add_argument("username")
    enable.set_defaults(run=_counselor_change, change="enable")
    new_password = counselor_actions.add_parser("reset-password", help="a new one-time password; signs the account out")
    new_password.add_argument("username")
    new_password.set_defaults(run=_counselor_reset_password)
    counselor_actions.add_parser("list", help="every account with its role and state").set_defaults(run=_counselor_list)

    admin = commands.add_parser("admin", help="first start of the console")
    admin.add_argument("action", choices=["init"], help="create user 'admin' when there is no account yet")
    admin.set_defaults(run=_admin_init)

    audit = commands.add_parser("audit", help="the hash-chained audit log")
    audit.add_argument("action", choices=["verify"])
    audit.add_argument("--head", help="a head hash printed earlier; fails if it is no longer in the log")
    audit.set_defaults(run=_audit_verify)
    return parser


def main(argv: Optional[List[str]] = None, settings: Optional[Settings] = None) -> int:
    """Run one command. ``settings``: given by tests; otherwise read from the environment when the
    command first needs them (``args.settings()``)."""
    log_privacy.install()
    args = build_parser().parse_args(argv)
    args.settings = (lambda: settings) if settings is not None else load_settings
    return int(args.run(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
