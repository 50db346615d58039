"""Issue 4 acceptance: the policy stack against a fault-injecting OpenAI-compatible server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletion

from review_bot.config.resilience import PolicyConfig, ResilienceConfig
from review_bot.errors import CircuitOpen, DeadlineExceeded, ModelRejected, ModelUnavailable
from review_bot.resilience import Deadline, PolicyRegistry
from review_bot.resilience.openai_errors import translate_openai_errors
from tests.fakes.openai_server import (
    FakeOpenAIServer,
    Hang,
    Reply,
    context_length_exceeded,
    rate_limited,
    server_error,
    unauthorized,
)

MODEL = "llm:openai:fake-model"


def ask(client: openai.AsyncOpenAI) -> Callable[[], Awaitable[ChatCompletion]]:
    async def call() -> ChatCompletion:
        with translate_openai_errors(MODEL):
            return await client.chat.completions.create(
                model="fake-model", messages=[{"role": "user", "content": "review this"}]
            )

    return call


def registry(testing: bool = True, **policy: object) -> PolicyRegistry:
    config = ResilienceConfig(default=PolicyConfig.model_validate(policy))
    return PolicyRegistry(config, testing=testing)


async def test_retry_after_is_honoured_in_real_time(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.script(rate_limited(retry_after=2))
    reg = registry(testing=False, max_attempts=3, base_delay_s=0.01)
    result = await reg.call(MODEL, ask(client))
    assert result.choices[0].message.content == "ok"
    first, second = server.completions
    assert first.answered_at is not None
    assert second.received_at - first.answered_at >= 2.0


@pytest.mark.parametrize("failure", [unauthorized(), context_length_exceeded()])
async def test_rejections_fail_on_the_first_attempt(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI, failure: object
) -> None:
    server.reset(default=failure)  # type: ignore[arg-type]
    reg = registry(max_attempts=5)
    with pytest.raises(ModelRejected):
        await reg.call(MODEL, ask(client))
    assert server.completion_count == 1


async def test_breaker_opens_then_fails_fast_then_a_probe_closes_it(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.reset(default=server_error(503))
    reg = registry(max_attempts=2, fail_max=3, reset_timeout_s=0.3)
    for _ in range(3):
        with pytest.raises(ModelUnavailable):
            await reg.call(MODEL, ask(client))
    assert server.completion_count == 6
    for _ in range(5):
        with pytest.raises(CircuitOpen):
            await reg.call(MODEL, ask(client))
    assert server.completion_count == 6  # failing fast: nothing reached the server

    server.reset(default=Reply("recovered"))

    async def probe() -> Any:  # until the breaker's (wall-clock) reset timeout lets one through
        while True:
            try:
                return await reg.call(MODEL, ask(client))
            except CircuitOpen:
                await asyncio.sleep(0.02)

    result = await asyncio.wait_for(probe(), 30)
    assert result.choices[0].message.content == "recovered"
    assert reg.get(MODEL).breaker_state == "closed"
    assert server.completion_count == 1


async def test_attempts_at_the_server_never_exceed_the_bound(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.reset(default=server_error(500))
    reg = registry(max_attempts=4, fail_max=100)
    for _ in range(3):
        with pytest.raises(ModelUnavailable):
            await reg.call(MODEL, ask(client))
    assert server.completion_count == 12


async def test_bulkhead_bounds_in_flight_requests_at_the_server(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.reset(default=Reply(delay_s=0.05))
    reg = registry(max_concurrency=4, bulkhead_wait_s=60)
    scope = reg.scope()
    results = await asyncio.gather(*(reg.call(MODEL, ask(client), scope) for _ in range(50)))
    assert len(results) == 50
    assert server.completion_count == 50
    assert server.max_in_flight <= 4
    assert scope.stats.bulkhead_waits > 0


async def test_a_hanging_server_ends_at_the_deadline(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.reset(default=Hang())
    reg = registry(max_attempts=5)
    scope = reg.scope(deadline=Deadline(0.5))
    with pytest.raises(DeadlineExceeded):
        await reg.call(MODEL, ask(client), scope)
    assert server.completion_count == 1


async def test_retry_after_header_in_milliseconds_is_parsed(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.script(rate_limited(retry_after=None, retry_after_ms=1500))
    reg = registry(max_attempts=2)
    sink_scope = reg.scope()
    await reg.call(MODEL, ask(client), sink_scope)
    assert sink_scope.stats.retries == 1
