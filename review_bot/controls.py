"""Team controls applied to one review (the models and their parsing live in ``config``).

* path filters: files outside ``paths.include`` or inside ``paths.exclude`` move to the
  change's skipped files, with the glob that excluded them;
* rule ignores, severity bounds per category and the baseline: findings are hidden (or
  lowered to the category's ``max``), and the review says how many were hidden and why,
  in its summary, its stats and a Skip entry per kind.

Pure functions: the pipeline calls them; replay runs them again on the recorded config.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from review_bot.change import ChangeSet, SkippedFile
from review_bot.config.controls import Controls
from review_bot.findings import Finding, Skip, assign_fingerprints, severity_at_least

__all__ = ["ControlsOutcome", "apply_finding_controls", "filter_change"]

LineText = Callable[[str, int], str | None]


def filter_change(change: ChangeSet, controls: Controls) -> ChangeSet:
    """``change`` without the files the path filters leave out (they become skipped files)."""
    kept, skipped = [], list(change.skipped)
    for file in change.files:
        reason = controls.paths.skip_reason(file.path)
        if reason is None:
            kept.append(file)
        else:
            skipped.append(SkippedFile(path=file.path, reason=reason))
    if len(kept) == len(change.files):
        return change
    return change.model_copy(update={"files": tuple(kept), "skipped": tuple(skipped)})


@dataclass
class ControlsOutcome:
    """What the controls hid or changed in one review."""

    ignored: Counter[str] = field(default_factory=Counter)  # rule -> findings hidden
    below_floor: Counter[str] = field(default_factory=Counter)  # category -> findings hidden
    lowered: int = 0
    baselined: int = 0
    baseline_source: str = ""

    @property
    def hidden(self) -> int:
        """Findings hidden by any control."""
        return sum(self.ignored.values()) + sum(self.below_floor.values()) + self.baselined

    def stats(self) -> dict[str, int]:
        """Counters for ``ReviewStats`` (only the non-zero ones)."""
        values = {
            "findings_ignored_by_rule": sum(self.ignored.values()),
            "findings_below_severity_floor": sum(self.below_floor.values()),
            "findings_severity_lowered": self.lowered,
            "findings_hidden_by_baseline": self.baselined,
        }
        return {k: v for k, v in values.items() if v}

    def skips(self) -> list[Skip]:
        """One Skip per kind of hiding, naming the count and where the rule came from."""
        out: list[Skip] = []
        if self.baselined:
            where = f" {self.baseline_source}" if self.baseline_source else ""
            out.append(
                Skip(
                    kind="findings",
                    name=_count(self.baselined),
                    reason=f"in the baseline{where}: known before this change",
                )
            )
        for rule, n in sorted(self.ignored.items()):
            out.append(
                Skip(kind="findings", name=_count(n), reason=f"rule {rule} ignored by the team")
            )
        for category, n in sorted(self.below_floor.items()):
            out.append(
                Skip(
                    kind="findings",
                    name=_count(n),
                    reason=f"{category} findings below the team's minimum severity",
                )
            )
        return out

    def summary(self) -> str:
        """A sentence for the review summary ('' when nothing was hidden)."""
        parts = []
        if self.baselined:
            parts.append(f"{self.baselined} by the baseline")
        if self.ignored:
            parts.append(f"{sum(self.ignored.values())} by rule ignores")
        if self.below_floor:
            parts.append(f"{sum(self.below_floor.values())} below a severity floor")
        if not parts:
            return ""
        return f"{_count(self.hidden)} hidden ({', '.join(parts)})."


def _count(n: int) -> str:
    return f"{n} finding{'s' if n != 1 else ''}"


def apply_finding_controls(
    findings: Sequence[Finding], controls: Controls, line_text: LineText
) -> tuple[list[Finding], ControlsOutcome]:
    """Hide ignored, below-floor and baselined findings; lower those above a category's max."""
    outcome = ControlsOutcome(baseline_source=controls.baseline_source)
    kept: list[Finding] = []
    for original in findings:
        where = (original.rule_id, original.sources, original.path)
        if any(ignore.matches(*where) for ignore in controls.ignore):
            outcome.ignored[original.rule_id] += 1
            continue
        finding, bounds = original, controls.severity.get(original.category)
        top, floor = (bounds.max, bounds.min) if bounds is not None else (None, None)
        if top is not None and not severity_at_least(top, finding.severity):
            finding = finding.model_copy(update={"severity": top})
            outcome.lowered += 1
        if floor is not None and not severity_at_least(finding.severity, floor):
            outcome.below_floor[finding.category] += 1
            continue
        kept.append(finding)
    if controls.baseline:
        known = frozenset(controls.baseline)
        printed = assign_fingerprints(kept, line_text)
        kept = [f for f in printed if f.fingerprint not in known]
        outcome.baselined = len(printed) - len(kept)
    return kept, outcome
