"""The ASGI app: ``POST /webhooks/github``, ``/health``, ``/ready``, ``/metrics``.

The webhook checks, in order and before anything is parsed: content type, declared length,
streamed length (it stops reading at the limit), signature. Only then is JSON decoded and a
job queued. The delivery id is claimed briefly while queueing and remembered for days only
once the job is queued, so a delivery that crashed us before queueing is processed when
GitHub redelivers it. HTTP statuses are decided here (the service's error boundary).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from review_bot.config.service import ServiceConfig
from review_bot.errors import BulkheadFull, ReviewError
from review_bot.service.jobs import Ignored, ReviewJob, job_from_event
from review_bot.service.metrics import ServiceMetrics
from review_bot.service.queue import Accepted, JobQueue
from review_bot.service.signature import verify_signature
from review_bot.service.store import StateStore

__all__ = ["INFLIGHT_TTL_S", "create_app"]

log = logging.getLogger(__name__)

INFLIGHT_TTL_S = 60.0  # how long a delivery being queued blocks its duplicates
_DELIVERY = re.compile(r"^[A-Za-z0-9-]{1,100}$")
_EVENT = re.compile(r"^[a-z_]{1,50}$")

Check = Callable[[], Awaitable[bool]]
Accept = Callable[[ReviewJob, str, "str | None", float], Awaitable[Accepted]]
"""Dedup and queue in one atomic step (``CeleryQueue.accept``), when queue and store allow."""


async def _always_ready() -> bool:
    return True


def create_app(
    config: ServiceConfig,
    *,
    queue: JobQueue,
    store: StateStore,
    metrics: ServiceMetrics,
    transcripts_ready: Check = _always_ready,
    accept: Accept | None = None,
    on_startup: Callable[[], Awaitable[None]] | None = None,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
) -> Starlette:
    """The service app around already-built collaborators (nothing global).

    ``accept``, when given, replaces claim → enqueue → remember with one atomic call; it
    must use ``store``'s keys (the Celery queue on the store's Redis does).
    """
    config.require_webhook_secret()
    secrets = config.secret_bytes()
    limit = config.max_body_bytes

    def reply(status: int, outcome: str, detail: str = "") -> JSONResponse:
        metrics.delivery(outcome)
        body: dict[str, str] = {"outcome": outcome}
        if detail:
            body["detail"] = detail
        return JSONResponse(body, status_code=status)

    async def webhook(request: Request) -> Response:
        ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if ctype != "application/json":
            return reply(415, "bad_content_type", "send application/json (webhook setting)")
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            status = 413 if declared.isdigit() else 400
            return reply(status, "too_large" if status == 413 else "bad_request")
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    return reply(413, "too_large", f"body over {limit} bytes")
        except ClientDisconnect:
            return reply(400, "disconnected")
        check = verify_signature(bytes(body), request.headers.get("x-hub-signature-256"), secrets)
        if check != "valid":
            status = 400 if check == "malformed" else 401
            return reply(status, f"signature_{check}")
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        if not _EVENT.match(event) or not _DELIVERY.match(delivery):
            return reply(400, "bad_headers", "X-GitHub-Event and X-GitHub-Delivery are required")
        try:
            payload: Any = json.loads(body)
            result = job_from_event(event, delivery, payload, review_drafts=config.review_drafts)
        except ValueError as exc:
            return reply(400, "bad_payload", str(exc)[:200])
        if isinstance(result, Ignored):
            return reply(200, "ignored", result.reason)
        try:
            return await _queue(result, delivery)
        except BulkheadFull as exc:
            return reply(503, "queue_full", str(exc))
        except ReviewError as exc:
            log.error("delivery %s not queued: %s", delivery, exc)
            return reply(503, "unavailable", "try again later")

    async def _queue(job: ReviewJob, delivery: str) -> Response:
        delivery_key = f"delivery:{delivery}"
        job_key = job.dedup_key()
        if accept is not None:
            outcome = await accept(job, delivery_key, job_key, config.delivery_ttl_s)
            if outcome == "duplicate_delivery":
                return reply(200, "duplicate", "delivery already received")
            if outcome == "duplicate_head":
                return reply(200, "duplicate", "this head is already queued")
            log.info("delivery %s queued: %s#%s (%s)", delivery, job.repo, job.number, job.action)
            return reply(202, "accepted")
        # one round trip to claim, one to queue, one to remember
        keys = [delivery_key] if job_key is None else [delivery_key, job_key]
        claimed = await store.claim_many(keys, INFLIGHT_TTL_S)
        if not claimed[0]:
            if len(claimed) > 1 and claimed[1]:
                await store.delete(keys[1])  # not ours to hold: the delivery is a duplicate
            return reply(200, "duplicate", "delivery already received")
        if len(claimed) > 1 and not claimed[1]:
            await store.put(delivery_key, "duplicate", config.delivery_ttl_s)
            return reply(200, "duplicate", "this head is already queued")
        try:
            await queue.enqueue(job)
        except ReviewError:
            for key in keys:
                await store.delete(key)
            raise
        await store.put_many(dict.fromkeys(keys, "queued"), config.delivery_ttl_s)
        log.info("delivery %s queued: %s#%s (%s)", delivery, job.repo, job.number, job.action)
        return reply(202, "accepted")

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(_: Request) -> Response:
        checks = {
            "store": await store.ping(),
            "queue": await queue.ready(),
            "transcripts": await transcripts_ready(),
        }
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    async def metrics_endpoint(_: Request) -> Response:
        try:
            metrics.queue_depth.set(await queue.depth())
        except ReviewError as exc:
            log.warning("queue depth unavailable: %s", exc)
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if on_startup is not None:
            await on_startup()
        try:
            yield
        finally:
            if on_shutdown is not None:
                await on_shutdown()

    return Starlette(
        routes=[
            Route("/webhooks/github", webhook, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
