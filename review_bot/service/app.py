"""The ASGI app: ``POST /webhooks/github``, ``/health``, ``/ready``, ``/metrics``.

The webhook checks, in order and before anything is parsed: content type, declared length,
streamed length (it stops reading at the limit), signature. Only then is JSON decoded and a
job queued. The delivery id is claimed briefly while queueing and remembered for days only
once the job is queued, so a delivery that crashed us before queueing is processed when
GitHub redelivers it. HTTP statuses are decided here (the service's error boundary).

The webhook is a bare ASGI handler (headers read off the scope, the body off ``receive``,
the answer sent as two messages): it is the path every delivery takes and the one whose
acknowledgement latency counts, and Starlette's request, routing and middleware layers cost
more per delivery than the checks themselves. The other routes are an ordinary Starlette app.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from review_bot.config.service import ServiceConfig
from review_bot.errors import BulkheadFull, ReviewError
from review_bot.service.jobs import Ignored, ReviewJob, job_from_event
from review_bot.service.metrics import ServiceMetrics
from review_bot.service.queue import Accepted, JobQueue
from review_bot.service.signature import verify_signature
from review_bot.service.store import StateStore

__all__ = ["INFLIGHT_TTL_S", "WEBHOOK_PATH", "create_app"]

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/github"
INFLIGHT_TTL_S = 60.0  # how long a delivery being queued blocks its duplicates
_DELIVERY = re.compile(r"^[A-Za-z0-9-]{1,100}$")
_EVENT = re.compile(r"^[a-z_]{1,50}$")
_API_PATH = re.compile(r"^/(v1|ui)(/|$)")
_SINGLE = frozenset({b"x-hub-signature-256", b"x-github-event", b"x-github-delivery"})

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
    api: ASGIApp | None = None,
) -> ASGIApp:
    """The service app around already-built collaborators (nothing global).

    ``accept``, when given, replaces claim → enqueue → remember with one atomic call; it
    must use ``store``'s keys (the Celery queue on the store's Redis does). ``api``, when
    given, serves ``/v1/...`` and ``/ui/...`` (the review API, :mod:`review_bot.service.api`).
    """
    config.require_webhook_secret()
    secrets = config.secret_bytes()
    limit = config.max_body_bytes

    async def webhook(scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /webhooks/github`` as a bare ASGI handler: it is the hot path."""

        received = time.perf_counter()

        async def reply(status: int, outcome: str, detail: str = "") -> None:
            metrics.delivery(outcome, time.perf_counter() - received)
            body: dict[str, str] = {"outcome": outcome}
            if detail:
                body["detail"] = detail
            await _send_json(send, status, body)

        if scope["method"] != "POST":
            await _send_json(send, 405, {"detail": "use POST"}, [(b"allow", b"POST")])
            return
        headers: dict[bytes, bytes] = {}
        repeated = False
        for name, value in scope["headers"]:
            lower = name.lower()
            repeated |= lower in _SINGLE and lower in headers
            headers.setdefault(lower, value)
        if repeated:  # which copy would count? GitHub sends each once: refuse, never guess
            await reply(400, "repeated_header", "a signature, event or delivery header repeats")
            return
        ctype = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        if ctype != b"application/json":
            await reply(415, "bad_content_type", "send application/json (webhook setting)")
            return
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            if declared.isdigit():
                await reply(413, "too_large", f"body over {limit} bytes")
            else:
                await reply(400, "bad_request", "Content-Length is not a number")
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                await reply(400, "disconnected")
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await reply(413, "too_large", f"body over {limit} bytes")
                return
            if not message.get("more_body", False):
                break
        signature = headers.get(b"x-hub-signature-256")
        check = verify_signature(
            bytes(body), None if signature is None else signature.decode("latin-1"), secrets
        )
        if check != "valid":
            status = 400 if check == "malformed" else 401
            await reply(status, f"signature_{check}")
            return
        event = headers.get(b"x-github-event", b"").decode("latin-1")
        delivery = headers.get(b"x-github-delivery", b"").decode("latin-1")
        if not _EVENT.match(event) or not _DELIVERY.match(delivery):
            await reply(400, "bad_headers", "X-GitHub-Event and X-GitHub-Delivery are required")
            return
        try:
            payload: Any = json.loads(body)
            result = job_from_event(
                event,
                delivery,
                payload,
                review_drafts=config.review_drafts,
                require_installation=config.uses_app,
                skip_forks=config.fork_policy == "skip",
            )
        except ValueError as exc:  # not JSON, not UTF-8/16/32, not the event's shape
            await reply(400, "bad_payload", str(exc)[:200])
            return
        except RecursionError:  # nested deeper than the decoder (or we) will follow
            await reply(400, "bad_payload", "JSON nested too deeply")
            return
        if isinstance(result, Ignored):
            await reply(200, "ignored", result.reason)
            return
        try:
            await reply(*await _queue(result, delivery))
        except BulkheadFull as exc:
            await reply(503, "queue_full", str(exc))
        except ReviewError as exc:
            log.error("delivery %s not queued: %s", delivery, exc)
            await reply(503, "unavailable", "try again later")

    async def _queue(job: ReviewJob, delivery: str) -> tuple[int, str, str]:
        delivery_key = f"delivery:{delivery}"
        job_key = job.dedup_key()
        if accept is not None:
            outcome = await accept(job, delivery_key, job_key, config.delivery_ttl_s)
            if outcome == "duplicate_delivery":
                return 200, "duplicate", "delivery already received"
            if outcome == "duplicate_head":
                return 200, "duplicate", "this head is already queued"
            log.debug("delivery %s queued: %s#%s (%s)", delivery, job.repo, job.number, job.action)
            return 202, "accepted", ""
        # one round trip to claim, one to queue, one to remember
        keys = [delivery_key] if job_key is None else [delivery_key, job_key]
        claimed = await store.claim_many(keys, INFLIGHT_TTL_S)
        if not claimed[0]:
            if len(claimed) > 1 and claimed[1]:
                await store.delete(keys[1])  # not ours to hold: the delivery is a duplicate
            return 200, "duplicate", "delivery already received"
        if len(claimed) > 1 and not claimed[1]:
            await store.put(delivery_key, "duplicate", config.delivery_ttl_s)
            return 200, "duplicate", "this head is already queued"
        try:
            await queue.enqueue(job)
        except ReviewError:
            for key in keys:
                await store.delete(key)
            raise
        await store.put_many(dict.fromkeys(keys, "queued"), config.delivery_ttl_s)
        log.debug("delivery %s queued: %s#%s (%s)", delivery, job.repo, job.number, job.action)
        return 202, "accepted", ""

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

    others = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        lifespan=lifespan,
    )

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == WEBHOOK_PATH:
            await webhook(scope, receive, send)
        elif api is not None and scope["type"] != "lifespan" and _API_PATH.match(scope["path"]):
            await api(scope, receive, send)
        else:
            await others(scope, receive, send)

    return app


async def _send_json(
    send: Send,
    status: int,
    body: dict[str, str],
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    data = json.dumps(body).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
