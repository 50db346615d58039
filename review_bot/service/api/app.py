"""The API's ASGI app: ``/v1/...`` and the live page ``/ui/...``, behind CORS and headers.

:func:`build_api` assembles it from configuration (the composition root of the API);
:func:`create_api` around collaborators already built (tests).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from review_bot.config.api import ApiConfig
from review_bot.config.audit import AuditConfig
from review_bot.config.models import ReviewConfig
from review_bot.config.service import ServiceConfig
from review_bot.service.api.errors import ApiError, error_response
from review_bot.service.api.events import EventLog, MemoryEventLog, RedisEventLog
from review_bot.service.api.hub import Hub, MemoryHub, RedisHub
from review_bot.service.api.hygiene import SecurityHeaders, with_cors
from review_bot.service.api.jobs import ApiDeps, EmbeddedApiQueue, Records
from review_bot.service.api.keys import KeyStore
from review_bot.service.api.live import Live
from review_bot.service.api.openapi import openapi_document
from review_bot.service.api.quotas import Limits
from review_bot.service.api.routes import Handlers, guarded
from review_bot.service.runner import Reviewer
from review_bot.service.store import StateStore

__all__ = ["ApiParts", "build_api", "create_api"]

STATIC = Path(__file__).parent / "static"
_PAGES = {
    "review.js": "text/javascript",
    "review.css": "text/css",
    "docs.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}
Hook = Callable[[], Awaitable[None]]


@dataclass
class ApiParts:
    """The app and what its process must start and stop around it."""

    app: ASGIApp
    startup: list[Hook] = field(default_factory=list)
    shutdown: list[Hook] = field(default_factory=list)
    queue: EmbeddedApiQueue | None = None
    hub: Hub | None = None


def create_api(handlers: Handlers, hub: Hub) -> ASGIApp:
    """The ``/v1`` and ``/ui`` routes around built handlers."""
    live = Live(handlers, hub)
    document = json.dumps(openapi_document()).encode("utf-8")

    async def openapi(_: Request) -> Response:
        return Response(document, media_type="application/json")

    async def page(name: str) -> Response:
        return FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})

    async def review_page(_: Request) -> Response:
        return await page("review.html")

    async def docs_page(_: Request) -> Response:
        return await page("docs.html")

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _PAGES:
            raise ApiError(404, "not_found", f"no asset {name!r}")
        return FileResponse(STATIC / name, media_type=_PAGES[name])

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code = {404: "not_found", 405: "method_not_allowed"}.get(status, "error")
        return error_response(
            ApiError(
                status,
                code,
                f"{request.method} {request.url.path}: "
                f"{'no such endpoint' if status == 404 else 'not allowed'}",
            )
        )

    routes = [
        Route("/v1/openapi.json", openapi, methods=["GET"]),
        Route("/v1/docs", docs_page, methods=["GET"]),
        Route("/v1/reviews", guarded(handlers.submit), methods=["POST"]),
        Route("/v1/reviews/{review_id}", guarded(handlers.get), methods=["GET"]),
        Route("/v1/reviews/{review_id}/change", guarded(handlers.change), methods=["GET"]),
        Route("/v1/reviews/{review_id}/transcript", guarded(handlers.transcript), methods=["GET"]),
        Route("/v1/reviews/{review_id}/verify", guarded(handlers.verify), methods=["POST"]),
        Route("/v1/reviews/{review_id}/events", guarded(live.sse), methods=["GET"]),
        WebSocketRoute("/v1/reviews/{review_id}/ws", live.websocket),
        Route("/ui/reviews/{review_id}", review_page, methods=["GET"]),
        Route("/ui/static/{name}", guarded(asset), methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: not_found})
    return SecurityHeaders(with_cors(app, handlers.config.cors_origins))


REDIS_POOL_SIZE = 64
REDIS_POOL_WAIT_S = 2.0


def redis_pool(url: str) -> aioredis.BlockingConnectionPool:
    """A pool that makes a burst wait for a free connection (redis-py's default pool refuses
    the 101st concurrent command with MaxConnectionsError: a burst of viewers got 503s)."""
    return aioredis.BlockingConnectionPool.from_url(
        url, max_connections=REDIS_POOL_SIZE, timeout=REDIS_POOL_WAIT_S, socket_timeout=2.0
    )


def build_api(
    config: ApiConfig,
    service: ServiceConfig,
    *,
    store: StateStore,
    reviewer: Reviewer,
    base_config: ReviewConfig,
    audit: AuditConfig,
) -> ApiParts:
    """The API with its records in ``store``, its events and counters on Redis when
    ``service.redis_url`` is set, API keys in PostgreSQL when configured, and reviews run
    by ``reviewer`` on embedded workers."""
    parts = ApiParts(app=None)  # type: ignore[arg-type]  # filled below
    events: EventLog
    hub: Hub
    if service.redis_url:
        client = aioredis.Redis.from_pool(redis_pool(service.redis_url))
        blocking = aioredis.Redis.from_url(service.redis_url, socket_timeout=None)
        redis_log = RedisEventLog(client, service.redis_prefix, config.record_ttl_s)
        events, hub = redis_log, RedisHub(redis_log, blocking)
        parts.shutdown += [hub.aclose, client.aclose, blocking.aclose]
    else:
        memory_log = MemoryEventLog()
        events, hub = memory_log, MemoryHub(memory_log)
    records = Records(store, config.record_ttl_s)
    queue = EmbeddedApiQueue(
        ApiDeps(
            records=records,
            events=events,
            reviewer=reviewer,
            base_config=base_config,
            fetch_timeout_s=config.fetch_timeout_s,
            fetch_max_bytes=config.fetch_max_bytes,
        ),
        workers=service.embedded_workers,
        maxsize=service.embedded_queue_size,
    )
    keys = KeyStore(config.database_url) if config.database_url else None

    async def enqueue(review_id: str) -> None:
        await events.append(review_id, "review.queued", {})
        await queue.enqueue(review_id)

    limits = Limits.build(config, service.redis_url, service.redis_prefix)
    parts.shutdown.append(limits.aclose)
    handlers = Handlers(
        config=config,
        records=records,
        limits=limits,
        queue=enqueue,
        base_config=base_config,
        audit=audit,
        keys=keys.lookup_async if keys else None,
    )
    parts.app = create_api(handlers, hub)
    parts.startup.append(queue.start)
    parts.shutdown.insert(0, queue.stop)
    if keys is not None:

        async def close_keys() -> None:
            keys.close()

        parts.shutdown.append(close_keys)
    parts.queue, parts.hub = queue, hub
    return parts
