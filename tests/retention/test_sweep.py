"""``review-bot retention run``: what is past its period goes, TTLs longer than the period
are capped, the rest is left alone; a dry run changes nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from review_bot.audit.postgres import PostgresStore
from review_bot.audit.records import GENESIS, seal
from review_bot.cache.local import SqliteStore, local_path
from review_bot.cli.retention import run_every
from review_bot.config.retention import DAY_S, RetentionConfig
from review_bot.config.settings import load_settings
from review_bot.errors import ConfigError, DependencyUnavailable
from review_bot.retention import Places, run_retention
from tests.retention.conftest import REDIS_URL, Deployment

ROOT = Path(__file__).resolve().parents[2]
NOW = time.time()


def _record(transcript_id: str, store: PostgresStore, days_ago: float) -> None:
    ts = (datetime.fromtimestamp(NOW, UTC) - timedelta(days=days_ago)).isoformat(
        timespec="microseconds"
    )
    store.append(transcript_id, seal(1, ts, "review.started", {}, GENESIS))


def test_redis_ttls_are_capped_and_old_transcripts_deleted(deployment: Deployment) -> None:
    d = deployment
    r, p = d.redis, d.name
    r.set(f"{p}:pr:acme/widgets#7", "{}", px=int(60 * DAY_S * 1000))  # written under 60 days
    r.set(f"{p}:pr:acme/widgets#8", "{}")  # no TTL at all
    r.set(f"{p}:pr:acme/widgets#9", "{}", px=3_600_000)  # already shorter: left alone
    r.set(f"{p}:delivery:d-1", "queued", px=int(30 * DAY_S * 1000))
    r.set(f"{p}:api:review:rv_1", "{}", px=int(60 * DAY_S * 1000))  # an API review's record
    r.xadd(f"{p}:api:events:rv_1", {"kind": "review.queued"})  # and its stream, no TTL
    r.set(f"{p}:v1:tool:abc", b"x", px=int(90 * DAY_S * 1000))
    r.set(f"{p}:other", "not ours to touch")
    store = PostgresStore.from_url(d.transcripts)
    try:
        _record("old-one", store, days_ago=400)
        _record("recent", store, days_ago=10)
    finally:
        store.close()
    settings = d.settings(retention="reviews_days = 30\nevents_days = 7\ncache_days = 14")
    places = Places.from_settings(settings, d.service)

    dry = run_retention(settings, places, dry_run=True, now=lambda: NOW)
    assert dry.counts["service_store.reviews_capped"] == 3
    assert r.pttl(f"{p}:pr:acme/widgets#8") == -1  # dry: unchanged
    assert dry.transcripts == ["old-one"]

    report = run_retention(settings, places, now=lambda: NOW)
    assert report.counts == {
        "service_store.reviews_capped": 3,
        "service_store.events_capped": 2,
        "cache.redis_capped": 1,
        "transcripts.deleted": 1,
    }
    for key in ("pr:acme/widgets#7", "pr:acme/widgets#8"):
        assert 0 < r.pttl(f"{p}:{key}") <= 30 * DAY_S * 1000
    assert r.pttl(f"{p}:pr:acme/widgets#9") <= 3_600_000
    assert 0 < r.pttl(f"{p}:api:review:rv_1") <= 30 * DAY_S * 1000
    assert 0 < r.pttl(f"{p}:api:events:rv_1") <= 7 * DAY_S * 1000
    assert 0 < r.pttl(f"{p}:delivery:d-1") <= 7 * DAY_S * 1000
    assert 0 < r.pttl(f"{p}:v1:tool:abc") <= 14 * DAY_S * 1000
    assert r.pttl(f"{p}:other") == -1
    store = PostgresStore.from_url(d.transcripts)
    try:
        assert not store.exists("old-one")
        assert store.exists("recent")
    finally:
        store.close()


async def test_the_local_cache_and_transcript_directory(
    deployment: Deployment, tmp_path: Path
) -> None:
    directory = tmp_path / "transcripts"
    directory.mkdir()
    old, recent = directory / "old.jsonl", directory / "recent.jsonl"
    for path in (old, recent):
        path.write_text("{}\n")
    os.utime(old, (NOW - 400 * DAY_S, NOW - 400 * DAY_S))
    settings = deployment.settings(transcripts=str(directory), redis_cache=False)
    assert settings.cache.local_dir is not None
    cache = SqliteStore(settings.cache.local_dir, 1 << 20, clock=lambda: NOW - 30 * DAY_S)
    await cache.set("tool:expired", b"x", ttl_s=DAY_S)  # expired 29 days ago
    await cache.set("tool:forever", b"y", ttl_s=None, tags=["repo:acme/widgets"])
    await cache.close()
    places = Places.from_settings(settings, deployment.service)
    report = run_retention(settings, places, now=lambda: NOW)
    assert report.counts["cache.local_expired"] == 1
    assert report.transcripts == ["old"]
    assert sorted(p.name for p in directory.iterdir()) == ["recent.jsonl"]
    with sqlite3.connect(local_path(settings.cache.local_dir)) as db:
        rows = db.execute("SELECT key, expires_at FROM entries").fetchall()
    ((key, expires),) = rows
    assert key == "tool:forever"
    assert expires == pytest.approx(NOW + settings.retention.cache_s)


def test_cache_ttls_never_outlive_the_cache_retention() -> None:
    settings = load_settings(None, {"REVIEW_BOT_RETENTION_CACHE_DAYS": "2"})
    assert settings.cache.tool_ttl_s == settings.cache.completion_ttl_s == 2 * DAY_S
    assert settings.audit.retention_days > settings.retention.reviews_days  # an audit trail
    with pytest.raises(ConfigError, match="reviews_days"):
        load_settings(None, {"REVIEW_BOT_RETENTION_REVIEWS_DAYS": "-1"})
    config = RetentionConfig(reviews_days=3, erasure_log="/srv/erasures.log")
    assert RetentionConfig.model_validate(config.model_dump()) == config


def test_a_scheduled_run_survives_a_failed_one() -> None:
    calls: list[str] = []

    def once() -> None:
        calls.append("run")
        if len(calls) == 1:
            raise DependencyUnavailable("redis: ConnectionError")

    def sleep(seconds: float) -> None:
        calls.append(f"sleep {seconds:g}")
        if len(calls) >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_every(once, 3600, sleep=sleep)
    assert calls == ["run", "sleep 3600", "run", "sleep 3600"]


def test_the_command_prints_its_report(deployment: Deployment) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": REDIS_URL,
        "REVIEW_BOT_REDIS_PREFIX": deployment.service.redis_prefix,
        "REVIEW_BOT_TRANSCRIPTS": deployment.transcripts,
    }
    deployment.redis.set(f"{deployment.name}:pr:acme/widgets#1", "{}")
    proc = subprocess.run(
        [sys.executable, "-m", "review_bot.cli", "retention", "run", "--dry-run"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["dry_run"] is True
    assert report["counts"]["service_store.reviews_capped"] == 1
