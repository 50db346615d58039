"""The policy stack with scripted callables (no network) and the no-sleep switch."""

from __future__ import annotations

import asyncio

import pytest

from review_bot.config.resilience import PolicyConfig, ResilienceConfig
from review_bot.errors import (
    BulkheadFull,
    CircuitOpen,
    DeadlineExceeded,
    ModelRejected,
    ModelUnavailable,
    RateLimited,
    ToolTimeout,
)
from review_bot.events import RecordingSink
from review_bot.resilience import Deadline, PolicyRegistry
from review_bot.resilience.breaker import sync_redis_client


class Script:
    """A dependency that fails with the given errors, then answers ``"ok"``."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def registry(**policy: object) -> PolicyRegistry:
    return PolicyRegistry(
        ResilienceConfig(default=PolicyConfig.model_validate(policy)), testing=True
    )


async def test_retryable_errors_are_retried_and_reported() -> None:
    reg = registry(max_attempts=3)
    sink = RecordingSink()
    scope = reg.scope(events=sink)
    dep = Script(ModelUnavailable("503"), RateLimited("429", retry_after=1))
    assert await reg.call("llm:openai:m", dep, scope) == "ok"
    assert dep.calls == 3
    assert scope.stats.retries == 2
    retries = [data for kind, data in sink.events if kind == "resilience.retry"]
    assert [r["error_type"] for r in retries] == ["ModelUnavailable", "RateLimited"]
    assert retries[1]["sleep_s"] >= 1.0


async def test_rejections_are_not_retried() -> None:
    reg = registry(max_attempts=5)
    dep = Script(ModelRejected("401"))
    with pytest.raises(ModelRejected):
        await reg.call("llm:openai:m", dep)
    assert dep.calls == 1


async def test_attempts_are_bounded_and_the_last_error_surfaces() -> None:
    reg = registry(max_attempts=3, fail_max=100)
    dep = Script(*(ModelUnavailable(f"503 #{i}") for i in range(10)))
    with pytest.raises(ModelUnavailable, match="#2"):
        await reg.call("llm:openai:m", dep)
    assert dep.calls == 3


async def test_raw_timeouts_surface_as_the_dependencys_error_type() -> None:
    reg = registry(max_attempts=2)
    with pytest.raises(ToolTimeout, match="tool:ruff") as info:
        await reg.call("tool:ruff", Script(TimeoutError(), TimeoutError()))
    assert isinstance(info.value.__cause__, TimeoutError)


async def test_a_retry_after_past_the_deadline_gives_up_without_sleeping() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    reg = PolicyRegistry(ResilienceConfig(default=PolicyConfig(max_attempts=5)), sleep=sleep)
    scope = reg.scope(deadline=Deadline(1.0))
    dep = Script(RateLimited("429", retry_after=30))
    with pytest.raises(DeadlineExceeded, match="deadline") as info:
        await reg.call("llm:openai:m", dep, scope)
    assert isinstance(info.value.__cause__, RateLimited)
    assert dep.calls == 1
    assert slept == []


async def test_no_call_starts_without_budget() -> None:
    reg = registry(min_budget_s=0.5)
    dep = Script()
    scope = reg.scope(deadline=Deadline(0.1))
    with pytest.raises(DeadlineExceeded):
        await reg.call("llm:openai:m", dep, scope)
    assert dep.calls == 0
    assert scope.stats.deadline_rejections == 1


async def test_breaker_opens_fails_fast_and_closes_after_a_good_probe() -> None:
    reg = registry(max_attempts=1, fail_max=3, reset_timeout_s=0.2)
    sink = RecordingSink()
    scope = reg.scope(events=sink)
    dep = Script(*(ModelUnavailable("503") for _ in range(3)))
    for _ in range(3):
        with pytest.raises(ModelUnavailable):
            await reg.call("llm:openai:m", dep, scope)
    with pytest.raises(CircuitOpen, match="llm:openai:m"):
        await reg.call("llm:openai:m", dep, scope)
    assert dep.calls == 3
    assert scope.stats.breaker_opens == 1
    assert scope.stats.breaker_rejections == 1

    # the breaker's reset timeout runs on the wall clock: retry until it lets a probe through
    async def probe() -> str:
        while True:
            try:
                return await reg.call("llm:openai:m", dep, scope)
            except CircuitOpen:
                await asyncio.sleep(0.02)

    assert await asyncio.wait_for(probe(), 30) == "ok"
    assert dep.calls == 4  # rejected calls never reached the dependency
    assert reg.get("llm:openai:m").breaker_state == "closed"
    transitions = [(d["old"], d["new"]) for k, d in sink.events if k == "resilience.breaker"]
    assert transitions == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]


async def test_client_errors_do_not_open_the_breaker() -> None:
    reg = registry(max_attempts=1, fail_max=2)
    dep = Script(*(ModelRejected("400") for _ in range(5)))
    for _ in range(5):
        with pytest.raises(ModelRejected):
            await reg.call("llm:openai:m", dep)
    assert reg.get("llm:openai:m").breaker_state == "closed"


async def test_bulkhead_rejects_after_its_bounded_wait() -> None:
    reg = registry(max_concurrency=1, bulkhead_wait_s=0.05)
    scope = reg.scope()
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "slow"

    first = asyncio.create_task(reg.call("tool:ruff", slow, scope))
    await asyncio.sleep(0)
    with pytest.raises(BulkheadFull, match="tool:ruff"):
        await reg.call("tool:ruff", slow, scope)
    release.set()
    assert await first == "slow"
    assert scope.stats.bulkhead_waits == 1
    assert scope.stats.bulkhead_rejections == 1


def test_overrides_pick_exact_then_longest_pattern() -> None:
    config = ResilienceConfig(
        dependencies={
            "llm:*": PolicyConfig(max_attempts=2),
            "llm:openai:*": PolicyConfig(max_attempts=3),
            "llm:openai:gpt-4o": PolicyConfig(max_attempts=4),
        }
    )
    assert config.for_dependency("llm:openai:gpt-4o").max_attempts == 4
    assert config.for_dependency("llm:openai:o3").max_attempts == 3
    assert config.for_dependency("llm:vllm:x").max_attempts == 2
    assert config.for_dependency("tool:ruff") == config.default


def test_config_round_trips_and_reads_redis_url() -> None:
    config = ResilienceConfig.from_env(
        {"REDIS_URL": "redis://127.0.0.1:6379/0"},
        dependencies={"tool:*": {"max_attempts": 1, "strategy": "linear"}},
    )
    assert config.redis_url == "redis://127.0.0.1:6379/0"
    assert ResilienceConfig.model_validate(config.model_dump(mode="json")) == config


async def test_breaker_state_is_shared_through_redis(breaker_namespace: str) -> None:
    config = ResilienceConfig(
        default=PolicyConfig(max_attempts=1, fail_max=2, reset_timeout_s=60),
        redis_url="redis://127.0.0.1:6379/0",
        breaker_namespace=breaker_namespace,
    )
    worker_a = PolicyRegistry(config, testing=True)
    worker_b = PolicyRegistry(
        config, testing=True, breaker_redis=sync_redis_client("redis://127.0.0.1:6379/0", 0.1)
    )
    dep = Script(ModelUnavailable("503"), ModelUnavailable("503"))
    for _ in range(2):
        with pytest.raises(ModelUnavailable):
            await worker_a.call("llm:openai:m", dep)
    await worker_a.get("llm:openai:m").flush_breaker()  # its writes go to Redis off the loop
    with pytest.raises(CircuitOpen):
        await worker_b.call("llm:openai:m", dep)
    assert dep.calls == 2
    worker_a.close()
    worker_b.close()


class Hangs:
    """A dependency that never answers (its attempts end only by the attempt timeout)."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.Event().wait()
        return "never"


async def test_a_tool_past_its_attempt_limit_is_not_retried() -> None:
    """The same files would run out of time again: one attempt, a ToolTimeout naming it."""
    reg = registry(max_attempts=4, attempt_timeout_s=0.05, fail_max=100)
    tool = Hangs()
    with pytest.raises(ToolTimeout, match=r"'tool:shellcheck' ran past its 0\.05s attempt limit"):
        await reg.call("tool:shellcheck", tool)
    assert tool.calls == 1
    model = Hangs()
    with pytest.raises(ModelUnavailable):
        await reg.call("llm:openai:m", model)
    assert model.calls == 4  # a model that hung may answer the next attempt
