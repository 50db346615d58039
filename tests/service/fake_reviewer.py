"""A scripted stand-in for ``review_bot.pipeline.review`` used by the service tests.

It flags every added line containing ``eval(`` (with a suggestion), honours
``config.tools.wants("semgrep")`` so config tests can switch it off, logs the paths it was
given to ``$FAKE_REVIEWER_LOG`` (JSON lines), and, while the file ``$FAKE_REVIEWER_BLOCK``
exists, announces itself in ``<block>.started`` and waits (to be killed mid-review).
"""

# ruff: noqa: ASYNC110, ASYNC230, ASYNC240 - a test double that is polled across processes

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from review_bot.change import ChangeSet
from review_bot.config.models import ReviewConfig
from review_bot.findings import Finding, Review, ReviewStats, assign_fingerprints
from review_bot.pipeline import Services


async def review(change: ChangeSet, config: ReviewConfig, services: Services) -> Review:
    """Review ``change`` by the script above."""
    block = os.environ.get("FAKE_REVIEWER_BLOCK")
    if block and Path(block).exists():
        Path(block + ".started").write_text(str(os.getpid()))
        while Path(block).exists():
            await asyncio.sleep(0.05)
    log = os.environ.get("FAKE_REVIEWER_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(
                json.dumps({"head": change.head, "paths": [f.path for f in change.files]}) + "\n"
            )
    findings: list[Finding] = []
    if config.tools.wants("semgrep"):
        for f in change.files:
            for line in sorted(f.added_lines):
                text = f.line_text(line) or ""
                if "eval(" in text:
                    findings.append(
                        Finding(
                            path=f.path,
                            line=line,
                            severity="high",
                            category="security",
                            rule_id="fake-eval",
                            message="eval() runs arbitrary code",
                            suggestion=text.replace("eval(", "ast.literal_eval("),
                            sources=("tool:fake",),
                        )
                    )
    fingerprinted = tuple(assign_fingerprints(findings, change.line_text))
    return Review(
        mode="tools-only",
        findings=fingerprinted,
        summary=f"{len(fingerprinted)} finding(s).",
        stats=ReviewStats(files_reviewed=len(change.files)),
    )
