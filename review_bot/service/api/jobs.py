"""API reviews: their records, their queue, and the job that runs one.

A submission stores two things under the service's state store (Redis when configured,
shared with the workers): the record (owner, status, options, later the review) and the
parsed change. The job carries only the review's id. The worker runs the same
:data:`~review_bot.service.runner.Reviewer` as webhook jobs, with a sink that appends the
review's events to its stream, stores the result, and only then appends the terminal event:
a viewer that sees ``review.finished`` finds the review done when it asks for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from review_bot.change import ChangeSet
from review_bot.config.api import DEFAULT_FETCH_MAX_BYTES, DEFAULT_FETCH_TIMEOUT_S
from review_bot.config.models import ReviewConfig
from review_bot.errors import BulkheadFull, DependencyUnavailable, InputError, ReviewError
from review_bot.findings import Review
from review_bot.ownership import Owner, owning
from review_bot.service.api.events import EventLog, StreamSink
from review_bot.service.api.forge import RepoSource, fetch_change
from review_bot.service.api.models import ReviewOptions, ReviewRecord, ReviewStatus
from review_bot.service.runner import Reviewer
from review_bot.service.store import StateStore

__all__ = ["ApiDeps", "ApiQueue", "EmbeddedApiQueue", "Records", "review_config", "run_review"]

log = logging.getLogger(__name__)

ApiQueue = Callable[[str], Awaitable[None]]
"""Queue the review with this id (raises BulkheadFull / DependencyUnavailable)."""


def new_id() -> str:
    """A review id: unguessable (ids are not secrets, but they need not be enumerable)."""
    return "rv_" + secrets.token_hex(12)


class Records:
    """Review records and their changes in the state store."""

    def __init__(self, store: StateStore, ttl_s: int) -> None:
        self._store = store
        self._ttl = float(ttl_s)

    async def create(
        self,
        owner: str,
        options: ReviewOptions,
        change: ChangeSet | None,
        *,
        source: RepoSource | None = None,
    ) -> ReviewRecord:
        """Store a queued review and its change (or where to fetch it from); the record."""
        now = time.time()
        record = ReviewRecord(
            id=new_id(), owner=owner, status="queued", created_at=now, updated_at=now,
            options=options,
        )  # fmt: skip
        items = {f"api:review:{record.id}": record.model_dump_json()}
        if change is not None:
            items[f"api:change:{record.id}"] = change.model_dump_json()
        if source is not None:
            items[f"api:source:{record.id}"] = source.model_dump_json()
        await self._store.put_many(items, self._ttl)
        return record

    async def get(self, review_id: str) -> ReviewRecord | None:
        """The record, or None."""
        raw = await self._store.get(f"api:review:{review_id}")
        return None if raw is None else ReviewRecord.model_validate_json(raw)

    async def change(self, review_id: str) -> ChangeSet | None:
        """The review's change, or None."""
        raw = await self._store.get(f"api:change:{review_id}")
        return None if raw is None else ChangeSet.model_validate_json(raw)

    async def source(self, review_id: str) -> RepoSource | None:
        """The repository the review's change is to be fetched from, or None."""
        raw = await self._store.get(f"api:source:{review_id}")
        return None if raw is None else RepoSource.model_validate_json(raw)

    async def put_change(self, review_id: str, change: ChangeSet) -> None:
        """Store the change a job fetched (the page and the markdown read it)."""
        await self._store.put(f"api:change:{review_id}", change.model_dump_json(), self._ttl)

    async def update(
        self,
        record: ReviewRecord,
        status: ReviewStatus,
        *,
        review: Review | None = None,
        error: str | None = None,
    ) -> ReviewRecord:
        """Store ``record`` with a new status (and its result or error)."""
        changed = record.model_copy(
            update={
                "status": status,
                "updated_at": time.time(),
                "review": None if review is None else review.model_dump(mode="json"),
                "error": error,
            }
        )
        await self._store.put(f"api:review:{record.id}", changed.model_dump_json(), self._ttl)
        return changed

    async def forget(self, review_id: str) -> None:
        """Drop a review that could not be queued."""
        await self._store.delete(f"api:review:{review_id}")
        await self._store.delete(f"api:change:{review_id}")
        await self._store.delete(f"api:source:{review_id}")


