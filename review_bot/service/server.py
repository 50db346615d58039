"""Assemble the app and the worker from configuration (used by ``serve`` and ``worker``).

Reviews run through one :class:`~review_bot.compose.Runtime` per process: its resilience
policies (bulkheads, breakers) and caches see every job of the process. A Celery worker
therefore runs all its jobs on one event loop in a background thread (:class:`LoopThread`),
not one ``asyncio.run`` per task, so the runtime's loop-bound clients are shared too.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from starlette.types import ASGIApp

from review_bot.config.api import ApiConfig
from review_bot.config.service import ServiceConfig
from review_bot.config.settings import Settings
from review_bot.errors import ConfigError
from review_bot.service.app import Accept, create_app
from review_bot.service.celery_app import LoopThread, make_celery, register_review_task
from review_bot.service.jobs import ReviewJob
from review_bot.service.metrics import BreakerMetricsSink, ServiceMetrics
from review_bot.service.observe import TracedQueue, observe_http, traced_accept
from review_bot.service.queue import CeleryQueue, EmbeddedQueue, JobQueue
from review_bot.service.retrying import reschedule_handler
from review_bot.service.runner import Reviewer, RunnerDeps
from review_bot.service.store import RedisStore
from review_bot.service.wiring import (
    github_factory,
    load_reviewer,
    make_store,
    runtime_reviewer,
    transcripts_check,
)
from review_bot.tracing import Tracing, build_tracing

__all__ = ["Worker", "build_app", "build_worker"]

Hook = Callable[[], Awaitable[None]]


def _reviewer(
    settings: Settings, reviewer_spec: str | None, tracing: Tracing | None
) -> tuple[Reviewer, Hook | None]:
    """The process's reviewer and what closes it: the runtime, or a named test double."""
    if reviewer_spec:
        return load_reviewer(reviewer_spec), None
    from review_bot.compose import Runtime

    runtime = Runtime.from_settings(settings, tracing=tracing)
    return runtime_reviewer(runtime), runtime.aclose


def _freeze_heap() -> None:
    """Move everything alive after start-up out of the cyclic collector's sight.

    The process holds a few hundred thousand long-lived objects (AutoGen, openai, Celery,
    pydantic schemas); every full collection walked them all and paused the event loop for
    25-65 ms, which was the whole p99 of webhook acknowledgements under load. Frozen, a full
    collection only walks what was allocated since.
    """
    gc.collect()
    gc.freeze()


def build_app(
    config: ServiceConfig,
    settings: Settings,
    reviewer_spec: str | None = None,
    api: ApiConfig | None = None,
    *,
    tracing: Tracing | None = None,
    log_access: bool = True,
) -> ASGIApp:
    """The webhook app; embedded workers run in it unless ``config.queue`` is ``celery``.

    Every request goes through :func:`observe_http` (a span, an access-log line unless
    ``log_access`` is False); ``tracing`` replaces the tracer ``settings.tracing`` asks for.

    With ``api`` the review API is served too; its reviews run on embedded workers of this
    process (with either queue), on the same reviewer as webhook jobs.
    """
    config.require_webhook_secret()
    config = _retained(config, settings)
    tracing = tracing if tracing is not None else build_tracing(settings.tracing)
    metrics = ServiceMetrics()
    store = make_store(config)
    queue: JobQueue
    accept: Accept | None = None
    reviewer: Reviewer | None = None
    startup: list[Hook] = []
    shutdown: list[Hook] = []
    if config.queue == "celery":
        assert config.redis_url is not None  # make_store refused otherwise
        broker = aioredis.Redis.from_url(config.redis_url, socket_timeout=2.0)
        celery_queue = CeleryQueue(
            make_celery(config), broker, queue=config.celery_queue, key_prefix=config.redis_prefix
        )
        queue = TracedQueue(celery_queue, tracing, "celery")
        accept = traced_accept(celery_queue.accept, tracing, "celery")
        shutdown.append(broker.aclose)
    else:
        reviewer, close = _reviewer(settings, reviewer_spec, tracing)
        deps = RunnerDeps(
            config=config,
            store=store,
            github=github_factory(config, counter=store),
            reviewer=reviewer,
            base_config=settings.review,
            metrics=metrics,
            events=BreakerMetricsSink(metrics),
            tracing=tracing,
            review_ttl_s=settings.retention.reviews_s,
        )

        async def handle(job: ReviewJob) -> object:
            return await reschedule_handler(deps, embedded.later)(job)

        embedded = EmbeddedQueue(
            handle, workers=config.embedded_workers, maxsize=config.embedded_queue_size
        )
        queue = TracedQueue(embedded, tracing, "embedded")
        startup.append(embedded.start)
        shutdown.append(embedded.stop)
        if close is not None:
            shutdown.append(close)
    api_app = None
    if api is not None:
        from review_bot.service.api.app import build_api

        if reviewer is None:
            reviewer, close = _reviewer(settings, reviewer_spec, tracing)
            if close is not None:
                shutdown.append(close)
        parts = build_api(
            api, config, store=store, reviewer=reviewer, base_config=settings.review,
            audit=settings.audit,
        )  # fmt: skip
        api_app = parts.app
        startup += parts.startup
        shutdown = [*parts.shutdown, *shutdown]
    shutdown.append(store.aclose)
    if tracing is not None:
        shutdown.append(_closer(tracing))

    async def on_startup() -> None:
        for hook in startup:
            await hook()
        _freeze_heap()

    async def on_shutdown() -> None:
        for hook in shutdown:
            await hook()

    app = create_app(
        config,
        queue=queue,
        store=store,
        metrics=metrics,
        transcripts_ready=transcripts_check(settings.audit),
        accept=accept,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        api=api_app,
    )
    return observe_http(app, tracing=tracing, log_access=log_access)


