"""``make bench``: classify throughput and REST round-trip latency, against stock Rasa in the same run.

Measures, on this machine and in one run:
* ``hotline classify`` throughput (messages/s after loading), over the held-out messages;
* REST round-trip p50/p95 of the project's servers (Rasa + action server + SQLite tracker store)
  and of a stock ``rasa init`` assistant, both sent the same messages, one request at a time.
Results replace the measured section of ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List

from bot.chat import send
from bot.classify import DEFAULT_MODEL, Classifier
from bot.config import PROJECT_ROOT
from bot.evaluation import load_set, write_results_section
from testsupport.servers import hotline_servers, stock_rasa_server


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def messages() -> List[str]:
    return [example["text"] for language in ("en", "es") for example in load_set(language)]


def classify_throughput(texts: List[str]) -> Dict[str, float]:
    """Messages/s one at a time (as a conversation turn parses) and in batches of 32 (as
    ``hotline classify`` reads piped input), after loading."""
    from hotline.cli import CLASSIFY_BATCH

    started = time.perf_counter()
    classifier = Classifier(DEFAULT_MODEL)
    classifier.classify("warm up")
    loaded = time.perf_counter()
    for text in texts:
        classifier.classify(text)
    single = time.perf_counter()
    for start in range(0, len(texts), CLASSIFY_BATCH):
        classifier.classify_many(texts[start : start + CLASSIFY_BATCH])
    batched = time.perf_counter()
    return {
        "load_s": loaded - started,
        "messages": len(texts),
        "per_second": len(texts) / (single - loaded),
        "batched_per_second": len(texts) / (batched - single),
    }


def encoder_latency(texts: List[str]) -> Dict[str, float]:
    """What the sentence encoder alone adds to a turn: one message at a time, as in a turn."""
    from bot.nlu import encoder

    encoder.embed(["warm up"])
    latencies = []
    for text in texts:
        started = time.perf_counter()
        encoder.embed([text])
        latencies.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": percentile(latencies, 0.50), "p95_ms": percentile(latencies, 0.95)}


def round_trips(url: str, texts: List[str], turns_per_conversation: int = 5) -> Dict[str, float]:
    latencies: List[float] = []
    sender = ""
    for index, text in enumerate(texts):
        if index % turns_per_conversation == 0:
            sender = "bench-" + uuid.uuid4().hex
        started = time.perf_counter()
        send(url, sender, text)
        latencies.append((time.perf_counter() - started) * 1000)
    return {
        "requests": len(latencies),
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "mean_ms": statistics.mean(latencies),
    }


def render(classify: Dict[str, float], encoding: Dict[str, float], ours: Dict[str, float], stock: Dict[str, float]) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            f"Measured {when} on {platform.machine()} with {os.cpu_count()} CPUs, Python {platform.python_version()}.",
            "",
            "### `hotline classify` throughput (in-process, after loading)",
            "",
            "| messages | model load (s) | messages/s, one at a time | messages/s, batches of 32 |",
            "|---|---|---|---|",
            f"| {classify['messages']} | {classify['load_s']:.1f} | {classify['per_second']:.1f} | {classify['batched_per_second']:.1f} |",
            "",
            "### The sentence encoder alone, one message at a time (what it adds to a turn)",
            "",
            "| p50 (ms) | p95 (ms) |",
            "|---|---|",
            f"| {encoding['p50_ms']:.1f} | {encoding['p95_ms']:.1f} |",
            "",
            "### REST round trip, one request at a time (same messages to both)",
            "",
            "| assistant | requests | p50 (ms) | p95 (ms) | mean (ms) |",
            "|---|---|---|---|---|",
            *(
                f"| {name} | {row['requests']} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['mean_ms']:.1f} |"
                for name, row in (
                    ("this help line (Rasa + actions + SQLite tracker store)", ours),
                    ("stock `rasa init` assistant (in-memory tracker store)", stock),
                )
            ),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    texts = messages()
    sample = (texts * (args.requests // len(texts) + 1))[: args.requests]

    classify = classify_throughput(texts)
    encoding = encoder_latency(texts)
    with tempfile.TemporaryDirectory() as scratch:
        with hotline_servers(Path(scratch) / "hotline", DEFAULT_MODEL) as servers:
            send(servers.url, "warm-up", "hello")
            ours = round_trips(servers.url, sample)
        stock_dir = PROJECT_ROOT / "var" / "bench" / "stock-rasa"
        with stock_rasa_server(stock_dir) as stock_url:
            send(stock_url, "warm-up", "hello")
            stock = round_trips(stock_url, sample)
    section = render(classify, encoding, ours, stock)
    print(section)
    write_results_section(args.output, section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
