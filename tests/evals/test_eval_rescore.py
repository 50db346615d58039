"""An independent re-scorer: recompute the summary from cases.jsonl and the raw JSONL labels.

It shares no code with review_bot.evals.scoring/summary: it reads plain dicts and re-states
the documented rules, so a bug in the harness's scoring shows up as a disagreement here.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from eval_helpers import ScriptedReviewer, finding

from review_bot.config.models import ReviewConfig
from review_bot.evals.dataset import EvalCase, load_cases
from review_bot.evals.reports import write_reports
from review_bot.evals.results import RunInfo
from review_bot.evals.runner import run_cases
from review_bot.evals.store import RunStore
from review_bot.evals.summary import summarise
from review_bot.findings import Finding

# the development split lives in shared/ beside the checkout (CI lays a copy there too)
DEV = next(
    (p for p in (Path(__file__).resolve().parents[3] / "shared/evals/dev",
                 Path("/work/shared/evals/dev")) if p.is_dir()),
    Path(__file__).resolve().parents[3] / "shared/evals/dev",
)  # fmt: skip
TOL = 2
FAMILY = {"security": "S", "bug": "D", "correctness": "D"}
RELATED = [
    {"327", "328", "326", "916"},
    {"22", "23", "36", "73"},
    {"77", "78", "88"},
    {"89", "564"},
    {"79", "80", "116"},
    {"330", "338"},
    {"94", "95"},
    {"611", "776"},
]


def _nums(cwes: list[str]) -> set[str]:
    out = {str(c).upper().replace("CWE-", "").strip() for c in cwes or []}
    for group in RELATED:
        if out & group:
            out |= group
    return out


def _about(f: dict[str, Any], category: str, cwes: list[str]) -> bool:
    fam = FAMILY.get(f["category"])
    if fam is None or fam != FAMILY[category]:
        return False
    a, b = _nums(f["cwe"]), _nums(cwes)
    return not a or not b or bool(a & b)


def _rescore(records: dict[str, dict[str, Any]], cases: list[dict[str, Any]]) -> dict[str, Any]:
    partners: dict[str, list[dict[str, Any]]] = {}
    for r in records.values():
        if r.get("pair_id") and not r["is_clean"]:
            partners.setdefault(r["pair_id"], []).append(r)
    per_source: dict[str, dict[str, int]] = {}
    for res in cases:
        rec = records[res["case_id"]]
        src = rec["source"]["dataset"]
        t = per_source.setdefault(
            src,
            dict.fromkeys(
                ("units", "found", "tp", "fp", "unlabeled", "neg", "neg_hit", "clean", "clean_hit"),
                0,
            ),
        )
        exp = rec["expected_findings"]
        scope = [(n["category"], n["cwe"]) for n in rec["negatives"]]
        for p in partners.get(rec.get("pair_id") or "", []):
            scope += [(e["category"], e["cwe"]) for e in p["expected_findings"]]
        scope = scope or [("security", []), ("bug", [])]

        def hits(f: dict[str, Any], e: dict[str, Any]) -> bool:
            return (
                f["path"] == e["path"]
                and f["line"] <= e["line_end"] + TOL
                and f["end_line"] >= e["line_start"] - TOL
                and _about(f, e["category"], e["cwe"])
            )

        units: dict[str, list[dict[str, Any]]] = {}
        for i, e in enumerate(exp):
            units.setdefault(e.get("bug_id") or f"#{i}", []).append(e)
        t["units"] += len(units)
        t["found"] += sum(
            any(hits(f, e) for f in res["findings"] for e in es) for es in units.values()
        )
        neg_hit: set[int] = set()
        flagged = False
        for f in res["findings"]:
            if any(hits(f, e) for e in exp):
                t["tp"] += 1
                continue
            on_neg = [
                i
                for i, n in enumerate(rec["negatives"])
                if n["path"] == f["path"]
                and f["line"] <= (n["line"] or n["line_range"][1])
                and f["end_line"] >= (n["line"] or n["line_range"][0])
                and _about(f, n["category"], n["cwe"])
            ]
            if on_neg:
                neg_hit.update(on_neg)
                t["fp"] += 1
                flagged = True
            elif rec["is_clean"] and any(_about(f, c, w) for c, w in scope):
                t["fp"] += 1
                flagged = True
            else:
                t["unlabeled"] += 1
        t["neg"] += len(rec["negatives"])
        t["neg_hit"] += len(neg_hit)
        t["clean"] += int(rec["is_clean"])
        t["clean_hit"] += int(rec["is_clean"] and flagged)
    return per_source


def _noisy_reviewer(c: EvalCase) -> list[Finding]:
    """Findings near labels, on negatives and elsewhere, with mixed categories and CWEs."""
    rng = random.Random(c.id)
    path, content = next(iter(c.change.files_after.items()))
    n_lines = max(1, content.count("\n"))
    out = []
    cats = ["security", "bug", "correctness", "style", "maintainability"]
    for e in c.expected_findings:
        if rng.random() < 0.6:
            line = max(1, e.line_start + rng.randint(-4, 4))
            cwe = rng.choice([list(e.cwe), [], ["CWE-1"], ["CWE-328"]])
            out.append(finding(line, path=e.path, category=rng.choice(cats), cwe=cwe))
    for n in c.negatives:
        if rng.random() < 0.5:
            line = n.span[0] + rng.randint(0, 1)
            out.append(finding(line, path=n.path, category=rng.choice(cats[:2]), cwe=list(n.cwe)))
    for _ in range(rng.randint(0, 3)):
        line = rng.randint(1, n_lines)
        out.append(
            finding(
                line,
                end_line=line + rng.randint(0, 3),
                path=path,
                category=rng.choice(cats),
                cwe=rng.choice([[], ["CWE-22"], ["CWE-78"]]),
            )
        )
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    out = tmp_path_factory.mktemp("run")
    cases = load_cases([DEV])
    config = ReviewConfig(tools_only=True)
    store = RunStore(
        out, RunInfo(review_config=config.model_dump(mode="json"), tools_only=True, tolerance=TOL)
    )
    results = asyncio.run(
        run_cases(
            cases, ScriptedReviewer(_noisy_reviewer), config, store, tolerance=TOL, concurrency=4
        )
    )
    write_reports(out, summarise(results, {"run_hash": store.run_hash}), results)
    return out


def test_summary_agrees_with_an_independent_rescorer(run_dir: Path) -> None:
    records: dict[str, dict[str, Any]] = {}
    for file in sorted(DEV.glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            records[rec["id"]] = rec
    cases = [json.loads(x) for x in (run_dir / "cases.jsonl").read_text().splitlines()]
    summary = json.loads((run_dir / "summary.json").read_text())
    mine = _rescore(records, cases)
    assert set(mine) == set(summary["by_source"])
    for source, t in mine.items():
        s = summary["by_source"][source]
        assert (s["units"], s["units_found"]) == (t["units"], t["found"]), source
        assert (s["tp"], s["fp_negative"] + s["fp_clean"], s["unlabeled"]) == (
            t["tp"],
            t["fp"],
            t["unlabeled"],
        ), source
        assert (s["negatives"], s["negatives_flagged"]) == (t["neg"], t["neg_hit"]), source
        assert (s["clean_cases"], s["clean_flagged"]) == (t["clean"], t["clean_hit"]), source
        recall = round(t["found"] / t["units"], 4) if t["units"] else None
        precision = round(t["tp"] / (t["tp"] + t["fp"]), 4) if t["tp"] + t["fp"] else None
        assert (s["recall"], s["precision"]) == (recall, precision), source
    # the noisy reviewer exercises every verdict, so agreement is not vacuous
    pooled = summary["overall"]
    assert pooled["tp"]
    assert pooled["fp_negative"]
    assert pooled["fp_clean"]
    assert pooled["unlabeled"]
    assert 0 < pooled["units_found"] < pooled["units"]
