"""The evaluation's bars and the docs sections it rewrites."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.evaluation import ZERO_SHOT, Bars, Scores, write_results_section

PASSING = Scores(
    group="en", messages=150, intent_accuracy=0.95, intent_macro_f1=0.95, danger_recall=1.0, danger_missed=0,
    hard_negatives=60, danger_false_positive_rate=0.05, concern_rate=0.1, indicator_micro_f1=0.85,
    language_id_messages=150, language_id_accuracy=1.0,
)


def test_a_trained_language_fails_on_any_bar_it_misses_and_the_zero_shot_group_only_on_recall() -> None:
    bars = Bars()
    assert bars.failures(PASSING) == []
    missed = replace(PASSING, danger_recall=0.96, danger_missed=1, danger_false_positive_rate=0.2)
    failures = bars.failures(missed)
    assert len(failures) == 2 and "1 missed" in failures[0] and "false-positive" in failures[1]
    zero_shot = replace(PASSING, group=ZERO_SHOT, intent_accuracy=0.5, indicator_micro_f1=0.1, danger_false_positive_rate=0.3)
    assert bars.failures(zero_shot) == []
    assert bars.failures(replace(zero_shot, danger_recall=0.85, danger_missed=3)) != []


def test_results_sections_are_replaced_and_the_prose_and_headings_around_them_kept(tmp_path: Path) -> None:
    doc = tmp_path / "evaluation.md"
    doc.write_text("# Evaluation\n\nprose\n\n<!-- feature comparison results -->\nold\n\n## Results\n\n<!-- results -->\nold\n",
                   encoding="utf-8")
    write_results_section(doc, "FEATURES", mark="<!-- feature comparison results -->")
    write_results_section(doc, "TABLE")
    write_results_section(doc, "LANGUAGES", mark="<!-- language identification results -->")
    write_results_section(doc, "TABLE 2")
    text = doc.read_text(encoding="utf-8")
    assert "old" not in text and "prose" in text and "## Results" in text
    assert text.index("FEATURES") < text.index("## Results") < text.index("TABLE 2") < text.index("LANGUAGES")
    assert "TABLE\n" not in text


def test_a_results_table_with_its_own_subheadings_is_replaced_whole(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n<!-- results -->\nold\n\n### REST\n\nold table\n\n<!-- twilio results -->\nkept\n",
                   encoding="utf-8")
    write_results_section(doc, "new\n\n### REST\n\nnew table")
    write_results_section(doc, "newer\n\n### REST\n\nnewer table")
    text = doc.read_text(encoding="utf-8")
    assert "old" not in text and "new table" not in text and text.count("### REST") == 1
    assert "newer table" in text and "kept" in text


def test_no_held_out_message_is_also_a_training_example() -> None:
    """A test set the model was trained on proves nothing (very short phrases such as "hola" excepted)."""
    import re
    import unicodedata

    import yaml

    from bot.config import PROJECT_ROOT

    def norm(text: str) -> str:
        return re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).lower()).strip()

    training = set()
    for path in (PROJECT_ROOT / "nlu_data").glob("*/*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for example in block.get("examples") or []:
                training.add(norm(example["text"]))
    held_out = set()
    for path in (PROJECT_ROOT / "eval_data").rglob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        held_out |= {norm(message["text"]) for message in data.get("messages") or []}
        held_out |= {norm(text) for texts in (data.get("languages") or {}).values() for text in texts}
    leaked = sorted(text for text in held_out & training if len(text) > 12)
    assert not leaked, leaked


def test_a_language_below_the_bars_is_held_to_its_own_floors(tmp_path) -> None:
    from bot.evaluation import Bars, Scores, bars_for, load_floors

    (tmp_path / "floors.yml").write_text("bg: {min_danger_recall: 0.9}\n", encoding="utf-8")
    floors = load_floors(tmp_path / "floors.yml")
    scores = Scores("bg", 125, 0.95, 0.95, 0.92, 1, 40, 0.05, 0.0, 0.85, 120, 1.0)
    assert bars_for("bg", Bars(), floors).failures(scores) == []
    assert bars_for("en", Bars(), floors).failures(Scores("en", *[getattr(scores, f) for f in list(Scores.__dataclass_fields__)[1:]]))
