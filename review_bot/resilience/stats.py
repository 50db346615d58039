"""Counters of the resilience layer, folded into a review's stats."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["ResilienceStats"]


@dataclass
class ResilienceStats:
    """What the policies did during one review (or, on a policy, over the process).

    Mutable on purpose: policies increment it while calls run; ``as_review_stats`` gives the
    flat dict ``ReviewStats`` accepts as extra keys.
    """

    calls: int = 0
    retries: int = 0
    breaker_opens: int = 0
    breaker_rejections: int = 0
    bulkhead_waits: int = 0
    bulkhead_rejections: int = 0
    deadline_rejections: int = 0
    failures: int = 0

    def as_review_stats(self) -> dict[str, int]:
        """The counters as ``ReviewStats`` extra keys."""
        return dict(asdict(self))
