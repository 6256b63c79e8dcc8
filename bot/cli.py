"""The ``hotline`` command: chat, classify, eval, secrets, database migrations and the Twilio receiver."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

from bot.config import PROJECT_ROOT, load_settings


def _chat(args: argparse.Namespace) -> int:
    from bot.chat import run_chat

    return run_chat(args.url or load_settings().rasa_url)


def _classify(args: argparse.Namespace) -> int:
    from bot.classify import Classifier, InputLineError, read_messages

    classifier = Classifier(args.model)
    failures = 0
    for message in read_messages(sys.stdin):
        if isinstance(message, InputLineError):
            failures += 1
            print(json.dumps({"error": str(message)}), flush=True)
            continue
        print(json.dumps(classifier.classify(message), ensure_ascii=False), flush=True)
    return 1 if failures else 0


def _eval(args: argparse.Namespace) -> int:
    from bot.classify import Classifier
    from bot.evaluation import as_table, load_set, score, write_results_section

    classifier = Classifier(args.model)
    languages = args.languages or list(load_settings().languages)
    results = [score(language, load_set(language, args.data), classifier.classify) for language in languages]
    table = as_table(results)
    print(table)
    if args.write:
        write_results_section(args.write, table)
    failing = [s for s in results if s.danger_recall < args.min_danger_recall]
    for s in failing:
        print(
            f"FAIL: danger recall {s.danger_recall:.3f} for '{s.language}' is below {args.min_danger_recall} "
            f"({s.danger_missed} emergencies missed)",
            file=sys.stderr,
        )
    return 1 if failing else 0


def _db(args: argparse.Namespace) -> int:
    from bot.storage.db import upgrade

    url = load_settings().database_url
    upgrade(url)
    print("database schema is up to date")
    return 0


def _secrets(args: argparse.Namespace) -> int:
    from bot.crypto import new_master_key

    path = Path(args.file)
    if path.exists():
        print(f"{path} exists; keeping it (a new key would make stored data unreadable)")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(new_master_key() + "\n", encoding="ascii")
    print(f"wrote a new master key to {path} (keep it secret and backed up; point HOTLINE_SECRET_KEY_FILE at it)")
    return 0


def _twilio_receiver(args: argparse.Namespace) -> int:
    from channels.twilio_receiver import serve

    serve(args.host, args.port)
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
    evaluate.add_argument("--min-danger-recall", type=float, default=0.95)
    evaluate.add_argument("--write", type=Path, help="markdown file whose results section to replace")
    evaluate.set_defaults(run=_eval)

    secrets_ = commands.add_parser("secrets", help="create the master key for conversation keys and encryption")
    secrets_.add_argument("action", choices=["init"])
    secrets_.add_argument("--file", default=str(PROJECT_ROOT / "var" / "secret.key"))
    secrets_.set_defaults(run=_secrets)

    database = commands.add_parser("db", help="database maintenance")
    database.add_argument("action", choices=["upgrade"])
    database.set_defaults(run=_db)

    receiver = commands.add_parser(
        "twilio-receiver", help="serve the Twilio webhooks: check, store and acknowledge (Rasa runs the turns)"
    )
    receiver.add_argument("--host", default="127.0.0.1")
    receiver.add_argument("--port", type=int, default=5006)
    receiver.set_defaults(run=_twilio_receiver)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
