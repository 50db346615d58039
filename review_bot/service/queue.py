"""Where accepted jobs go: an in-process worker pool, or Celery workers on Redis.

Both answer ``enqueue`` only once the job is safely queued (in the bounded in-process queue,
or pushed to the Redis broker), which is when the webhook may answer 202.

The Celery queue does not call ``send_task``: kombu publishes synchronously (a thread per
publish, a new Redis client per publish, the GIL fought over with the event loop), which
made the webhook's p99 seconds long under load. Instead the message is built with Celery's
own ``as_task_v2`` and kombu's envelope, and LPUSHed on the async Redis client the webhook
already holds: one round trip, no thread.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from review_bot.errors import BulkheadFull, DependencyUnavailable, ReviewError
from review_bot.service.jobs import ReviewJob

__all__ = ["TASK_NAME", "Accepted", "CeleryQueue", "EmbeddedQueue", "JobQueue"]

log = logging.getLogger(__name__)

TASK_NAME = "review_bot.review_pr"

Accepted = Literal["queued", "duplicate_delivery", "duplicate_head"]
"""What :meth:`CeleryQueue.accept` did with a delivery."""

# KEYS: broker list, delivery key[, head key]; ARGV: message, ttl in ms.
# Checked, queued and remembered in one atomic step: a delivery is recorded iff its job is.
_ACCEPT = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('SET', KEYS[2], 'duplicate', 'PX', ARGV[2])
  return 2
end
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], 'queued', 'PX', ARGV[2])
if KEYS[3] then redis.call('SET', KEYS[3], 'queued', 'PX', ARGV[2]) end
return 0
"""
_ACCEPTED: tuple[Accepted, ...] = ("queued", "duplicate_delivery", "duplicate_head")
PRIORITY_STEPS = tuple(range(10))
QUEUE_KEY_SEP = ":"


class JobQueue(Protocol):
    """Accepts review jobs for asynchronous processing."""

    async def enqueue(self, job: ReviewJob) -> None:
        """Queue ``job`` durably; raise BulkheadFull/DependencyUnavailable if it cannot."""

    async def depth(self) -> int:
        """Jobs waiting to start."""

    async def ready(self) -> bool:
        """True when jobs can be queued now."""


