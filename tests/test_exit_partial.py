"""A partial review (a tool failed) never passes the gate silently: exit 4, unless accepted."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import cli, make_repo

from review_bot.cli import EXIT_FINDINGS, EXIT_OK, EXIT_PARTIAL
from review_bot.cli.review import exit_status
from review_bot.config.models import ReviewConfig
from review_bot.findings import Failure, Finding, Review, ReviewStats


def _review(*, partial: bool, severity: str = "low", confidence: float = 1.0) -> Review:
    finding = Finding(
        path="a.py", line=1, end_line=1, severity=severity, category="bug", rule_id="R",
        message="m", sources=("tool:ruff",), confidence=confidence,
    )  # fmt: skip
    failures = (Failure(component="tool:shellcheck", reason="boom"),) if partial else ()
    return Review(
        mode="tools-only", findings=(finding,), summary="", stats=ReviewStats(),
        failures=failures, partial=partial,
    )  # fmt: skip


def test_exit_status_table() -> None:
    config = ReviewConfig()
    assert exit_status(_review(partial=False), config) == EXIT_OK
    assert exit_status(_review(partial=True), config) == EXIT_PARTIAL
    assert exit_status(_review(partial=True, severity="high"), config) == EXIT_FINDINGS
    accepted = ReviewConfig(accept_partial=True)
    assert exit_status(_review(partial=True), accepted) == EXIT_OK
    # below min_confidence: shown, does not gate
    assert exit_status(_review(partial=False, severity="high", confidence=0.2), config) == 0


def test_review_config_round_trips_with_the_new_keys() -> None:
    config = ReviewConfig(min_confidence=0.3, accept_partial=True)
    assert ReviewConfig.model_validate(config.model_dump(mode="json")) == config


def test_a_failing_tool_makes_the_cli_exit_4_and_accept_partial_exit_0(tmp_path: Path) -> None:
    broken = tmp_path / "broken-shellcheck"
    broken.write_text("#!/bin/sh\necho 'out of memory' >&2\nexit 7\n")
    broken.chmod(0o755)
    config = tmp_path / "c.toml"
    config.write_text(
        f'[review.tools]\nenabled = ["shellcheck"]\npaths = {{ shellcheck = "{broken}" }}\n'
    )
    repo = make_repo(tmp_path, {"run.sh": "#!/bin/bash\necho ok\n"})
    args = ("review", str(repo), "--base", "HEAD~1", "--format", "json", "--tools-only",
            "--no-progress", "--config", str(config))  # fmt: skip
    proc = cli(*args)
    assert proc.returncode == 4, proc.stderr
    assert "partial review" in proc.stderr
    data = json.loads(proc.stdout)
    assert data["partial"] is True
    assert data["failures"][0]["component"] == "tool:shellcheck"
    assert cli(*args, "--accept-partial").returncode == 0
