"""Tools-only reviews of real merged commits: false alarms, gate failures, planted recall.

Reviews every case of ``evals/realworld/commits.jsonl`` (benign upstream commits) and of
``evals/realworld/planted.jsonl`` (real files with a defect written in) through the library,
``review_bot`` as found on the import path: ``PYTHONPATH=/work/wt/x`` measures that code. Each
finding at or above ``medium`` is looked up in ``evals/realworld/classifications.toml`` (read by
hand: real / low value / false) by (commit, path, rule_id, sha1 of the stripped line text);
findings nobody classified yet are listed. Not a test: it prints figures.

    PYTHONPATH=. REVIEW_BOT_CACHE_DIR=/tmp/corpus-cache REVIEW_BOT_TRANSCRIPTS=off \\
      python benchmarks/bench_realworld.py [--limit N] [--repo flask] [--concurrency 2] [--json]
      [--stubs FILE]   # append TOML stubs for the unclassified findings to FILE
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import inspect
import json
import os
import sys
import time
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from review_bot.compose import Runtime
from review_bot.config.settings import load_settings
from review_bot.evals.dataset import EvalCase, load_cases
from review_bot.evals.scoring import predicted, score_case
from review_bot.findings import Finding, Review, Severity, severity_at_least

HERE = Path(__file__).resolve().parent.parent / "evals" / "realworld"
COMMITS = HERE / "commits.jsonl"
PLANTED = HERE / "planted.jsonl"
CLASSIFICATIONS = HERE / "classifications.toml"
VERDICTS = ("real", "low value", "false")
TOLERANCE = 2


def line_sha1(text: str) -> str:
    """The key's line part: sha1 of the finding's first line, stripped of surrounding space."""
    return hashlib.sha1(text.strip().encode("utf-8", "surrogatepass")).hexdigest()


def commit_of(case: EvalCase) -> str:
    """The commit a case is keyed by (the new end of a range)."""
    source = case.source if isinstance(case.source, dict) else {}
    return str(source.get("commit") or case.id)


def line_text(case: EvalCase, finding: Finding) -> str:
    lines = case.change.files_after.get(finding.path, "").splitlines()
    return lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""


Key = tuple[str, str, str, str]


def key_of(case: EvalCase, finding: Finding) -> Key:
    return (commit_of(case), finding.path, finding.rule_id, line_sha1(line_text(case, finding)))


def load_classifications(path: Path) -> dict[Key, dict[str, str]]:
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[Key, dict[str, str]] = {}
    for entry in data.get("finding", []):
        key = (entry["commit"], entry["path"], entry["rule_id"], entry["line_sha1"])
        out[key] = entry
    return out


@dataclass
class ToolTimes:
    """Per-tool wall seconds and outcome counts, from the pipeline's ``tool.finished`` events."""

    seconds: Counter[str] = field(default_factory=Counter)
    runs: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)

    def emit(self, kind: str, /, **data: Any) -> None:
        if kind != "tool.finished":
            return
        tool = str(data.get("tool"))
        self.seconds[tool] += float(data.get("duration_s") or 0.0)
        self.runs[tool] += 1
        if data.get("status") == "failed":
            self.failed[tool] += 1
        elif data.get("status") == "skipped":
            self.skipped[tool] += 1


def _min_confidence(config: Any) -> float | None:
    value = getattr(config, "min_confidence", None)
    return float(value) if value is not None else None


def gate_fails(review: Review, config: Any) -> bool:
    """The review's own gate at ``config.fail_on`` (with ``min_confidence`` when it has one)."""
    params = inspect.signature(review.fails).parameters
    threshold: Severity = config.fail_on
    if "min_confidence" in params and _min_confidence(config) is not None:
        return bool(review.fails(threshold, min_confidence=_min_confidence(config)))
    if "config" in params:
        return bool(review.fails(threshold, config=config))
    return review.fails(threshold)


def cli_exit_status(review: Review, config: Any) -> int | None:
    """What ``review-bot review`` would exit with, when the CLI has an ``exit_status`` helper."""
    from review_bot.cli import review as cli_review

    helper = getattr(cli_review, "exit_status", None)
    return int(helper(review, config)) if helper is not None else None


def counts_for_gate(finding: Finding, config: Any) -> bool:
    """Whether the gate would count ``finding`` (severity, then confidence if both exist)."""
    if not severity_at_least(finding.severity, config.fail_on):
        return False
    floor = _min_confidence(config)
    confidence = getattr(finding, "confidence", None)
    return floor is None or confidence is None or float(confidence) >= floor


@dataclass
class Outcome:
    case: EvalCase
    review: Review | None
    error: str = ""