class EmbeddedQueue:
    """A bounded priority queue drained by ``workers`` tasks in this process."""

    def __init__(
        self, handler: Callable[[ReviewJob], Awaitable[object]], *, workers: int, maxsize: int
    ) -> None:
        self._handler = handler
        self._workers = workers
        self._queue: asyncio.PriorityQueue[tuple[int, int, ReviewJob]] = asyncio.PriorityQueue(
            maxsize
        )
        self._seq = itertools.count()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Start the worker tasks (call from the app's lifespan)."""
        self._tasks = [
            asyncio.create_task(self._work(), name=f"review-worker-{i}")
            for i in range(self._workers)
        ]

    async def stop(self) -> None:
        """Cancel the workers; queued jobs are dropped (this queue is not durable)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def enqueue(self, job: ReviewJob) -> None:
        """Put ``job`` in the queue, or raise BulkheadFull when it is full."""
        try:
            self._queue.put_nowait((job.priority, next(self._seq), job))
        except asyncio.QueueFull as exc:
            raise BulkheadFull(
                f"review queue is full ({self._queue.maxsize} jobs); raise "
                "REVIEW_BOT_EMBEDDED_QUEUE_SIZE or run Celery workers (REVIEW_BOT_QUEUE=celery)"
            ) from exc

    async def depth(self) -> int:
        """Jobs waiting."""
        return self._queue.qsize()

    async def ready(self) -> bool:
        """Ready while workers run and the queue has room."""
        return bool(self._tasks) and not self._queue.full()

    async def join(self) -> None:
        """Wait until every queued job is done (tests)."""
        await self._queue.join()

    async def _work(self) -> None:
        while True:
            _, _, job = await self._queue.get()
            try:
                await self._handler(job)
            except ReviewError as exc:
                log.error("job %s %s#%s failed: %s", job.delivery_id, job.repo, job.number, exc)
            except Exception:  # the pool's error boundary: log it, keep the worker alive
                log.exception("job %s %s#%s crashed", job.delivery_id, job.repo, job.number)
            finally:
                self._queue.task_done()


class CeleryQueue:
    """Sends jobs to Celery workers through the Redis broker."""

    def __init__(
        self, celery: Any, redis_client: aioredis.Redis, *, queue: str, key_prefix: str
    ) -> None:
        self._celery = celery
        self._redis = redis_client
        self._queue = queue
        self._prefix = key_prefix
        self._keys = [self._key(p) for p in PRIORITY_STEPS]
        self._accept = redis_client.register_script(_ACCEPT)

    def _key(self, priority: int) -> str:
        """The broker list of a priority (kombu's ``_q_for_pri`` with our steps)."""
        step = max(p for p in PRIORITY_STEPS if p <= max(priority, 0))
        suffix = f"{QUEUE_KEY_SEP}{step}" if step else ""
        return f"{self._prefix}{self._queue}{suffix}"

    def message(self, job: ReviewJob) -> bytes:
        """The task message exactly as kombu's Redis transport stores it (protocol 2, JSON).

        The anonymous exchange with the queue as routing key is what kombu uses to put an
        unacknowledged message back after a worker died, so it goes back to this queue.
        """
        task = self._celery.amqp.as_task_v2(
            job.delivery_id,
            TASK_NAME,
            args=[job.model_dump(mode="json")],
            kwargs={},
            argsrepr=f"{job.repo}#{job.number} {job.action}",
            kwargsrepr="{}",
            reply_to=self._celery.thread_oid,
            ignore_result=None,  # as send_task: the task's own setting decides
        )
        body = json.dumps(list(task.body)).encode("utf-8")
        properties = {
            **task.properties,
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": self._queue},
            "priority": job.priority,
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
        }
        envelope = {
            "body": base64.b64encode(body).decode("ascii"),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": task.headers,
            "properties": properties,
        }
        return json.dumps(envelope, default=str).encode("utf-8")

    async def enqueue(self, job: ReviewJob) -> None:
        """Push the task onto the broker list; returns once Redis has it."""
        try:
            await self._redis.lpush(self._key(job.priority), self.message(job))
        except RedisError as exc:
            raise DependencyUnavailable(
                f"cannot queue the review on the broker ({exc.__class__.__name__}); is Redis up?"
            ) from exc

    async def accept(
        self, job: ReviewJob, delivery_key: str, head_key: str | None, ttl_s: float
    ) -> Accepted:
        """Queue ``job`` unless its delivery (or its head) was seen: one atomic round trip.

        The dedup keys are the state store's (same Redis, same prefix), so this replaces
        claim → enqueue → remember, which cost three round trips per webhook.
        """
        keys = [self._key(job.priority), self._prefix + delivery_key]
        if head_key is not None:
            keys.append(self._prefix + head_key)
        try:
            result = await self._accept(keys=keys, args=[self.message(job), int(ttl_s * 1000)])
        except RedisError as exc:
            raise DependencyUnavailable(
                f"cannot queue the review on the broker ({exc.__class__.__name__}); is Redis up?"
            ) from exc
        return _ACCEPTED[int(result)]

    async def depth(self) -> int:
        """Messages waiting in every priority list of the queue."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in self._keys:
                    pipe.llen(key)
                counts = await pipe.execute()
        except RedisError as exc:
            raise DependencyUnavailable(
                f"redis: cannot read the queue depth ({exc.__class__.__name__})"
            ) from exc
        return sum(int(c) for c in counts)

    async def ready(self) -> bool:
        """True when the broker's Redis answers."""
        try:
            return bool(await self._redis.ping())
        except RedisError:
            return False
