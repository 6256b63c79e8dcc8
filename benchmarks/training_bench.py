"""Training time as the data grows: the NLU training data copied k times (each copy told apart so
every example is really encoded and learnt), ``rasa train nlu`` timed on this machine.

19 languages of data about as large as English and Spanish today are 9.5 copies. Writes the curve
(examples vs minutes) to ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

import yaml

from bot.config import PROJECT_ROOT
from bot.evaluation import write_results_section

MARK = "<!-- training results -->"


def copied_data(target: Path, copies: float) -> int:
    """Write ``nlu_data`` ``copies`` times over into ``target``; the number of examples written."""
    whole, part = int(copies), copies - int(copies)
    written = 0
    for source in sorted((PROJECT_ROOT / "nlu_data").glob("*/*.yml")):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        for copy in range(whole + (1 if part else 0)):
            blocks = []
            for block in data.get("nlu") or []:
                examples = block.get("examples")
                if not isinstance(examples, list):
                    continue
                if copy == whole:  # the fraction of a copy
                    examples = examples[: int(len(examples) * part)]
                # A copy number at the end makes each copy a distinct example (and a distinct embedding).
                renamed = [dict(example, text=f"{example['text'].strip()} {copy}" if copy else example["text"]) for example in examples]
                written += len(renamed)
                blocks.append({**block, "examples": renamed})
            out = target / f"{source.parent.name}-{source.stem}-{copy}.yml"
            out.write_text(yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True), encoding="utf-8")
    return written


def time_training(copies: float) -> Tuple[int, float]:
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "nlu"
        data.mkdir()
        examples = copied_data(data, copies)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "rasa", "train", "nlu", "--nlu", str(data), "--config", str(PROJECT_ROOT / "config.yml"),
             "--out", scratch, "--fixed-model-name", "bench", "--quiet"],
            check=True, cwd=scratch, env={**os.environ, "PYTHONWARNINGS": "ignore"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return examples, (time.perf_counter() - started) / 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=float, nargs="*", default=[1, 2, 4, 9.5])
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    rows: List[str] = []
    for copies in args.copies:
        examples, minutes = time_training(copies)
        rows.append(f"| {copies:g} | {examples} | {minutes:.1f} |")
        print(rows[-1], flush=True)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    table = "\n".join(
        [f"Measured {when} on {os.cpu_count()} CPUs: `rasa train nlu` with the training data copied k times (19 languages of today's size are 9.5 copies).", "",
         "| copies | examples | minutes |", "|---|---|---|", *rows]
    )
    write_results_section(args.output, table, mark=MARK)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
