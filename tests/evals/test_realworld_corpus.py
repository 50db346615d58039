"""The real-commit corpus, its planted defects and its hand classifications stay well-formed.

``benchmarks/bench_realworld.py`` keys each classification by (commit, path, rule_id, sha1 of
the stripped line text): a key that names no corpus file line can never match, so it is an
error here rather than a silently ignored entry.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from functools import cache
from pathlib import Path

import pytest

from review_bot.evals.dataset import EvalCase, load_cases

ROOT = Path(__file__).resolve().parents[2] / "evals" / "realworld"
HEX40 = re.compile(r"^[0-9a-f]{40}$")
VERDICTS = {"real", "low value", "false"}


@cache
def commits() -> tuple[EvalCase, ...]:
    return load_cases([ROOT / "commits.jsonl"])


@cache
def planted() -> tuple[EvalCase, ...]:
    return load_cases([ROOT / "planted.jsonl"])


def _source(case: EvalCase) -> dict[str, object]:
    assert isinstance(case.source, dict), case.id
    return case.source


def test_corpus_has_enough_commits_repos_and_languages() -> None:
    cases = commits()
    singles = [c for c in cases if _source(c)["kind"] == "commit"]
    ranges = [c for c in cases if _source(c)["kind"] == "range"]
    assert len(singles) >= 60
    assert len(ranges) >= 2
    assert len({_source(c)["repo"] for c in cases}) >= 6
    assert len({c.language for c in cases}) >= 5
    assert (ROOT / "commits.jsonl").stat().st_size < 20_000_000


def test_every_benign_commit_is_clean_unlabeled_and_sourced() -> None:
    for case in commits():
        source = _source(case)
        assert case.is_clean, case.id
        assert case.label_scope == "benign merged commit, unlabeled", case.id
        assert HEX40.match(str(source["commit"])), case.id
        assert HEX40.match(str(source["parent"])), case.id
        assert case.license, case.id
        assert case.change.diff.startswith("diff --git "), case.id


def test_planted_defects_label_lines_of_the_new_file() -> None:
    cases = planted()
    assert len(cases) >= 15
    assert len({c.language for c in cases}) >= 5
    for case in cases:
        assert not case.is_clean, case.id
        assert case.expected_findings, case.id
        assert case.change.files_before != case.change.files_after, case.id
        for label in case.expected_findings:
            lines = case.change.files_after[label.path].splitlines()
            assert label.line_end <= len(lines), case.id
            before = case.change.files_before.get(label.path, "")
            # the labeled line is one the change wrote, not one that was already there
            assert lines[label.line_start - 1] not in before.splitlines(), case.id


def _entries() -> list[dict[str, str]]:
    data = tomllib.loads((ROOT / "classifications.toml").read_text(encoding="utf-8"))
    return list(data.get("finding", []))


def test_classification_keys_name_a_line_of_a_corpus_file() -> None:
    by_commit = {str(_source(c)["commit"]): c for c in commits()}
    entries = _entries()
    assert entries, "classifications.toml holds no [[finding]] entries"
    seen: set[tuple[str, str, str, str]] = set()
    for entry in entries:
        key = (entry["commit"], entry["path"], entry["rule_id"], entry["line_sha1"])
        assert key not in seen, f"duplicate classification key {key!r}"
        seen.add(key)
        assert entry["verdict"] in VERDICTS, entry
        assert entry["reason"].strip(), entry
        assert entry["rule_id"].strip(), entry
        case = by_commit.get(entry["commit"])
        assert case is not None, f"commit {entry['commit']!r} is not in commits.jsonl"
        text = case.change.files_after.get(entry["path"])
        assert text is not None, f"{entry['path']!r} is not a file of {case.id}"
        hashes = {
            hashlib.sha1(line.strip().encode("utf-8", "surrogatepass")).hexdigest()
            for line in text.splitlines()
        }
        assert entry["line_sha1"] in hashes, f"line_sha1 of {entry!r} names no line"


@pytest.mark.parametrize("name", ["build_corpus.py", "build_planted.py", "README.md"])
def test_the_corpus_ships_its_builders_and_provenance(name: str) -> None:
    assert (ROOT / name).is_file()