def review_config(base: ReviewConfig, options: ReviewOptions) -> ReviewConfig:
    """The server's review config with the caller's options over it."""
    update: dict[str, object] = {
        k: v for k, v in options.model_dump(exclude={"instructions"}).items() if v is not None
    }
    if options.instructions:
        controls = base.controls
        instructions = controls.instructions.model_copy(update={"text": options.instructions})
        update["controls"] = controls.model_copy(update={"instructions": instructions})
    return base.model_copy(update=update)


@dataclass(frozen=True)
class ApiDeps:
    """What an API review job needs."""

    records: Records
    events: EventLog
    reviewer: Reviewer
    base_config: ReviewConfig
    fetch_timeout_s: float = DEFAULT_FETCH_TIMEOUT_S
    fetch_max_bytes: int = DEFAULT_FETCH_MAX_BYTES


async def _fetched(record: ReviewRecord, deps: ApiDeps) -> ChangeSet | None:
    """The change of a review submitted as a repository: fetched, stored; None (and the
    review failed with the reason) when the fetch or the diff fails."""
    source = await deps.records.source(record.id)
    if source is None:
        return None
    try:
        change = await asyncio.to_thread(
            fetch_change, source, deps.base_config.limits,
            timeout_s=deps.fetch_timeout_s, max_bytes=deps.fetch_max_bytes,
        )  # fmt: skip
    except InputError as exc:
        await deps.records.update(record, "failed", error=str(exc))
        await deps.events.append(record.id, "review.failed", {"error": str(exc)})
        return None
    await deps.records.put_change(record.id, change)
    return change


async def run_review(review_id: str, deps: ApiDeps) -> ReviewStatus:
    """Run one queued review to its end; its final status."""
    record = await deps.records.get(review_id)
    change = await deps.records.change(review_id)
    if record is None:
        log.warning("API review %s: record gone before it ran (expired?)", review_id)
        return "failed"
    record = await deps.records.update(record, "running")
    await deps.events.append(review_id, "review.running", {})
    if change is None:
        change = await _fetched(record, deps)
        if change is None:
            if (await deps.records.get(review_id) or record).status != "failed":
                log.warning("API review %s: its change is gone (expired?)", review_id)
                await deps.records.update(record, "failed", error="the change has expired")
                await deps.events.append(review_id, "review.failed", {"error": "expired"})
            return "failed"
    sink = StreamSink(deps.events, review_id)
    config = review_config(deps.base_config, record.options)
    try:
        with owning(Owner(subject=record.owner)):  # the transcript names its subject
            review = await deps.reviewer(change, config, sink)
    except ReviewError as exc:
        await sink.flush()
        await deps.records.update(record, "failed", error=str(exc))
        await deps.events.append(review_id, "review.failed", {"error": str(exc)})
        return "failed"
    except Exception:  # the job's boundary: record it failed, keep the worker alive
        log.exception("API review %s crashed", review_id)
        await sink.flush()
        await deps.records.update(record, "failed", error="internal error")
        await deps.events.append(review_id, "review.failed", {"error": "internal error"})
        return "failed"
    await sink.flush()
    await deps.records.update(record, "done", review=review)
    await deps.events.append(
        review_id, "review.finished", {"status": "done", "review": review.model_dump(mode="json")}
    )
    return "done"


class EmbeddedApiQueue:
    """A bounded queue of API reviews drained by worker tasks in this process."""

    def __init__(self, deps: ApiDeps, *, workers: int, maxsize: int) -> None:
        self._deps = deps
        self._workers = workers
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Start the workers (the app's lifespan)."""
        self._tasks = [
            asyncio.create_task(self._work(), name=f"api-review-worker-{i}")
            for i in range(self._workers)
        ]

    async def stop(self) -> None:
        """Cancel the workers (queued reviews stay queued in their records)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def enqueue(self, review_id: str) -> None:
        """Queue a review, or raise BulkheadFull."""
        try:
            self._queue.put_nowait(review_id)
        except asyncio.QueueFull as exc:
            raise BulkheadFull(
                f"the API review queue is full ({self._queue.maxsize}); try again later"
            ) from exc

    async def join(self) -> None:
        """Wait until every queued review ran (tests)."""
        await self._queue.join()

    async def _work(self) -> None:
        while True:
            review_id = await self._queue.get()
            try:
                await run_review(review_id, self._deps)
            except DependencyUnavailable as exc:
                log.error("API review %s: %s", review_id, exc)
            finally:
                self._queue.task_done()
