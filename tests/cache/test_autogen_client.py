"""Issue 4 acceptance 3 and 4 at the model-client seam, against the fake OpenAI server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from autogen_core.models import CreateResult, ModelInfo, UserMessage
from autogen_ext.models.openai import OpenAIChatCompletionClient

from review_bot.cache import MemoryStore, RedisStore, SqliteStore, TieredCache, model_tag
from review_bot.cache.autogen_client import CachingChatCompletionClient
from review_bot.cache.store import CacheStore
from review_bot.config.cache import CacheConfig
from tests.fakes.openai_server import FakeOpenAIServer, Reply

REDIS_URL = "redis://127.0.0.1:6379/0"
INFO = ModelInfo(
    vision=False, function_calling=True, json_output=True, family="unknown", structured_output=True
)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(default=Reply("looks fine", delay_s=0.05)) as fake:
        yield fake


def raw_client(server: FakeOpenAIServer) -> OpenAIChatCompletionClient:
    return OpenAIChatCompletionClient(
        model="fake-model",
        base_url=server.base_url,
        api_key="test-key",
        model_info=INFO,
        max_retries=0,
        temperature=0.0,
    )


def client_for(server: FakeOpenAIServer, cache: TieredCache) -> CachingChatCompletionClient:
    return CachingChatCompletionClient(
        raw_client(server),
        cache,
        provider="openai",
        model="fake-model",
        parameters={"temperature": 0.0},
        prompt_version="p1",
        ttl_s=60,
    )


def process(l2: CacheStore | None) -> TieredCache:
    return TieredCache(MemoryStore(1 << 20), l2, lease_poll_s=0.01)


MESSAGES = [UserMessage(content="review: x = 1", source="user")]


async def test_twenty_concurrent_identical_requests_reach_the_server_once(
    server: FakeOpenAIServer, namespace: str
) -> None:
    cache = process(RedisStore(REDIS_URL, CacheConfig(namespace=namespace)))
    client = client_for(server, cache)
    results = await asyncio.gather(*(client.create(MESSAGES) for _ in range(20)))
    assert {r.content for r in results} == {"looks fine"}
    assert server.completion_count == 1
    assert client.stats.misses == 1
    await client.close()
    await cache.close()


@pytest.mark.parametrize("backend", ["redis", "local"])
async def test_a_second_process_makes_no_model_call(
    server: FakeOpenAIServer, namespace: str, tmp_path: Path, backend: str
) -> None:
    def l2() -> CacheStore:
        if backend == "redis":
            return RedisStore(REDIS_URL, CacheConfig(namespace=namespace))
        return SqliteStore(tmp_path, 1 << 20)

    first_cache, second_cache = process(l2()), process(l2())
    first, second = client_for(server, first_cache), client_for(server, second_cache)
    cold = await first.create(MESSAGES)
    warm = await second.create(MESSAGES)
    assert server.completion_count == 1
    assert isinstance(warm, CreateResult)
    assert warm.content == cold.content
    assert warm.usage == cold.usage
    assert warm.cached
    assert not cold.cached
    for c in (first, second):
        await c.close()
    for cache in (first_cache, second_cache):
        await cache.close()


async def test_model_name_and_parameters_separate_entries(server: FakeOpenAIServer) -> None:
    cache = process(None)
    client = client_for(server, cache)
    await client.create(MESSAGES)
    await client.create(MESSAGES, extra_create_args={"seed": 7})
    other = CachingChatCompletionClient(
        raw_client(server), cache, provider="openai", model="other-model"
    )
    await other.create(MESSAGES)
    await other.close()
    assert server.completion_count == 3
    assert await cache.invalidate_tag(model_tag("openai", "fake-model")) == 2
    await client.create(MESSAGES)
    assert server.completion_count == 4
    await client.close()