def _retained(config: ServiceConfig, settings: Settings) -> ServiceConfig:
    """Delivery records (dedup keys, posted markers) kept no longer than events are."""
    ttl = min(config.delivery_ttl_s, max(1, int(settings.retention.events_s)))
    return (
        config
        if ttl == config.delivery_ttl_s
        else config.model_copy(update={"delivery_ttl_s": ttl})
    )


def _closer(tracing: Tracing) -> Hook:
    async def close() -> None:
        tracing.close()  # after the runtime's close (which may have closed it: then a no-op)

    return close


@dataclass(frozen=True)
class Worker:
    """A Celery app with the review task, and ``close()`` for after it stops."""

    celery: Any
    close: Callable[[], None]


def build_worker(
    config: ServiceConfig,
    settings: Settings,
    reviewer_spec: str | None = None,
    metrics: ServiceMetrics | None = None,
    *,
    tracing: Tracing | None = None,
) -> Worker:
    """The Celery app with the review task registered (start it with ``worker_main``).

    Each job runs in a dequeue span continuing the trace its message carries.
    """
    config = _retained(config, settings)
    if not config.redis_url:
        raise ConfigError("review-bot worker needs REDIS_URL (the Celery broker)")
    config.require_github_credentials()
    sink_metrics = metrics or ServiceMetrics()
    redis_url = config.redis_url
    tracing = tracing if tracing is not None else build_tracing(settings.tracing)
    loop = LoopThread()
    built: list[tuple[RunnerDeps, Hook | None]] = []

    async def deps() -> RunnerDeps:
        # runs on the loop thread only, and awaits nothing: no two callers can race here
        if not built:
            reviewer, close = _reviewer(settings, reviewer_spec, tracing)
            store = RedisStore.from_url(redis_url, config.redis_prefix)
            runner_deps = RunnerDeps(
                config=config,
                store=store,
                github=github_factory(config, counter=store),
                reviewer=reviewer,
                base_config=settings.review,
                metrics=sink_metrics,
                events=BreakerMetricsSink(sink_metrics),
                tracing=tracing,
                review_ttl_s=settings.retention.reviews_s,
            )
            built.append((runner_deps, close))
        return built[0][0]

    async def aclose() -> None:
        for runner_deps, close in built:
            if close is not None:
                await close()
            await runner_deps.store.aclose()

    def close() -> None:
        if loop.started:
            loop.run(aclose())
        loop.stop()
        if tracing is not None:
            tracing.close()

    app = make_celery(config)
    register_review_task(app, deps, loop)
    return Worker(app, close)
