"""Confidence from measurement; heuristic secrets and test-file noise reclassified."""

from __future__ import annotations

import pytest

from review_bot.change import from_files
from review_bot.findings import Finding
from review_bot.tools.calibrate import calibrate, confidence_for, confidence_table, is_test_path

SHA = "4f2b1c9d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"


def _secret(path: str, text: str, rule: str = "Hex High Entropy String") -> list[Finding]:
    change = from_files({}, {path: text})
    finding = Finding(
        path=path,
        line=1,
        end_line=1,
        severity="high",
        category="security",
        rule_id=rule,
        message="x",
        sources=("tool:secrets",),
        cwe=("CWE-798",),
    )
    return calibrate([finding], change)


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (".pre-commit-config.yaml", f"    rev: {SHA}\n"),
        (".github/workflows/ci.yml", f"      - uses: actions/checkout@{SHA}  # v4\n"),
        ("package-lock.json", f'      "resolved": "https://r/x.tgz#{SHA}",\n'),
        ("requirements.txt", f"foo==1.0 --hash=sha256:{SHA}{SHA[:24]}\n"),
        ("deps.json", f'  "integrity": "sha512-{SHA}",\n'),
        ("build.py", f'COMMIT_SHA = "{SHA}"\n'),
        ("pins.txt", f"{SHA}\n"),
    ],
)
def test_hex_digests_in_pinning_contexts_are_not_secrets(path: str, line: str) -> None:
    assert _secret(path, line) == []


def test_a_heuristic_hit_is_a_low_possible_secret() -> None:
    (found,) = _secret("app.py", 'api_key = "q8Zt3LmN0pWx7RvB2kYc"\n', "Secret Keyword")
    assert found.severity == "low"
    assert found.confidence == confidence_table()["secrets"]["heuristic"]
    assert found.message.startswith("Possible secret")


def test_a_heuristic_hit_on_a_provider_token_shape_stays_high() -> None:
    line = 'token = "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"\n'
    (found,) = _secret("app.py", line, "Secret Keyword")
    assert found.severity == "high"
    assert found.confidence >= 0.9


def test_a_provider_specific_detector_stays_high() -> None:
    (found,) = _secret("app.ini", "key = AKIAQ7R2XK5N4HJD3WTY\n", "AWS Access Key")
    assert found.severity == "high"
    assert found.confidence == confidence_for("secrets", "")


def test_an_api_key_named_like_a_ref_is_still_reported() -> None:
    (found,) = _secret("app.py", f'refresh_token = "{SHA}"\n')
    assert found.severity == "low"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_app.py", True),
        ("pkg/test_app.py", True),
        ("pkg/app_test.py", True),
        ("conftest.py", True),
        ("src/ui.test.ts", True),
        ("src/app.py", False),
        ("src/testing_utils_impl.py", False),
    ],
)
def test_test_paths(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


def _bandit(path: str, rule: str) -> list[Finding]:
    change = from_files({}, {path: "assert x\n"})
    finding = Finding(
        path=path, line=1, end_line=1, severity="low", category="security", rule_id=rule,
        message="m", sources=("tool:bandit",),
    )  # fmt: skip
    return calibrate([finding], change)


def test_bandit_assert_and_password_rules_are_dropped_on_test_files_only() -> None:
    for rule in ("B101", "B105", "B106", "B107"):
        assert _bandit("tests/test_x.py", rule) == []
        assert len(_bandit("app/x.py", rule)) == 1
    assert len(_bandit("tests/test_x.py", "B602")) == 1


def test_every_tool_finding_gets_its_rule_or_tool_confidence() -> None:
    table = confidence_table()
    for tool, rules in table["rules"].items():
        for rule, value in rules.items():
            assert confidence_for(tool, rule) == value
        assert confidence_for(tool, "no-such-rule") == table["defaults"][tool]
    assert 0 < confidence_for("unknown-tool", "x") <= 1


def _code(path: str, tool: str, rule: str, severity: str = "high") -> Finding:
    change = from_files({}, {path: "x\n"})
    finding = Finding(
        path=path, line=1, end_line=1, severity=severity, category="bug", rule_id=rule,
        message="m", sources=(f"tool:{tool}",),
    )  # fmt: skip
    (out,) = calibrate([finding], change)
    return out


@pytest.mark.parametrize(
    "path",
    [
        "tests/data/cases/python315.py",
        "pkg/testdata/x.go",
        "src/fixtures/a.js",
        "t/__snapshots__/a",
    ],
)
def test_findings_in_fixtures_are_info_and_never_gate(path: str) -> None:
    found = _code(path, "ruff", "F821")
    assert found.severity == "info"
    assert found.confidence == confidence_table()["defaults"]["fixture"]


def test_ordinary_tests_are_not_fixtures() -> None:
    assert _code("tests/test_app.py", "ruff", "F821").severity == "high"


def test_posix_sh_portability_rules_are_downgraded_by_prefix() -> None:
    local = _code("install.sh", "shellcheck", "SC3043", "medium")
    assert (local.severity, local.confidence) == ("info", 0.1)
    other = _code("install.sh", "shellcheck", "SC3037", "medium")
    assert (other.severity, other.confidence) == ("low", 0.3)
    assert _code("install.sh", "shellcheck", "SC2086", "low").severity == "low"


def test_a_redacted_provider_token_is_classified_like_the_token() -> None:
    """Replay only has the redacted change; it must rebuild the same finding."""
    from review_bot.redaction import Redactor

    line = 'token = "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"\n'
    (plain,) = _secret("app.py", line, "Secret Keyword")
    (redacted,) = _secret("app.py", Redactor().redact(line), "Secret Keyword")
    assert (plain.severity, plain.confidence) == (redacted.severity, redacted.confidence)


def _taint(path: str) -> Finding:
    change = from_files({}, {path: "response.end(request.url);\n"})
    finding = Finding(
        path=path, line=1, end_line=1, severity="high", category="security",
        rule_id="js-tainted-xss", message="m", sources=("tool:semgrep",), cwe=("CWE-79",),
    )  # fmt: skip
    (out,) = calibrate([finding], change)
    return out


def test_security_findings_in_test_code_do_not_gate_but_are_shown() -> None:
    """ky's test server echoing request.url (real-commit corpus) is not attack surface."""
    base = confidence_for("semgrep", "js-tainted-xss")
    in_app = _taint("source/server.ts")
    in_test = _taint("test/main.ts")
    assert in_app.confidence == base
    assert in_test.confidence == pytest.approx(base * 0.4)
    assert in_app.severity == "high"
    assert in_test.severity == "low"  # still shown, for what it is in test code
    assert in_test.confidence < 0.5  # below the default min_confidence: never fails the gate


def test_secrets_in_test_code_keep_their_confidence() -> None:
    (found,) = _secret("tests/test_client.py", 'KEY = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"\n',
                       rule="GitHub Token")  # fmt: skip
    assert found.confidence == confidence_table()["defaults"]["secrets"]
