"""Where accepted jobs go: an in-process worker pool, or Celery workers on Redis.

Both answer ``enqueue`` only once the job is safely queued (in the bounded in-process queue,
or pushed to the Redis broker), which is when the webhook may answer 202.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import anyio
import redis.asyncio as aioredis
from kombu.exceptions import KombuError, OperationalError
from redis.exceptions import RedisError

from review_bot.errors import BulkheadFull, DependencyUnavailable, ReviewError
from review_bot.service.jobs import ReviewJob

__all__ = ["TASK_NAME", "CeleryQueue", "EmbeddedQueue", "JobQueue"]

log = logging.getLogger(__name__)

TASK_NAME = "review_bot.review_pr"
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
        self._keys = [key_prefix + queue] + [
            f"{key_prefix}{queue}{QUEUE_KEY_SEP}{p}" for p in PRIORITY_STEPS if p
        ]

    async def enqueue(self, job: ReviewJob) -> None:
        """Publish the task; returns once the broker has it (LPUSH done)."""

        def send() -> None:
            self._celery.send_task(
                TASK_NAME,
                args=[job.model_dump(mode="json")],
                queue=self._queue,
                priority=job.priority,
                task_id=f"{job.delivery_id}",
            )

        try:
            await anyio.to_thread.run_sync(send)
        except (OperationalError, KombuError, RedisError, OSError) as exc:
            raise DependencyUnavailable(
                f"cannot queue the review on the broker ({exc.__class__.__name__}); is Redis up?"
            ) from exc

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
