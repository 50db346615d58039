"""SARIF 2.1.0 that GitHub code scanning accepts: one run, our rules, stable fingerprints."""

from __future__ import annotations

import json
from typing import Any

from review_bot._version import __version__
from review_bot.findings import Finding, Review

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub ranks security alerts by this property (0-10): critical ≥ 9, high ≥ 7, medium ≥ 4.
_SECURITY_SEVERITY = {
    "critical": "9.5",
    "high": "8.0",
    "medium": "5.5",
    "low": "3.0",
    "info": "1.0",
}


def _rule(finding: Finding) -> dict[str, Any]:
    tags = [finding.category, *finding.cwe]
    if finding.category == "security":
        tags.append("security")
    properties: dict[str, Any] = {"tags": sorted(set(tags))}
    if finding.category == "security":
        properties["security-severity"] = _SECURITY_SEVERITY[finding.severity]
    return {
        "id": finding.rule_id,
        "shortDescription": {"text": finding.rule_id},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
        "properties": properties,
    }


def _fix(finding: Finding, replacement: str) -> dict[str, Any]:
    """SARIF's fix: the finding's whole lines (newlines included) replaced by the suggestion."""
    text = replacement if not replacement or replacement.endswith("\n") else replacement + "\n"
    region = {"startLine": finding.line, "startColumn": 1}
    region |= {"endLine": finding.end_line + 1, "endColumn": 1}
    change: dict[str, Any] = {"deletedRegion": region}
    if text:
        change["insertedContent"] = {"text": text}
    return {
        "description": {"text": f"Replace lines {finding.line}-{finding.end_line}"},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                "replacements": [change],
            }
        ],
    }


def sarif_log(review: Review) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    rules: dict[str, dict[str, Any]] = {}
    for finding in review.findings:
        rules.setdefault(finding.rule_id, _rule(finding))
    index = {rule_id: i for i, rule_id in enumerate(rules)}
    results = [_result(finding, index[finding.rule_id]) for finding in review.findings]
    notifications = [
        {"level": "warning", "message": {"text": f"{f.component} failed: {f.reason}"}}
        for f in review.failures
    ] + [
        {"level": "note", "message": {"text": f"skipped {s.kind} {s.name}: {s.reason}"}}
        for s in review.skipped
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "review-bot",
                "version": __version__,
                "informationUri": "https://github.com/review-bot/review-bot",
                "rules": list(rules.values()),
            }
        },
        "results": results,
        "invocations": [
            {
                "executionSuccessful": not review.failures,
                "toolExecutionNotifications": notifications,
            }
        ],
        "properties": _run_properties(review),
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    """One SARIF result: the finding, where it is, and its fix when it has one."""
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        # SARIF's rank is 0-100: how likely the result is a real problem
        "rank": round(finding.confidence * 100, 1),
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": finding.line, "endLine": finding.end_line},
                }
            }
        ],
        "properties": {
            "severity": finding.severity,
            "category": finding.category,
            "confidence": finding.confidence,
            "sources": list(finding.sources),
        },
    }
    if finding.fingerprint:
        result["partialFingerprints"] = {"reviewBot/v1": finding.fingerprint}
    if finding.suggestion is not None:
        result["fixes"] = [_fix(finding, finding.suggestion)]
    return result


def _run_properties(review: Review) -> dict[str, Any]:
    properties: dict[str, Any] = {"mode": review.mode, "summary": review.summary}
    properties["coverage"] = review.coverage.model_dump(mode="json")  # analyzers per file
    if review.transcript_hash:
        # the transcript's final hash: this copy anchors the record (audit verify --expect-head)
        properties["transcriptHash"] = review.transcript_hash
    return properties


def render_sarif(review: Review) -> str:
    """SARIF 2.1.0 JSON text."""
    return json.dumps(sarif_log(review), indent=2, ensure_ascii=False) + "\n"
