"""Cold vs warm wall time of a repeated identical workload, with Redis and with the local store.

The workload is what a review's agents do: a sequence of distinct completion requests
(each answered by a fake OpenAI-compatible server after 300 ms). "Warm" is a second run
in a fresh cache object (empty L1, as in a new process) over the same L2, so it measures
the L2 path. Prints figures; never asserts.

    .venv/bin/python benchmarks/bench_cache.py [--requests 8] [--latency 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
from autogen_core.models import ModelInfo, UserMessage
from autogen_ext.models.openai import OpenAIChatCompletionClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from review_bot.cache import MemoryStore, RedisStore, SqliteStore, TieredCache
from review_bot.cache.completions import TieredCompletionCache
from review_bot.cache.store import CacheStore
from review_bot.config.cache import CacheConfig
from tests.fakes.openai_server import FakeOpenAIServer, Reply

REDIS_URL = "redis://127.0.0.1:6379/0"
INFO = ModelInfo(
    vision=False, function_calling=True, json_output=True, family="unknown", structured_output=True
)


async def workload(server: FakeOpenAIServer, l2: CacheStore, requests: int) -> float:
    cache = TieredCache(MemoryStore(64 << 20), l2)
    inner = OpenAIChatCompletionClient(
        model="fake-model", base_url=server.base_url, api_key="x", model_info=INFO, max_retries=0
    )
    completions = TieredCompletionCache(cache, ttl_s=None)  # the agents' cache seam
    started = time.perf_counter()
    for i in range(requests):
        messages = [UserMessage(content=f"review chunk {i}", source="user")]
        request = {
            "provider": "openai",
            "model": "fake-model",
            "messages": [m.model_dump(mode="json") for m in messages],
        }
        await completions.get_or_create(request, lambda m=messages: inner.create(m))
    elapsed = time.perf_counter() - started
    await inner.close()
    await cache.close()
    return elapsed


async def bench(name: str, make_l2: object, server: FakeOpenAIServer, requests: int) -> None:
    server.reset()
    cold = await workload(server, make_l2(), requests)  # type: ignore[operator]
    calls_cold = server.completion_count
    warm = await workload(server, make_l2(), requests)  # type: ignore[operator]
    calls_warm = server.completion_count - calls_cold
    print(
        f"{name:>6}: cold {cold * 1000:8.1f} ms ({calls_cold} model calls)   "
        f"warm {warm * 1000:7.1f} ms ({calls_warm} model calls)   "
        f"warm/cold {warm / cold:6.2%}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    namespace = f"bench-{uuid.uuid4().hex}"
    with FakeOpenAIServer(default=Reply("looks fine", delay_s=args.latency)) as server:
        # warm the SDK's lazy imports and the HTTP connection path outside the timings
        await workload(server, MemoryStore(1 << 20), 1)
        config = CacheConfig(namespace=namespace)
        print(f"{args.requests} sequential completions, {args.latency * 1000:.0f} ms model latency")
        await bench("redis", lambda: RedisStore(REDIS_URL, config), server, args.requests)
        with tempfile.TemporaryDirectory() as tmp:
            await bench("local", lambda: SqliteStore(Path(tmp), 1 << 20), server, args.requests)
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{namespace}:*"))
    if keys:
        client.delete(*keys)
    client.close()


if __name__ == "__main__":
    asyncio.run(main())
