"""Loading eval datasets: validation with file:line, directories, filters, clean scopes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_helpers import FILE, case

from review_bot.errors import InputError
from review_bot.evals.dataset import CaseFilter, filter_cases, load_cases
from review_bot.evals.topics import Topic

# the development split lives in shared/ beside the checkout (CI lays a copy there too)
DEV = next(
    (p for p in (Path(__file__).resolve().parents[3] / "shared/evals/dev",
                 Path("/work/shared/evals/dev")) if p.is_dir()),
    Path(__file__).resolve().parents[3] / "shared/evals/dev",
)  # fmt: skip


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_development_split_loads_with_every_source() -> None:
    cases = load_cases([DEV])
    assert len(cases) == 134
    assert {c.source_name for c in cases} == {
        "BugsInPy",
        "OWASP Benchmark Java v1.2",
        "SVEN",
        "semgrep-rules",
    }
    assert sum(c.is_clean for c in cases) == 46


def test_clean_scope_comes_from_the_pair_partner_or_negatives() -> None:
    by_id = {c.id: c for c in load_cases([DEV])}
    assert by_id["sven-cwe-022-1a4601a8-fix"].clean_scope == (
        Topic(family="security", cwe=("CWE-22",)),
    )
    assert by_id["bugsinpy-thefuck-2-fix"].clean_scope == (Topic(family="defect"),)
    assert by_id["owasp-java-benchmarktest01982"].clean_scope == (
        Topic(family="security", cwe=("CWE-327",)),
    )


def test_clean_case_without_partner_covers_every_defect_family(tmp_path: Path) -> None:
    (c,) = load_cases([_write(tmp_path / "d.jsonl", [case(is_clean=True)])])
    assert {t.family for t in c.clean_scope} == {"security", "defect"}


def test_bad_record_is_named_by_file_and_line(tmp_path: Path) -> None:
    bad = case("b")
    bad["expected_findings"] = [{"path": FILE, "line_start": 0, "line_end": 1, "category": "bug"}]
    path = _write(tmp_path / "d.jsonl", [case("a"), bad])
    with pytest.raises(InputError, match=r"d\.jsonl:2: invalid eval case 'b'.*line_start"):
        load_cases([path])


def test_label_on_a_file_not_in_the_change_is_rejected(tmp_path: Path) -> None:
    bad = case(expected=[{"line_start": 1, "line_end": 1, "path": "nope.py"}])
    with pytest.raises(InputError, match=r"'nope\.py' is not in change\.files_after"):
        load_cases([_write(tmp_path / "d.jsonl", [bad])])


def test_not_json_and_duplicates_and_missing_paths(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{oops\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.jsonl:1: not a JSON record"):
        load_cases([broken])
    dup = _write(tmp_path / "dup.jsonl", [case("x"), case("x")])
    with pytest.raises(InputError, match="duplicate case id 'x'"):
        load_cases([dup])
    with pytest.raises(InputError, match="does not exist"):
        load_cases([tmp_path / "missing.jsonl"])
    (tmp_path / "empty-dir").mkdir()
    with pytest.raises(InputError, match="holds no"):
        load_cases([tmp_path / "empty-dir"])


def test_clean_case_with_expected_findings_is_rejected(tmp_path: Path) -> None:
    bad = case(is_clean=True, expected=[{"line_start": 1, "line_end": 1}])
    with pytest.raises(InputError, match="is_clean is true"):
        load_cases([_write(tmp_path / "d.jsonl", [bad])])


def test_filters_by_source_language_ids_and_limit() -> None:
    cases = load_cases([DEV])
    assert {c.source_name for c in filter_cases(cases, CaseFilter(sources=("bugsinpy",)))} == {
        "BugsInPy"
    }
    assert {c.source_name for c in filter_cases(cases, CaseFilter(sources=("owasp",)))} == {
        "OWASP Benchmark Java v1.2"
    }
    semgrep_file = filter_cases(cases, CaseFilter(sources=("semgrep_rules",)))
    assert len(semgrep_file) == 56
    go = filter_cases(cases, CaseFilter(languages=("Go",)))
    assert go
    assert all(c.language == "go" for c in go)
    picked = filter_cases(cases, CaseFilter(ids=("sven-cwe-022-1a4601a8-fix",)))
    assert [c.id for c in picked] == ["sven-cwe-022-1a4601a8-fix"]
    assert len(filter_cases(cases, CaseFilter(limit=5))) == 5
    with pytest.raises(InputError, match="unknown case id"):
        filter_cases(cases, CaseFilter(ids=("nope",)))


def test_reviewer_input_is_only_the_change() -> None:
    c = next(c for c in load_cases([DEV]) if c.id == "bugsinpy-thefuck-2-introduce")
    change = c.to_change()
    assert [f.path for f in change.files] == ["thefuck/utils.py"]
    assert change.line_kind("thefuck/utils.py", 121) == "added"
    text = change.model_dump_json()
    assert "bugsinpy-thefuck-2" not in text  # no labels, ids or notes leak into the change


def test_content_hash_changes_with_labels(tmp_path: Path) -> None:
    a = case(expected=[{"line_start": 1, "line_end": 1}])
    b = case(expected=[{"line_start": 2, "line_end": 2}])
    (ca,) = load_cases([_write(tmp_path / "a.jsonl", [a])])
    (cb,) = load_cases([_write(tmp_path / "b.jsonl", [b])])
    assert ca.content_hash() != cb.content_hash()
