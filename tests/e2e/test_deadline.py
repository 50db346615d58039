"""The review deadline against a model that never answers, and a second review served from cache.

Both at library level, through the composition root as every entry point uses it:
``load_settings`` from a config file and the environment, ``Runtime.from_settings``,
``Runtime.review``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from review_bot.change import ChangeSet, from_files
from review_bot.compose import Runtime
from review_bot.config.settings import load_settings
from review_bot.findings import Review
from tests.fakes.openai_server import FakeOpenAIServer, Hang
from tests.fakes.redis_servers import scratch_namespace

from .conftest import FakeModel, line_of, model_env

REDIS_URL = "redis://127.0.0.1:6379/0"
BEFORE = {"app/jobs.py": '"""Jobs."""\n\nimport subprocess\n'}
AFTER_JOBS = '''"""Jobs."""

import subprocess


def run(cmd):
    """Run a command line."""
    return subprocess.call(cmd, shell=True)


def last(items):
    """The last item."""
    return items[len(items)]
'''
SHELL_LINE = line_of(AFTER_JOBS, "shell=True")
REVIEWER = json.dumps(
    {
        "findings": [
            {
                "path": "app/jobs.py",
                "line": line_of(AFTER_JOBS, "items[len(items)]"),
                "severity": "high",
                "category": "bug",
                "rule_id": "off-by-one",
                "message": "always out of range",
                "confidence": 0.9,
            }
        ]
    }
)


def _change() -> ChangeSet:
    return from_files(BEFORE, {"app/jobs.py": AFTER_JOBS})


async def _review(config: Path, env: dict[str, str]) -> Review:
    """One review by a fresh Runtime (a new process would build exactly this)."""
    runtime = Runtime.from_settings(load_settings(config, {**os.environ, **env}))
    try:
        return await runtime.review(_change())
    finally:
        await runtime.aclose()


async def test_a_hanging_model_ends_at_the_deadline_with_the_tools_findings(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    server.reset(default=Hang())
    config = tmp_path / "review-bot.toml"
    # 30 s: the deadline covers the tools phase too, which a loaded CI machine can stretch
    config.write_text("[review]\ndeadline_s = 30\n")
    review = await _review(config, model_env(server, tmp_path))
    # the hang is cut by the review's deadline, not by pytest's 300 s timeout: each agent's
    # failure says the deadline stopped it (before a call, or during the hanging one)
    agent_failures = [f for f in review.failures if f.component.startswith("agent:")]
    assert agent_failures
    for failure in agent_failures:
        assert "30.0s budget" in failure.reason or "deadline passed" in failure.reason, failure
    assert server.completion_count >= 1  # the agents did ask, and were cut off
    assert review.mode == "agents"
    assert review.partial
    assert {"agent:reviewer", "agent:security"} <= {f.component for f in review.failures}
    shell = [f for f in review.findings if f.line == SHELL_LINE]
    assert shell
    assert "tool:bandit" in shell[0].sources


@pytest.fixture
def redis_namespace() -> Iterator[str]:
    """A key prefix of our own in the real Redis, deleted afterwards (fails if Redis is down)."""
    yield from scratch_namespace("rb-e2e")


async def _twice(server: FakeOpenAIServer, config: Path, env: dict[str, str]) -> None:
    model = FakeModel(answers={"reviewer": [REVIEWER]})
    server.reset(default=model)
    first = await _review(config, env)
    asked = server.completion_count
    second = await _review(config, env)
    assert first.stats.llm_calls == asked > 0
    assert first.stats.tool_runs > 0
    assert "agent:reviewer" in {s for f in first.findings for s in f.sources}
    assert server.completion_count == asked  # the second review asked the model nothing
    assert second.stats.llm_calls == 0
    assert second.stats.tool_runs == 0
    assert second.mode == "agents"
    assert [f.model_dump() for f in second.findings] == [f.model_dump() for f in first.findings]


async def test_second_review_of_the_same_change_is_served_by_redis(
    server: FakeOpenAIServer, tmp_path: Path, redis_namespace: str
) -> None:
    config = tmp_path / "review-bot.toml"
    config.write_text(
        f'[cache]\nnamespace = "{redis_namespace}"\n'
        f'[resilience]\nbreaker_namespace = "{redis_namespace}:breaker"\n'
    )
    env = {**model_env(server, tmp_path), "REDIS_URL": REDIS_URL}
    await _twice(server, config, env)
    assert not (tmp_path / "cache").exists()  # Redis, not the local store, held the entries
    with redis.Redis.from_url(REDIS_URL) as client:
        assert any(client.scan_iter(match=f"{redis_namespace}*"))


async def test_second_review_of_the_same_change_is_served_by_the_local_store(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    config = tmp_path / "review-bot.toml"
    config.write_text("")
    env = model_env(server, tmp_path)
    await _twice(server, config, env)
    assert any((tmp_path / "cache").iterdir())
