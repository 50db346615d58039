"""The review's time budget, carried through every call it makes."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from review_bot.errors import DeadlineExceeded

__all__ = ["Clock", "Deadline"]

Clock = Callable[[], float]


class Deadline:
    """A point on a monotonic clock after which the review stops starting work.

    One per review, shared by every policy call it makes, so retries and queueing of one
    dependency cannot eat the time of the rest. The clock is injectable for tests and replay.
    """

    def __init__(self, budget_s: float | None, clock: Clock = time.monotonic) -> None:
        if budget_s is not None and budget_s < 0:
            raise ValueError(f"deadline budget {budget_s!r} is negative: pass seconds >= 0")
        self._clock = clock
        self._budget = budget_s
        self._at = math.inf if budget_s is None else clock() + budget_s

    @classmethod
    def unbounded(cls, clock: Clock = time.monotonic) -> Deadline:
        """A deadline that never passes (library calls without a budget)."""
        return cls(None, clock)

    @property
    def budget_s(self) -> float | None:
        """The budget this deadline was created with (None: unbounded)."""
        return self._budget

    def remaining(self) -> float:
        """Seconds left (never negative; ``inf`` when unbounded)."""
        return max(0.0, self._at - self._clock())

    @property
    def expired(self) -> bool:
        """True once no time is left."""
        return self.remaining() <= 0.0

    def require(self, seconds: float, what: str) -> None:
        """Raise DeadlineExceeded unless at least ``seconds`` are left for ``what``."""
        left = self.remaining()
        if left < seconds or left <= 0.0:
            raise DeadlineExceeded(
                f"not starting {what!r}: {left:.3f}s of the review's {self._budget!r}s budget "
                f"left, {seconds:.3f}s needed; raise the review deadline or lower the work"
            )

    def cap(self, seconds: float) -> float:
        """``seconds`` shortened to what is left of the budget."""
        return min(seconds, self.remaining())
