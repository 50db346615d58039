from __future__ import annotations

import math

import pytest

from review_bot.errors import DeadlineExceeded
from review_bot.resilience import Deadline


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_remaining_follows_the_clock_and_never_goes_negative() -> None:
    clock = FakeClock()
    deadline = Deadline(10, clock)
    clock.now += 4
    assert deadline.remaining() == pytest.approx(6)
    clock.now += 20
    assert deadline.remaining() == 0
    assert deadline.expired


def test_require_refuses_a_call_without_enough_budget_and_names_it() -> None:
    clock = FakeClock()
    deadline = Deadline(1, clock)
    deadline.require(0.5, "llm:openai:m")
    clock.now += 0.8
    with pytest.raises(DeadlineExceeded, match="llm:openai:m"):
        deadline.require(0.5, "llm:openai:m")


def test_unbounded_never_expires_and_cap_keeps_the_limit() -> None:
    deadline = Deadline.unbounded()
    assert deadline.remaining() == math.inf
    assert deadline.cap(3.0) == 3.0


def test_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="-1"):
        Deadline(-1)