async def review_all(
    cases: list[EvalCase], concurrency: int, times: ToolTimes
) -> tuple[list[Outcome], Any]:
    settings = load_settings(None, os.environ, {"tools_only": True}, tools_only=True)
    runtime = Runtime.from_settings(settings)
    gate = asyncio.Semaphore(concurrency)

    async def one(case: EvalCase) -> Outcome:
        async with gate:
            try:
                review = await runtime.review(case.to_change(), events=times, record=False)
            except Exception as exc:
                return Outcome(case, None, f"{type(exc).__name__}: {exc}")
            sys.stderr.write(".")
            sys.stderr.flush()
            return Outcome(case, review)

    try:
        outcomes = await asyncio.gather(*(one(c) for c in cases))
    finally:
        await runtime.aclose()
        sys.stderr.write("\n")
    return list(outcomes), settings.review


def repo_of(case: EvalCase) -> str:
    source = case.source if isinstance(case.source, dict) else {}
    return str(source.get("repo", "?"))


def benign_report(
    outcomes: list[Outcome], config: Any, classes: dict[Key, dict[str, str]]
) -> dict[str, Any]:
    verdicts: Counter[str] = Counter()
    by_rule: dict[str, Counter[str]] = defaultdict(Counter)
    unclassified: list[dict[str, Any]] = []
    false_alarms: list[dict[str, Any]] = []
    total = at_medium = false_all = gate_failures = partial = 0
    failing: list[str] = []
    partial_list: list[str] = []
    exits: Counter[str] = Counter()
    below: Counter[str] = Counter()
    for out in outcomes:
        if out.review is None:
            continue
        review = out.review
        total += len(review.findings)
        partial += review.partial
        if review.partial:
            reasons = "; ".join(f"{f.component}: {f.reason[:80]}" for f in review.failures)
            partial_list.append(f"{out.case.id} ({reasons})")
        status = cli_exit_status(review, config)
        exits[str(status)] += 1
        if gate_fails(review, config):
            gate_failures += 1
            failing.append(out.case.id)
        for f in review.findings:
            if not severity_at_least(f.severity, "medium"):
                below[f"{'/'.join(f.sources)} {f.rule_id} [{f.severity}]"] += 1
                continue
            at_medium += 1
            entry = classes.get(key_of(out.case, f))
            verdict = entry["verdict"] if entry else "UNCLASSIFIED"
            verdicts[verdict] += 1
            by_rule[f"{'/'.join(f.sources)} {f.rule_id}"][verdict] += 1
            row = {
                "case": out.case.id,
                "commit": commit_of(out.case),
                "path": f.path,
                "line": f.line,
                "rule_id": f.rule_id,
                "severity": f.severity,
                "confidence": getattr(f, "confidence", None),
                "sources": list(f.sources),
                "message": f.message[:160],
                "line_text": line_text(out.case, f).strip()[:160],
                "line_sha1": line_sha1(line_text(out.case, f)),
                "verdict": verdict,
            }
            if entry is None:
                unclassified.append(row)
            elif verdict == "false":
                false_all += 1
                if counts_for_gate(f, config):
                    false_alarms.append({**row, "reason": entry.get("reason", "")})
    return {
        "commits": len(outcomes),
        "errors": [f"{o.case.id}: {o.error}" for o in outcomes if o.review is None],
        "partial_reviews": partial,
        "partial_list": partial_list,
        "below_medium_by_rule": dict(below.most_common()),
        "findings_total": total,
        "findings_ge_medium": at_medium,
        "classified": dict(verdicts),
        "by_rule": {k: dict(v) for k, v in sorted(by_rule.items())},
        "false_alarms": len(false_alarms),
        "false_ge_medium_any_confidence": false_all,
        "false_alarm_list": false_alarms,
        "gate_failures": gate_failures,
        "cli_exit_statuses": dict(exits),
        "gate_failing_cases": failing,
        "unclassified": unclassified,
    }


def planted_report(outcomes: list[Outcome]) -> dict[str, Any]:
    found: Counter[str] = Counter()
    units: Counter[str] = Counter()
    missed: list[str] = []
    for out in outcomes:
        findings = predicted(out.review.findings) if out.review is not None else ()
        score = score_case(out.case, findings, TOLERANCE)
        for unit in score.units:
            units[out.case.language] += 1
            found[out.case.language] += unit.found
            if not unit.found:
                missed.append(out.case.id)
    per_lang = {
        lang: {"found": found[lang], "units": units[lang], "recall": found[lang] / units[lang]}
        for lang in sorted(units)
    }
    total = sum(units.values())
    return {
        "units": total,
        "found": sum(found.values()),
        "recall": sum(found.values()) / total if total else 0.0,
        "per_language": per_lang,
        "missed": missed,
    }


