"""Assemble the app and the worker from configuration (used by ``serve`` and ``worker``)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from starlette.applications import Starlette

from review_bot.config.models import ReviewConfig
from review_bot.config.service import ServiceConfig
from review_bot.errors import ConfigError
from review_bot.service.app import create_app
from review_bot.service.celery_app import make_celery, register_review_task
from review_bot.service.jobs import ReviewJob
from review_bot.service.metrics import ServiceMetrics
from review_bot.service.queue import CeleryQueue, EmbeddedQueue, JobQueue
from review_bot.service.runner import RunnerDeps, run_job
from review_bot.service.store import RedisStore
from review_bot.service.wiring import github_factory, load_reviewer, make_store

__all__ = ["build_app", "build_worker"]


def build_app(
    config: ServiceConfig, base_config: ReviewConfig, reviewer_spec: str | None = None
) -> Starlette:
    """The webhook app; embedded workers run in it unless ``config.queue`` is ``celery``."""
    config.require_webhook_secret()
    metrics = ServiceMetrics()
    store = make_store(config)
    queue: JobQueue
    startup: list[Any] = []
    shutdown: list[Any] = []
    if config.queue == "celery":
        assert config.redis_url is not None  # make_store refused otherwise
        broker = aioredis.Redis.from_url(config.redis_url, socket_timeout=2.0)
        queue = CeleryQueue(
            make_celery(config), broker, queue=config.celery_queue, key_prefix=config.redis_prefix
        )
        shutdown.append(broker.aclose)
    else:
        deps = RunnerDeps(
            config=config,
            store=store,
            github=github_factory(config),
            reviewer=load_reviewer(reviewer_spec),
            base_config=base_config,
            metrics=metrics,
        )

        async def handle(job: ReviewJob) -> object:
            return await run_job(job, deps)

        embedded = EmbeddedQueue(
            handle, workers=config.embedded_workers, maxsize=config.embedded_queue_size
        )
        queue = embedded
        startup.append(embedded.start)
        shutdown.append(embedded.stop)
    shutdown.append(store.aclose)

    async def on_startup() -> None:
        for hook in startup:
            await hook()

    async def on_shutdown() -> None:
        for hook in shutdown:
            await hook()

    return create_app(
        config,
        queue=queue,
        store=store,
        metrics=metrics,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
    )


def build_worker(
    config: ServiceConfig,
    base_config: ReviewConfig,
    reviewer_spec: str | None = None,
    metrics: ServiceMetrics | None = None,
) -> Any:
    """The Celery app with the review task registered (start it with ``worker_main``)."""
    if not config.redis_url:
        raise ConfigError("review-bot worker needs REDIS_URL (the Celery broker)")
    github = github_factory(config)
    reviewer = load_reviewer(reviewer_spec)
    metrics = metrics or ServiceMetrics()
    redis_url = config.redis_url

    def deps() -> RunnerDeps:
        return RunnerDeps(
            config=config,
            store=RedisStore.from_url(redis_url, config.redis_prefix),
            github=github,
            reviewer=reviewer,
            base_config=base_config,
            metrics=metrics,
        )

    app = make_celery(config)
    register_review_task(app, deps)
    return app
