from __future__ import annotations

import pytest

from review_bot.config.resilience import PolicyConfig
from review_bot.errors import ModelRejected, ModelUnavailable, RateLimited
from review_bot.resilience.retry import backoff_ceiling, is_retryable, next_delay


@pytest.mark.parametrize(
    ("strategy", "ceilings"),
    [
        ("exponential", [1.0, 2.0, 4.0, 8.0, 10.0]),
        ("linear", [1.0, 2.0, 3.0, 4.0, 5.0]),
        ("fixed", [1.0, 1.0, 1.0, 1.0, 1.0]),
    ],
)
def test_strategies_grow_as_named_and_are_capped(strategy: str, ceilings: list[float]) -> None:
    policy = PolicyConfig.model_validate(
        {"strategy": strategy, "base_delay_s": 1.0, "max_delay_s": 10.0}
    )
    assert [backoff_ceiling(policy, n) for n in range(1, 6)] == ceilings


def test_full_jitter_spans_zero_to_the_ceiling() -> None:
    policy = PolicyConfig(base_delay_s=1.0)
    assert next_delay(policy, 3, None, rng=lambda: 0.0) == 0.0
    assert next_delay(policy, 3, None, rng=lambda: 0.5) == 2.0


def test_retry_after_is_a_floor_on_the_wait() -> None:
    policy = PolicyConfig(base_delay_s=0.1)
    assert next_delay(policy, 1, RateLimited("429", retry_after=2.0), rng=lambda: 1.0) == 2.0


def test_only_named_errors_are_retryable() -> None:
    assert is_retryable(RateLimited("429"))
    assert is_retryable(ModelUnavailable("503"))
    assert is_retryable(TimeoutError())
    assert not is_retryable(ModelRejected("401"))
    assert not is_retryable(ValueError("bug"))
