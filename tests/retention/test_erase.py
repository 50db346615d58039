"""``review-bot erase``: one repository's or subject's data goes from every store, the rest
stays, and the erasure is recorded in a log that names nobody."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import psycopg
import pytest
import redis.asyncio as aioredis

from review_bot.audit.postgres import PostgresStore
from review_bot.audit.stores import FileStore
from review_bot.change import from_files
from review_bot.cli import main
from review_bot.compose import Runtime
from review_bot.config.settings import Settings
from review_bot.errors import InputError
from review_bot.ownership import Owner
from review_bot.retention import Places, Target, erase
from review_bot.retention.log import FileErasureLog, PostgresErasureLog
from review_bot.service.celery_app import make_celery
from review_bot.service.jobs import ReviewJob
from review_bot.service.queue import CeleryQueue
from review_bot.service.store import RedisStore
from tests.retention.conftest import POSTGRES, REDIS_URL, Deployment

ACME = Owner(repo="acme/widgets", subject="alice")
OTHER = Owner(repo="other/gadgets", subject="bob")


async def _review(settings: Settings, owner: Owner, text: str) -> str:
    runtime = Runtime.from_settings(settings)
    try:
        review = await runtime.review(from_files({}, {"app.py": text}), owner=owner)
    finally:
        await runtime.aclose()
    assert review.transcript
    return review.transcript


async def _two_repositories(d: Deployment, settings: Settings) -> tuple[str, str]:
    acme = await _review(settings, ACME, "import os\n")
    other = await _review(settings, OTHER, "import sys\n")
    store = RedisStore.from_url(REDIS_URL, d.service.redis_prefix)
    broker = aioredis.Redis.from_url(REDIS_URL)
    queue = CeleryQueue(make_celery(d.service), broker, queue=d.service.celery_queue,
                        key_prefix=d.service.redis_prefix)  # fmt: skip
    try:
        await store.put("pr:acme/widgets#7", '{"findings": []}', 3600)
        await store.put("pr:other/gadgets#1", '{"findings": []}', 3600)
        assert await store.acquire_slot("repo:acme/widgets", 2, 60)
        await queue.enqueue(_job("acme/widgets", "alice", "q-1"))  # a /review by alice
        await queue.enqueue(_job("other/gadgets", "bob", "q-2"))
    finally:
        await store.aclose()
        await broker.aclose()
    return acme, other


def _job(repo: str, login: str, delivery: str) -> ReviewJob:
    return ReviewJob(delivery_id=delivery, trigger="command", repo=repo, number=7,
                     action="review_command", requested_by=login, priority=0)  # fmt: skip


def _queued(d: Deployment) -> list[str]:
    lists = Places.from_settings(d.settings(), d.service).queue_lists
    return [json.loads(base64.b64decode(json.loads(m)["body"]))[0][0]["delivery_id"]
            for name in lists for m in d.redis.lrange(name, 0, -1)]  # fmt: skip


def _cache_keys(d: Deployment, repo: str) -> set[bytes]:
    return set(d.redis.smembers(f"{d.name}:v1:tag:repo:{repo}"))


async def test_a_repository_is_erased_everywhere_and_the_erasure_recorded(
    deployment: Deployment,
) -> None:
    d = deployment
    settings = d.settings()
    acme, other = await _two_repositories(d, settings)
    acme_entries, other_entries = _cache_keys(d, "acme/widgets"), _cache_keys(d, "other/gadgets")
    assert acme_entries
    assert other_entries
    places = Places.from_settings(settings, d.service)

    dry = erase(places, Target("repo", "acme/widgets"), operator="ops", dry_run=True)
    assert dry.erased == {"queued_jobs": 1, "service_store": 2, "cache": len(acme_entries),
                          "transcripts": 1}  # fmt: skip
    assert d.redis.exists(*acme_entries) == len(acme_entries)  # nothing went
    assert PostgresErasureLog(places.erasure_log).entries() == []

    report = erase(places, Target("repo", "acme/widgets"), operator="ops",
                   reason="GDPR request for acme/widgets")  # fmt: skip
    assert report.erased == dry.erased
    assert _queued(d) == ["q-2"]
    assert d.redis.exists(*acme_entries) == 0
    assert not d.redis.exists(f"{d.name}:v1:tag:repo:acme/widgets")
    assert d.redis.exists(*other_entries) == len(other_entries)
    assert not d.redis.exists(f"{d.name}:pr:acme/widgets#7", f"{d.name}:sem:repo:acme/widgets")
    assert d.redis.exists(f"{d.name}:pr:other/gadgets#1")
    store, acme_id = PostgresStore.from_location(acme)
    other_id = other.rsplit("/", 1)[1].split("?")[0]
    try:
        assert not store.exists(acme_id)
        assert store.exists(other_id)
    finally:
        store.close()
    assert report.transcripts == [acme_id]

    (entry,) = PostgresErasureLog(places.erasure_log).entries()
    assert entry["target"] == {"kind": "repo", "sha256": Target("repo", "acme/widgets").digest}
    assert entry["reason"] == "GDPR request for [erased]"
    assert entry["transcripts"] == [acme_id]
    with psycopg.connect(POSTGRES) as conn:
        rows = conn.execute(f'SELECT body FROM "{d.name}".review_bot_erasures').fetchall()
    assert "acme" not in str(rows)  # the log names nobody


async def test_a_subject_is_erased_from_the_transcripts_and_the_gaps_are_named(
    deployment: Deployment,
) -> None:
    d = deployment
    settings = d.settings()
    await _two_repositories(d, settings)
    for review_id, owner in (("rv_a", "alice"), ("rv_b", "bob")):  # API reviews they submitted
        record = {"id": review_id, "owner": owner, "status": "done"}
        d.redis.set(f"{d.name}:api:review:{review_id}", json.dumps(record), ex=3600)
        d.redis.set(f"{d.name}:api:change:{review_id}", "{}", ex=3600)
        d.redis.xadd(f"{d.name}:api:events:{review_id}", {"kind": "review.queued"})
    d.redis.set(f"{d.name}:api:review:rv_x", "not json", ex=3600)  # left to its TTL
    places = Places.from_settings(settings, d.service)
    first = erase(places, Target("subject", "alice"), operator="ops")
    assert first.erased == {"queued_jobs": 1, "service_store": 3, "transcripts": 1}
    assert _queued(d) == ["q-2"]  # alice's queued /review went, bob's stays
    assert not d.redis.exists(*(f"{d.name}:api:{k}:rv_a" for k in ("review", "change", "events")))
    assert d.redis.exists(*(f"{d.name}:api:{k}:rv_b" for k in ("review", "change", "events"))) == 3
    assert d.redis.exists(f"{d.name}:api:review:rv_x")
    assert any(note.startswith("cache:") for note in first.not_attributable)
    assert _cache_keys(d, "acme/widgets")  # the cache names no subject: left as it is
    second = erase(places, Target("subject", "alice"), operator="ops")
    assert second.erased == {"queued_jobs": 0, "service_store": 0, "transcripts": 0}
    entries = PostgresErasureLog(places.erasure_log).entries()
    assert [e["prev"] for e in entries][1] == entries[0]["hash"]  # chained


async def test_local_transcripts_and_local_cache_are_erased_too(
    deployment: Deployment, tmp_path: Path
) -> None:
    d = deployment
    directory = tmp_path / "transcripts"
    settings = d.settings(transcripts=str(directory), redis_cache=False)
    acme = await _review(settings, ACME, "import os\n")
    other = await _review(settings, OTHER, "import sys\n")
    places = Places.from_settings(settings, d.service)
    assert places.cache_local is not None
    report = erase(places, Target("repo", "acme/widgets"), operator="ops")
    assert report.erased["cache"] >= 1
    assert report.transcripts == [Path(acme).stem]
    assert sorted(p.stem for p in directory.glob("*.jsonl")) == [Path(other).stem]
    assert FileStore(directory).read(Path(other).stem).lines  # untouched
    log = FileErasureLog(directory / "erasures.log")
    (entry,) = log.entries()
    assert entry["transcripts"] == [Path(acme).stem]
    assert "acme" not in log.path.read_text()
    again = erase(places, Target("repo", "acme/widgets"), operator="ops")
    assert again.erased["cache"] == 0


def test_the_command_erases_and_prints_what_it_did(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = deployment
    d.redis.set(f"{d.name}:pr:acme/widgets#3", "{}")
    config = d.tmp / "cli.toml"
    config.write_text(f'[cache]\nnamespace = "{d.name}"\n')
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("REVIEW_BOT_REDIS_PREFIX", d.service.redis_prefix)
    monkeypatch.setenv("REVIEW_BOT_TRANSCRIPTS", d.transcripts)
    code = main(["erase", "--repo", "acme/widgets", "--operator", "ops", "--config", str(config)])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["erased"] == {"queued_jobs": 0, "service_store": 1, "cache": 0, "transcripts": 0}
    assert out["recorded"]
    assert "acme" not in json.dumps(out)
    assert main(["erase", "--repo", "not-a-repo"]) == 2


def test_a_bad_target_is_named() -> None:
    with pytest.raises(InputError, match="'widgets' is not OWNER/NAME"):
        Target("repo", "widgets")
    with pytest.raises(InputError, match="--subject is empty"):
        Target("subject", " ")


def test_the_erasure_log_shows_a_removed_or_edited_record(
    deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from review_bot.retention.log import first_broken

    log = FileErasureLog(tmp_path / "erasures.log")
    for n in range(3):
        log.append({"ts": str(n), "target": {"kind": "repo", "sha256": str(n)}})
    assert first_broken(log.entries()) is None
    monkeypatch.setenv("REVIEW_BOT_ERASURE_LOG", str(log.path))
    monkeypatch.setenv("REVIEW_BOT_TRANSCRIPTS", str(tmp_path / "t"))
    assert main(["retention", "erasures"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join([lines[0], lines[2]]) + "\n")  # the middle one removed
    assert first_broken(log.entries()) == 1
    assert main(["retention", "erasures"]) == 1
    assert "record 2 of 2" in capsys.readouterr().err
    log.path.write_text(lines[0].replace('"ts":"0"', '"ts":"9"') + "\n")  # edited
    assert first_broken(log.entries()) == 0
