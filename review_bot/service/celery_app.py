"""The Celery app for ``review-bot worker``: Redis broker, late acks, idempotent tasks.

A job GitHub rate limits (or fails) is retried with the reset as its countdown, for a
bounded total delay (``service/retrying.py``). A task is acknowledged only after it
finishes (``acks_late``); if its worker dies the
message returns to the queue when the visibility timeout passes (or at once when a pool
child is lost), and the runner's markers make the repeat post nothing twice. Priorities
use the Redis transport's priority lists: lower numbers are served first.

Tasks run on Celery's thread pool, but their coroutines all run on one event loop per
process (:class:`LoopThread`): the review runtime's bulkheads, breakers and Redis clients
belong to a loop, and one shared loop lets every job of the worker use the same ones.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from celery import Celery

from review_bot.config.service import ServiceConfig
from review_bot.service.jobs import ReviewJob
from review_bot.service.queue import PRIORITY_STEPS, QUEUE_KEY_SEP, TASK_NAME
from review_bot.service.retrying import Reschedule, run_or_reschedule
from review_bot.service.runner import JobBusy, RunnerDeps

__all__ = ["BUSY_RETRY_S", "LoopThread", "make_celery", "register_review_task"]

log = logging.getLogger(__name__)

BUSY_RETRY_S = 15
_BUSY_MAX_RETRIES = 200

T = TypeVar("T")


class LoopThread:
    """One event loop in a daemon thread; :meth:`run` blocks the calling thread meanwhile."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def started(self) -> bool:
        """True once a coroutine has been run (the loop exists)."""
        return self._loop is not None

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=loop.run_forever, name="review-bot-loop", daemon=True
                )
                self._thread.start()
                self._loop = loop
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the shared loop and return its result (or raise its error)."""
        return asyncio.run_coroutine_threadsafe(coro, self._ensure()).result()

    def stop(self) -> None:
        """Stop the loop and wait for its thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def make_celery(config: ServiceConfig) -> Celery:
    """A Celery app on ``config.redis_url`` with every key under ``config.redis_prefix``."""
    app = Celery("review_bot", broker=config.redis_url, set_as_current=False)
    visibility = config.visibility_timeout_s
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=config.celery_queue,
        task_default_priority=5,
        task_time_limit=int(config.review_timeout_s) + 120,
        task_soft_time_limit=int(config.review_timeout_s) + 60,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility,
            "global_keyprefix": config.redis_prefix,
            "priority_steps": list(PRIORITY_STEPS),
            "sep": QUEUE_KEY_SEP,
            "queue_order_strategy": "priority",
            # sweep for jobs of dead workers often enough to notice them within the timeout
            "unacked_restore_interval": max(1, min(10, visibility // 4)),
            "unacked_restore_throttle": 1,
        },
    )
    return app


def register_review_task(
    app: Celery, deps: Callable[[], Awaitable[RunnerDeps]], loop: LoopThread
) -> Any:
    """Register the review task; its jobs run on ``loop`` with ``await deps()``."""

    @app.task(  # type: ignore[untyped-decorator]
        name=TASK_NAME,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=_BUSY_MAX_RETRIES,
    )
    def review_pr(self: Any, job_data: dict[str, Any]) -> str:
        job = ReviewJob.model_validate(job_data)

        async def run() -> str | Reschedule:
            return await run_or_reschedule(job, await deps())

        try:
            result = loop.run(run())
        except JobBusy as exc:
            log.info("job %s busy (%s); retrying in %ss", job.delivery_id, exc, BUSY_RETRY_S)
            raise self.retry(countdown=BUSY_RETRY_S, exc=exc) from exc
        if isinstance(result, Reschedule):  # rate limited or GitHub failing: later, bounded
            raise self.retry(args=[result.job.model_dump(mode="json")], countdown=result.delay_s)
        return result

    return review_pr
