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
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol

import redis.asyncio as aioredis
from celery.utils.nodenames import anon_nodename
from redis.exceptions import RedisError

from review_bot.errors import BulkheadFull, DependencyUnavailable, ReviewError
from review_bot.service.jobs import ReviewJob

__all__ = ["TASK_NAME", "Accepted", "CeleryQueue", "EmbeddedQueue", "JobQueue"]

log = logging.getLogger(__name__)

TASK_NAME = "review_bot.review_pr"

Accepted = Literal["queued", "duplicate_delivery", "duplicate_head"]
"""What :meth:`CeleryQueue.accept` did with a delivery."""

# KEYS: per delivery, its broker list, delivery key and head key ('' when none);
# ARGV: per delivery, its message and ttl in ms. Answers a status per delivery.
# Each delivery is checked, queued and remembered in one atomic step (a delivery is recorded
# iff its job is), in arrival order, so a duplicate later in the same batch is caught. A push
# the list refuses (WRONGTYPE) records nothing and does not stop the rest of the batch.
_ACCEPT = """
local out = {}
for i = 1, #KEYS / 3 do
  local list, delivery, head = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local message, ttl = ARGV[2 * i - 1], ARGV[2 * i]
  if redis.call('EXISTS', delivery) == 1 then
    out[i] = 1
  elseif head ~= '' and redis.call('EXISTS', head) == 1 then
    redis.call('SET', delivery, 'duplicate', 'PX', ttl)
    out[i] = 2
  else
    local pushed = redis.pcall('LPUSH', list, message)
    if type(pushed) == 'table' and pushed.err then
      out[i] = 3
    else
      redis.call('SET', delivery, 'queued', 'PX', ttl)
      if head ~= '' then redis.call('SET', head, 'queued', 'PX', ttl) end
      out[i] = 0
    end
  end
end
return out
"""
_REFUSED = 3
MAX_BATCH = 256  # deliveries per script call: bounds how long one call holds Redis
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
        self,
        handler: Callable[[ReviewJob], Awaitable[object]],
        *,
        workers: int,
        maxsize: int,
        call_later: Callable[[float, Callable[[], None]], object] | None = None,
    ) -> None:
        self._handler = handler
        self._call_later = call_later
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

    def later(self, delay_s: float, job: ReviewJob) -> None:
        """Queue ``job`` again in ``delay_s`` seconds (a rescheduled job; not durable)."""

        def requeue() -> None:
            try:
                self._queue.put_nowait((job.priority, next(self._seq), job))
            except asyncio.QueueFull:
                log.error(
                    "job %s %s#%s lost: the queue is full", job.delivery_id, job.repo, job.number
                )

        schedule = self._call_later or (
            lambda delay, fn: asyncio.get_running_loop().call_later(delay, fn)
        )
        schedule(delay_s, requeue)

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
    """Sends jobs to Celery workers through the Redis broker.

    :meth:`accept` commits in groups: the deliveries that arrive while one script call is
    in flight go to Redis together in the next (each still checked and queued atomically,
    in arrival order). Under load that turns a round trip and a command's client-side cost
    per delivery into one per batch; a lone delivery goes at once.
    """

    def __init__(
        self, celery: Any, redis_client: aioredis.Redis, *, queue: str, key_prefix: str
    ) -> None:
        self._celery = celery
        self._redis = redis_client
        self._queue = queue
        self._prefix = key_prefix
        # kombu's ``_q_for_pri``: step 0 is the bare queue name, others get a suffix
        self._keys = [
            f"{key_prefix}{queue}{QUEUE_KEY_SEP}{step}" if step else f"{key_prefix}{queue}"
            for step in PRIORITY_STEPS
        ]
        self._accept = redis_client.register_script(_ACCEPT)
        self._pending: list[tuple[list[str], list[bytes | int], asyncio.Future[int]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._origin: tuple[int, str] | None = None

    def _list(self, priority: int) -> str:
        """The broker list of a priority (clamped to our steps)."""
        return self._keys[min(max(priority, 0), len(self._keys) - 1)]

    def _node(self) -> str:
        """Celery's ``origin`` header (``gen<pid>@host``), worked out once per process."""
        pid = os.getpid()
        if self._origin is None or self._origin[0] != pid:
            self._origin = (pid, anon_nodename())
        return self._origin[1]

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
            origin=self._node(),
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
            await self._redis.lpush(self._list(job.priority), self.message(job))
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def accept(
        self, job: ReviewJob, delivery_key: str, head_key: str | None, ttl_s: float
    ) -> Accepted:
        """Queue ``job`` unless its delivery (or its head) was seen, atomically.

        The dedup keys are the state store's (same Redis, same prefix), so this replaces
        claim → enqueue → remember. Returns once Redis has answered for this delivery.
        """
        keys = [
            self._list(job.priority),
            self._prefix + delivery_key,
            "" if head_key is None else self._prefix + head_key,
        ]
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((keys, [self.message(job), int(ttl_s * 1000)], done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="celery-queue-accept")
        status = await done
        if status == _REFUSED:
            raise DependencyUnavailable(
                f"the broker's Redis refused the job for {job.repo}#{job.number} (the queue "
                f"key {keys[0]!r} holds something other than a list); nothing was recorded"
            )
        return _ACCEPTED[status]

    async def _flush(self) -> None:
        """Send what is pending, up to MAX_BATCH a call, one call in flight, until none is."""
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            keys = [key for entry in batch for key in entry[0]]
            args = [arg for entry in batch for arg in entry[1]]
            try:
                statuses = [int(x) for x in await self._accept(keys=keys, args=args)]
                if len(statuses) != len(batch):
                    raise RedisError(f"{len(statuses)} answers for {len(batch)} deliveries")
            except RedisError as exc:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(_unavailable(exc))
                continue
            except BaseException:  # cancelled (shutdown): nobody is left waiting
                for _, _, done in batch + self._pending:
                    done.cancel()
                self._pending = []
                raise
            for (_, _, done), status in zip(batch, statuses, strict=True):
                if not done.done():
                    done.set_result(status)

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


def _unavailable(exc: RedisError) -> DependencyUnavailable:
    return DependencyUnavailable(
        f"cannot queue the review on the broker ({exc.__class__.__name__}); is Redis up?"
    )
