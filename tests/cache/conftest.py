"""Real Redis (127.0.0.1:6379) with a unique namespace, a blackhole port, a killable Redis."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Until pytest's pythonpath includes the repo root, make ``tests.fakes`` importable.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fakes.redis_servers import Blackhole, RedisProcess, scratch_namespace  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def namespace() -> Iterator[str]:
    """A unique key namespace on the shared Redis, deleted afterwards."""
    yield from scratch_namespace("test-cache")


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    hole = Blackhole()
    yield hole
    hole.close()


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    server = RedisProcess()
    server.start()
    yield server
    server.kill()
