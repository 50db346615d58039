"""``review-bot eval``: the command a person runs, end to end on the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review_bot.cli import main

CASES = Path(__file__).resolve().parents[2] / "evals" / "cases"


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(CASES), "--concurrency", "0", "--out", str(tmp_path)]) == 2
    assert "--concurrency must be at least 1, got 0" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "nope.jsonl")]) == 2
    assert main(["eval", "compare", str(tmp_path)]) == 2
    assert main(["eval", str(CASES), "--source", "nothing-like-this"]) == 2


@pytest.mark.slow
def test_eval_then_compare_on_our_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = ["rb-py-cmdi-backup", "rb-py-clean-report", "rb-py-is-literal-and-leak"]
    common = ["eval", str(CASES), "--tools-only", "--no-progress", "--ids", *ids]
    assert main([*common, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "review-bot" in out  # the per-source table names our source
    assert "labeled negatives flagged" in out
    assert "clean cases flagged" in out
    assert "unlabeled findings" in out
    for name in ("cases.jsonl", "summary.json", "summary.md", "report.html"):
        assert (tmp_path / "a" / name).is_file()
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["overall"]["cases"] == 3
    assert summary["overall"]["units_found"] >= 1  # bandit sees shell=True, ruff sees `is "active"`
    # the tools phase is timed per analyzer, in the JSON, the Markdown and the printed table
    bandit = summary["tools"]["bandit"]
    assert bandit["cases"] == 3
    assert bandit["runs"] + bandit["cached"] == 3
    assert bandit["runs"] == 0 or bandit["total_s"] > 0
    assert "## Tools phase per analyzer" in (tmp_path / "a" / "summary.md").read_text()
    assert "Tools phase: time per analyzer" in out

    # the same command again resumes everything, and the comparison shows no change
    assert main([*common, "--out", str(tmp_path / "a")]) == 0
    again = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert again["run"]["cases_resumed"] == 3
    assert again["overall"] == summary["overall"]

    # other settings into the same directory are refused
    assert main([*common, "--tolerance", "5", "--out", str(tmp_path / "a")]) == 2
    assert "other settings" in capsys.readouterr().err

    # a deliberately weakened configuration regresses
    config = tmp_path / "weak.toml"
    config.write_text('[review.tools]\ndisabled = ["bandit", "ruff", "semgrep"]\n')
    assert main([*common, "--config", str(config), "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert main(["eval", "compare", str(tmp_path / "a"), str(tmp_path / "a")]) == 0
    assert main(["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    assert "REGRESSION" in capsys.readouterr().out