def print_text(result: dict[str, Any]) -> None:
    b = result["benign"]
    print(f"review_bot from {result['review_bot']} @ {result['review_bot_head']}")
    print(
        f"commits {b['commits']}  findings {b['findings_total']}  >= medium "
        f"{b['findings_ge_medium']}  classified {b['classified']}  partial {b['partial_reviews']}"
    )
    print(
        f"FALSE ALARMS (false >= medium, counted by the gate): {b['false_alarms']}"
        f"  (any confidence: {b['false_ge_medium_any_confidence']})"
    )
    print(
        f"GATE FAILURES (--fail-on {result['fail_on']}, min_confidence "
        f"{result['min_confidence']}): {b['gate_failures']}  CLI exit statuses "
        f"{b['cli_exit_statuses']}"
    )
    for case in b["gate_failing_cases"]:
        print(f"  fails: {case}")
    for case in b["partial_list"]:
        print(f"  partial: {case}")
    if b["below_medium_by_rule"]:
        print(f"below medium by tool/rule: {b['below_medium_by_rule']}")
    for err in b["errors"]:
        print(f"  ERROR {err}")
    print("by tool/rule (>= medium):")
    for rule, verdicts in b["by_rule"].items():
        print(f"  {rule}: {verdicts}")
    for row in b["false_alarm_list"]:
        print(
            f"  false: {row['case']} {row['path']}:{row['line']} {row['rule_id']}: "
            f"{row['line_text']!r} ({row.get('reason', '')})"
        )
    print(f"UNCLASSIFIED: {len(b['unclassified'])}")
    for row in b["unclassified"]:
        print(
            f"  {row['case']} {row['path']}:{row['line']} [{row['severity']}] {row['rule_id']} "
            f"{row['message'][:90]!r}\n      line: {row['line_text']!r}"
        )
    times = result["tool_seconds"]
    print("tool seconds (sum over runs): " + ", ".join(f"{k} {v:.1f}" for k, v in times.items()))
    print(f"tool runs: {result['tool_runs']}")
    print(f"tool failures: {result['tool_failures']}  skips: {result['tool_skips']}")
    p = result["planted"]
    if p:
        print(f"PLANTED RECALL {p['found']}/{p['units']} = {p['recall']:.2f}")
        for lang, row in p["per_language"].items():
            print(f"  {lang}: {row['found']}/{row['units']}")
        print(f"  missed: {', '.join(p['missed'])}")
    print(f"wall {result['wall_s']:.0f} s")


def _head(where: Path) -> str:
    """The commit of the measured code (``+dirty`` with uncommitted edits), for the record."""
    import subprocess

    def git(*args: str) -> str:
        argv = ["git", "-C", str(where), *args]
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        return proc.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--", ".") else "")


def write_stubs(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("a", encoding="utf-8") as out:
        for row in rows:
            out.write(
                "\n[[finding]]\n"
                f"commit = {json.dumps(row['commit'])}\n"
                f"path = {json.dumps(row['path'])}\n"
                f"rule_id = {json.dumps(row['rule_id'])}\n"
                f"line_sha1 = {json.dumps(row['line_sha1'])}\n"
                f"line = {json.dumps(row['line_text'][:120], ensure_ascii=False)}\n"
                f"severity = {json.dumps(row['severity'])}\n"
                'verdict = "TODO"\n'
                'reason = ""\n'
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=Path, default=COMMITS)
    parser.add_argument("--planted", type=Path, default=PLANTED)
    parser.add_argument("--classifications", type=Path, default=CLASSIFICATIONS)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--repo", action="append", default=[], help="substring of owner/name")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--no-planted", action="store_true")
    parser.add_argument("--planted-only", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--stubs", type=Path, default=None)
    args = parser.parse_args()

    def wanted(cases: tuple[EvalCase, ...]) -> list[EvalCase]:
        kept = [
            c
            for c in cases
            if not args.repo or any(r.lower() in repo_of(c).lower() for r in args.repo)
        ]
        return kept[: args.limit] if args.limit else kept

    benign = [] if args.planted_only else wanted(load_cases([args.commits]))
    planted = (
        [] if args.no_planted or not args.planted.exists() else wanted(load_cases([args.planted]))
    )
    times = ToolTimes()
    started = time.perf_counter()
    outcomes, config = asyncio.run(review_all([*benign, *planted], args.concurrency, times))
    import review_bot

    result = {
        "review_bot": str(Path(review_bot.__file__).parent),
        "review_bot_head": _head(Path(review_bot.__file__).parent),
        "fail_on": config.fail_on,
        "min_confidence": _min_confidence(config),
        "benign": benign_report(
            outcomes[: len(benign)], config, load_classifications(args.classifications)
        ),
        "planted": planted_report(outcomes[len(benign) :]) if planted else {},
        "tool_seconds": {k: round(v, 1) for k, v in sorted(times.seconds.items())},
        "tool_runs": dict(times.runs),
        "tool_failures": dict(times.failed),
        "tool_skips": dict(times.skipped),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    if args.stubs:
        write_stubs(args.stubs, result["benign"]["unclassified"])
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print_text(result)


if __name__ == "__main__":
    main()
