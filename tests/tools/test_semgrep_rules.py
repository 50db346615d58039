"""Our semgrep rules, each file checked by real ``semgrep --test`` against its annotated test file.

Every rules file under ``review_bot/tools/rules/`` has a same-named test file in
``tests/data/semgrep-rules/`` whose ``# ruleid:`` / ``# ok:`` comments say which lines each rule
must and must not report; ``.fixed`` files sit next to them for rules that offer a ``fix:``.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from review_bot.tools.semgrep import SemgrepAnalyzer, bundled_rules_path, rules_bytes

DATA = Path(__file__).parents[1] / "data" / "semgrep-rules"
RULE_FILES = sorted(bundled_rules_path().glob("*.yml"))
_CATEGORIES = {"security", "bug", "correctness", "performance", "maintainability", "style"}


_FLAGS = ("--metrics=off", "--disable-version-check", "--test", "--json")


def _semgrep() -> str:
    found = SemgrepAnalyzer().executable()
    if found is None:
        pytest.fail("semgrep is not installed: pip install -e '.[semgrep]' (CI installs it)")
    return found[0]


def _test_file(rules: Path) -> Path:
    matches = [p for p in DATA.glob(rules.stem + ".*") if ".fixed." not in p.name]
    assert len(matches) == 1, f"{rules.name} needs exactly one test file in {DATA}"
    return matches[0]


def test_rules_folder_has_every_language_and_no_stray_files() -> None:
    names = {p.stem for p in RULE_FILES}
    assert {"python-patterns", "python-taint", "javascript-patterns", "javascript-taint"} <= names
    assert {"go", "java-patterns", "java-taint", "rust"} <= names
    assert all(p.suffix == ".yml" for p in bundled_rules_path().iterdir() if p.is_file())


@pytest.mark.parametrize("rules", RULE_FILES, ids=lambda p: p.stem)
def test_every_rule_names_cwe_category_and_confidence(rules: Path) -> None:
    for rule in yaml.safe_load(rules.read_text(encoding="utf-8"))["rules"]:
        meta = rule["metadata"]
        assert meta["cwe"], rule["id"]
        assert all(str(c).startswith("CWE-") for c in meta["cwe"]), rule["id"]
        assert meta["category"] in _CATEGORIES, rule["id"]
        assert meta["confidence"] in {"high", "medium", "low"}, rule["id"]
        assert meta["review-bot-severity"] in {"critical", "high", "medium", "low", "info"}


@pytest.fixture(scope="module")
def semgrep_test_report() -> dict[str, Any]:
    """One ``semgrep --test`` over the whole rules folder (one process: it is slow to start)."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "SEMGREP_SEND_METRICS": "off"}
        env["SEMGREP_ENABLE_VERSION_CHECK"] = "0"
        proc = subprocess.run(
            [_semgrep(), *_FLAGS, "--config", str(bundled_rules_path()), str(DATA)],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
            check=False,
        )
    assert proc.stdout, proc.stderr[-2000:]
    report: dict[str, Any] = json.loads(proc.stdout)
    assert not report["config_with_errors"], report["config_with_errors"]
    assert not report["config_missing_tests"], report["config_missing_tests"]
    return report


@pytest.mark.parametrize("rules", RULE_FILES, ids=lambda p: p.stem)
def test_rules_pass_semgrep_test(rules: Path, semgrep_test_report: dict[str, Any]) -> None:
    _test_file(rules)
    results = semgrep_test_report["results"]
    key = next((k for k in results if Path(k).name == rules.name), None)
    assert key is not None, f"semgrep --test did not check {rules.name}"
    checks = results[key]["checks"]
    declared = {r["id"] for r in yaml.safe_load(rules.read_text(encoding="utf-8"))["rules"]}
    assert set(checks) == declared, f"rules without a test case: {declared - set(checks)}"
    failed = {rule: c["matches"] for rule, c in checks.items() if not c["passed"]}
    assert not failed, json.dumps(failed, indent=1)


def test_autofixes_produce_the_fixed_files(semgrep_test_report: dict[str, Any]) -> None:
    fixes = semgrep_test_report.get("fixtest_results") or {}
    assert fixes, "no .fixed file was checked"
    assert all(r.get("passed") for r in fixes.values()), fixes


def test_cache_key_changes_with_any_rules_file(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("rules: []\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text("rules: []\n", encoding="utf-8")
    before = rules_bytes(tmp_path)
    (tmp_path / "b.yml").write_text("rules: [] # changed\n", encoding="utf-8")
    assert rules_bytes(tmp_path) != before
    assert rules_bytes(tmp_path / "a.yml") == b"rules: []\n"
