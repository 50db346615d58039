"""What the service wires around reviews: /ready's transcript probe, breaker metrics, --workers."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from review_bot.config.audit import AuditConfig
from review_bot.config.resilience import PolicyConfig, ResilienceConfig
from review_bot.config.service import ServiceConfig
from review_bot.config.settings import load_settings
from review_bot.errors import CircuitOpen, ModelUnavailable
from review_bot.resilience import PolicyRegistry
from review_bot.service.metrics import BreakerMetricsSink, ServiceMetrics
from review_bot.service.server import build_app
from review_bot.service.wiring import transcripts_check
from tests.service.helpers import lifespan

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parents[2]


async def test_a_writable_transcripts_directory_is_ready(tmp_path: Path) -> None:
    check = transcripts_check(AuditConfig(transcripts=str(tmp_path / "new" / "dir")))
    assert await check() is True
    assert (tmp_path / "new" / "dir").is_dir()
    assert list((tmp_path / "new" / "dir").iterdir()) == []  # the probe file is gone


async def test_a_transcripts_path_that_cannot_be_a_directory_is_not_ready(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    assert await transcripts_check(AuditConfig(transcripts=str(blocker / "dir")))() is False


async def test_recording_switched_off_needs_no_store(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    audit = AuditConfig(enabled=False, transcripts=str(blocker / "dir"))
    assert await transcripts_check(audit)() is True


async def test_postgres_transcripts_are_ready_when_the_database_answers() -> None:
    assert await transcripts_check(AuditConfig(transcripts=POSTGRES_URL))() is True


async def test_postgres_transcripts_are_not_ready_when_nothing_listens() -> None:
    audit = AuditConfig(transcripts="postgresql://postgres@127.0.0.1:9/test")
    assert await transcripts_check(audit, timeout_s=2)() is False


async def test_breaker_transitions_of_a_review_reach_the_gauge() -> None:
    metrics = ServiceMetrics()
    policy = PolicyConfig.model_validate({"max_attempts": 1, "fail_max": 2})
    registry = PolicyRegistry(ResilienceConfig(default=policy), testing=True)
    scope = registry.scope(events=BreakerMetricsSink(metrics))

    async def down() -> str:
        raise ModelUnavailable("503 from the provider")

    for _ in range(2):
        with pytest.raises(ModelUnavailable):
            await registry.call("llm:fake:m", down, scope)
    with pytest.raises(CircuitOpen):
        await registry.call("llm:fake:m", down, scope)
    text = metrics.render().decode()
    assert 'review_bot_breaker_state{dependency="llm:fake:m"} 2.0' in text


def test_several_web_workers_without_redis_are_refused() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "REVIEW_BOT_QUEUE")}
    env.update(
        GITHUB_WEBHOOK_SECRET="s", GITHUB_TOKEN="t", GITHUB_BOT_LOGIN="b", PYTHONPATH=str(ROOT)
    )
    proc = subprocess.run(
        [sys.executable, "-m", "review_bot.cli", "serve", "--workers", "2", "--port", "9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "REDIS_URL" in proc.stderr


async def test_the_served_app_freezes_its_start_up_heap() -> None:
    """Start-up objects are frozen, so a full collection no longer walks them (those walks
    were the webhook's p99 under load: benchmarks/bench_webhook.py)."""
    config = ServiceConfig(
        webhook_secrets=(SecretStr("s"),), github_token=SecretStr("t"), github_bot_login="b[bot]"
    )
    app = build_app(config, load_settings(None, {}), "tests.service.fake_reviewer:review")
    gc.unfreeze()
    transport = httpx.ASGITransport(app=app)
    try:
        async with lifespan(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            assert gc.get_freeze_count() > 10_000
            assert (await c.get("/health")).status_code == 200
    finally:
        gc.unfreeze()
