"""Per-rule precision from eval runs: the measurements behind tools/configs/confidence.toml.

Usage: python benchmarks/derive_confidence.py RUN_DIR [RUN_DIR ...]

Reads each run's ``cases.jsonl`` (``review-bot eval ... --tools-only``), counts per tool and
rule the findings scored ``tp`` and those scored as a labeled false positive (``negative`` or
``clean``; ``unlabeled`` ones say nothing and are only shown), and prints the smoothed
precision (tp + 2 * prior) / (tp + fp + 2) with the tool's current default as the prior.
It prints; it never writes the table (a person reads the numbers and decides).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from review_bot.tools.calibrate import confidence_table

PRIOR_WEIGHT = 2


def counts(runs: list[Path]) -> dict[tuple[str, str], Counter[str]]:
    """(tool, rule) -> verdict counts over every case of every run."""
    out: dict[tuple[str, str], Counter[str]] = {}
    for run in runs:
        for line in (run / "cases.jsonl").read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            verdicts = case["score"]["verdicts"]
            for finding, verdict in zip(case["findings"], verdicts, strict=False):
                for source in finding["sources"]:
                    if source.startswith("tool:"):
                        key = (source.removeprefix("tool:"), finding["rule_id"])
                        out.setdefault(key, Counter())[verdict] += 1
    return out


def main(argv: list[str]) -> int:
    """Print the table of measured precision per rule."""
    if not argv:
        print(__doc__)
        return 2
    defaults = confidence_table()["defaults"]
    print(f"{'tool':<11} {'rule':<38} {'tp':>3} {'fp':>3} {'unlab':>5}  precision  smoothed")
    for (tool, rule), seen in sorted(counts([Path(a) for a in argv]).items()):
        tp, fp = seen["tp"], seen["negative"] + seen["clean"]
        prior = float(defaults.get(tool, defaults["agent"]))
        smoothed = (tp + PRIOR_WEIGHT * prior) / (tp + fp + PRIOR_WEIGHT)
        raw = f"{tp / (tp + fp):.2f}" if tp + fp else "n/a"
        print(
            f"{tool:<11} {rule:<38} {tp:>3} {fp:>3} {seen['unlabeled']:>5}  "
            f"{raw:>9}  {smoothed:8.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
