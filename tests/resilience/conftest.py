"""Shared fixtures: the fake OpenAI server and a client that never retries by itself."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import openai
import pytest

# Until pytest's pythonpath includes the repo root, make ``tests.fakes`` importable.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fakes.openai_server import FakeOpenAIServer  # noqa: E402
from tests.fakes.redis_servers import scratch_namespace  # noqa: E402


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
async def client(server: FakeOpenAIServer) -> AsyncIterator[openai.AsyncOpenAI]:
    sdk = openai.AsyncOpenAI(base_url=server.base_url, api_key="test-key", max_retries=0)
    yield sdk
    await sdk.close()


@pytest.fixture
def breaker_namespace() -> Iterator[str]:
    """A breaker namespace of our own on the machine's Redis, deleted afterwards."""
    yield from scratch_namespace("test-breaker")
