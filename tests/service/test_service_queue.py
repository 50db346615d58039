"""The Celery queue's hand-built broker message against the one Celery itself publishes.

Needs Redis on 127.0.0.1:6379 (fails, not skips, without it). A worker consuming these
messages (and getting them back after a kill -9) is covered by the e2e modules.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from review_bot.config.service import ServiceConfig
from review_bot.errors import DependencyUnavailable
from review_bot.service.celery_app import make_celery
from review_bot.service.jobs import PRIORITY_COMMAND, PRIORITY_PUSH, ReviewJob
from review_bot.service.queue import MAX_BATCH, TASK_NAME, CeleryQueue

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def broker() -> AsyncIterator[tuple[aioredis.Redis, str]]:
    prefix = f"review-bot-test-{uuid.uuid4().hex[:8]}:"
    client = aioredis.Redis.from_url(REDIS_URL)
    await client.ping()
    yield client, prefix
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def job(delivery: str, priority: int = PRIORITY_PUSH) -> ReviewJob:
    return ReviewJob(
        delivery_id=delivery,
        trigger="push" if priority == PRIORITY_PUSH else "command",
        repo="acme/widgets",
        number=3,
        action="opened",
        head_sha="a" * 40,
        installation_id=42,
        priority=priority,
    )


def comparable(raw: bytes) -> dict[str, object]:
    message = json.loads(raw)
    props = message["properties"]
    del props["delivery_tag"]  # a fresh uuid per publish
    del props["delivery_info"]  # kombu names the exchange, we name the queue directly
    message["body"] = json.loads(base64.b64decode(message["body"]))
    headers = message["headers"]
    for volatile in ("origin", "argsrepr", "kwargsrepr"):
        headers.pop(volatile, None)
    return message


async def test_the_pushed_message_is_what_celery_would_publish(broker) -> None:
    client, prefix = broker
    config = ServiceConfig(redis_url=REDIS_URL, redis_prefix=prefix)
    celery = make_celery(config)
    queue = CeleryQueue(celery, client, queue=config.celery_queue, key_prefix=prefix)

    celery.send_task(
        TASK_NAME,
        args=[job("d-1").model_dump(mode="json")],
        queue=config.celery_queue,
        priority=PRIORITY_PUSH,
        task_id="d-1",
    )
    published = await client.rpop(f"{prefix}{config.celery_queue}:{PRIORITY_PUSH}")
    await queue.enqueue(job("d-1"))
    ours = await client.rpop(f"{prefix}{config.celery_queue}:{PRIORITY_PUSH}")
    assert published is not None
    assert ours is not None
    assert comparable(ours) == comparable(published)
    info = json.loads(ours)["properties"]["delivery_info"]
    assert info == {"exchange": "", "routing_key": config.celery_queue}


async def test_commands_go_to_the_list_served_first_and_depth_counts_both(broker) -> None:
    client, prefix = broker
    config = ServiceConfig(redis_url=REDIS_URL, redis_prefix=prefix)
    queue = CeleryQueue(make_celery(config), client, queue="q", key_prefix=prefix)
    await queue.enqueue(job("push-1"))
    await queue.enqueue(job("cmd-1", PRIORITY_COMMAND))
    assert await client.llen(f"{prefix}q") == 1  # priority 0: the unsuffixed list
    assert await client.llen(f"{prefix}q:{PRIORITY_PUSH}") == 1
    assert await queue.depth() == 2


async def test_accept_queues_a_delivery_once_and_a_head_once(broker) -> None:
    client, prefix = broker
    config = ServiceConfig(redis_url=REDIS_URL, redis_prefix=prefix)
    queue = CeleryQueue(make_celery(config), client, queue="q", key_prefix=prefix)
    first = job("d-1")
    head = first.dedup_key()
    assert await queue.accept(first, "delivery:d-1", head, 60) == "queued"
    assert await queue.accept(first, "delivery:d-1", head, 60) == "duplicate_delivery"
    # a second delivery of the same head: acknowledged, remembered, not queued
    assert await queue.accept(job("d-2"), "delivery:d-2", head, 60) == "duplicate_head"
    assert await queue.accept(job("d-2"), "delivery:d-2", head, 60) == "duplicate_delivery"
    assert await queue.depth() == 1
    assert await client.get(f"{prefix}delivery:d-1") == b"queued"
    assert 0 < await client.pttl(f"{prefix}delivery:d-1") <= 60_000


async def test_accept_remembers_nothing_when_redis_refuses_the_job(broker) -> None:
    client, prefix = broker
    config = ServiceConfig(redis_url=REDIS_URL, redis_prefix=prefix)
    queue = CeleryQueue(make_celery(config), client, queue="q", key_prefix=prefix)
    await client.set(f"{prefix}q:{PRIORITY_PUSH}", "not a list")  # LPUSH fails: WRONGTYPE
    with pytest.raises(DependencyUnavailable):
        await queue.accept(job("d-9"), "delivery:d-9", None, 60)
    assert await client.exists(f"{prefix}delivery:d-9") == 0  # a redelivery is processed


class CountingScript:
    """Wraps the queue's accept script to count the calls that reach Redis."""

    def __init__(self, script) -> None:  # type: ignore[no-untyped-def]
        self.script = script
        self.calls: list[int] = []

    async def __call__(self, keys: list[str], args: list[object]) -> object:
        self.calls.append(len(keys) // 3)
        return await self.script(keys=keys, args=args)


async def test_concurrent_accepts_share_script_calls_and_keep_each_answer(broker) -> None:
    client, prefix = broker
    config = ServiceConfig(redis_url=REDIS_URL, redis_prefix=prefix)
    queue = CeleryQueue(make_celery(config), client, queue="q", key_prefix=prefix)
    counting = CountingScript(queue._accept)
    queue._accept = counting  # type: ignore[assignment]
    jobs = [job(f"d-{i}") for i in range(600)]
    calls = [queue.accept(j, f"delivery:{j.delivery_id}", None, 60) for j in jobs]
    calls.append(queue.accept(jobs[5], "delivery:d-5", None, 60))  # a copy in the same wave
    answers = await asyncio.gather(*calls)
    assert answers[:600] == ["queued"] * 600
    assert answers[600] == "duplicate_delivery"
    assert await queue.depth() == 600
    assert sum(counting.calls) == 601
    assert 1 < len(counting.calls) < 601  # batched, and no batch over MAX_BATCH
    assert max(counting.calls) <= MAX_BATCH
    assert await queue.accept(job("alone"), "delivery:alone", None, 60) == "queued"
    assert counting.calls[-1] == 1  # a lone delivery goes at once, by itself


async def test_a_refused_push_fails_only_its_own_delivery(broker) -> None:
    client, prefix = broker
    config = ServiceConfig(redis_url=REDIS_URL, redis_prefix=prefix)
    queue = CeleryQueue(make_celery(config), client, queue="q", key_prefix=prefix)
    await client.set(f"{prefix}q", "not a list")  # priority 0 (commands) refuses pushes
    outcomes = await asyncio.gather(
        queue.accept(job("push-1"), "delivery:push-1", None, 60),
        queue.accept(job("cmd-1", PRIORITY_COMMAND), "delivery:cmd-1", None, 60),
        queue.accept(job("push-2"), "delivery:push-2", None, 60),
        return_exceptions=True,
    )
    assert outcomes[0] == outcomes[2] == "queued"
    assert isinstance(outcomes[1], DependencyUnavailable)
    assert "holds something other than a list" in str(outcomes[1])
    assert await client.exists(f"{prefix}delivery:cmd-1") == 0
    assert await client.llen(f"{prefix}q:{PRIORITY_PUSH}") == 2


async def test_every_waiting_delivery_fails_fast_when_redis_is_gone() -> None:
    config = ServiceConfig(redis_url="redis://127.0.0.1:9/0", redis_prefix="x:")
    dead = aioredis.Redis.from_url(config.redis_url, socket_connect_timeout=0.5)
    queue = CeleryQueue(make_celery(config), dead, queue="q", key_prefix="x:")
    outcomes = await asyncio.wait_for(
        asyncio.gather(
            *(queue.accept(job(f"d-{i}"), f"delivery:d-{i}", None, 60) for i in range(20)),
            return_exceptions=True,
        ),
        timeout=10,
    )
    assert all(isinstance(o, DependencyUnavailable) for o in outcomes)
    assert "is Redis up?" in str(outcomes[0])
    await dead.aclose()
