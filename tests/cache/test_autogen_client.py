"""Issue 4 acceptance 3 and 4 at the agents' completion-cache seam, against the fake server.

The model seam's ``Cached`` wrapper asks ``TieredCompletionCache.get_or_create(request,
create)`` with the redacted request it is about to send; :class:`CachedModel` is that wrapper
around the AutoGen OpenAI client's provider adapter, so these tests exercise the cache path
reviews use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from autogen_core.models import ModelInfo
from autogen_ext.models.openai import OpenAIChatCompletionClient

from review_bot.agents.client import ProviderModel
from review_bot.cache import MemoryStore, RedisStore, SqliteStore, TieredCache, model_tag
from review_bot.cache.completions import completion_cache
from review_bot.cache.store import CacheStats, CacheStore
from review_bot.config.cache import CacheConfig
from review_bot.llm import ModelResponse, RequestSettings, UserMessage
from review_bot.llm.wrappers import Cached
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


class CachedModel:
    """A model behind the completion cache, keyed like the agents' stack keys its requests."""

    def __init__(
        self, server: FakeOpenAIServer, cache: TieredCache, model: str = "fake-model"
    ) -> None:
        self._provider = ProviderModel(raw_client(server), model)
        self.stats = CacheStats()
        scope = {"provider": "openai", "temperature": 0.0, "prompt_version": "p1"}
        self._model = Cached(
            self._provider,
            completion_cache(cache, ttl_s=60, stats=self.stats),
            model=model,
            scope=scope,
        )

    async def create(
        self, messages: list[UserMessage], extra_create_args: Mapping[str, int] | None = None
    ) -> ModelResponse:
        settings = RequestSettings(extra=dict(extra_create_args or {}))
        return await self._model.request(messages, settings)

    async def close(self) -> None:
        await self._provider.close()


def client_for(server: FakeOpenAIServer, cache: TieredCache) -> CachedModel:
    return CachedModel(server, cache)


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
    assert isinstance(warm, ModelResponse)
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
    other = CachedModel(server, cache, model="other-model")
    await other.create(MESSAGES)
    await other.close()
    assert server.completion_count == 3
    assert await cache.invalidate_tag(model_tag("openai", "fake-model")) == 2
    await client.create(MESSAGES)
    assert server.completion_count == 4
    await client.close()


def test_entries_stored_before_the_model_seam_still_read() -> None:
    from autogen_core import FunctionCall
    from autogen_core.models import CreateResult, RequestUsage

    from review_bot.cache.completions import ModelResponseCodec
    from review_bot.llm import ToolCall

    old = CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="c1", name="read_file_lines", arguments="{}")],
        usage=RequestUsage(prompt_tokens=9, completion_tokens=2),
        cached=False,
    )
    read = ModelResponseCodec().decode(old.model_dump_json().encode())
    assert read.content == [ToolCall(id="c1", name="read_file_lines", arguments="{}")]
    assert (read.usage.prompt_tokens, read.usage.completion_tokens) == (9, 2)
    assert read.finish_reason == "function_calls"
