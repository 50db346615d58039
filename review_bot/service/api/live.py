"""Live events of a review: ``GET /v1/reviews/{id}/events`` (SSE) and ``/ws`` (WebSocket).

Both start after the ``Last-Event-ID`` (header, or ``?after=`` for clients that cannot set
it), from the beginning without one, and end after the review's terminal event. SSE sends a
comment when the hub's keep-alive comes (every ``hub.HEARTBEAT_S`` while idle), so idle
proxies keep the connection.

A browser cannot put a token on a WebSocket's handshake, so the socket also accepts it as
its first message, ``{"token": "..."}``; the ``Origin`` is checked before anything else
(absent, this server's own, or in the CORS allow-list), and a bad one is refused with 403.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from review_bot.service.api.auth import Principal, authenticate
from review_bot.service.api.errors import ApiError
from review_bot.service.api.events import parse_id
from review_bot.service.api.hub import Hub, ViewerDropped
from review_bot.service.api.hygiene import origin_allowed
from review_bot.service.api.routes import Handlers

__all__ = ["KEEP_ALIVE", "Live"]

KEEP_ALIVE = ": keep-alive\n\n"
WS_AUTH_TIMEOUT_S = 10.0
WS_POLICY_VIOLATION = 1008


def _start(value: str | None) -> str:
    if value is None or value == "":
        return "0-0"
    if parse_id(value) is None:
        raise ApiError(
            422, "invalid_request", f"Last-Event-ID {value!r} is not an event id (<ms>-<seq>)",
            field="Last-Event-ID",
        )  # fmt: skip
    return value


@dataclass(frozen=True)
class Live:
    """The streaming endpoints."""

    handlers: Handlers
    hub: Hub

    async def sse(self, request: Request) -> Response:
        """Server-Sent Events: ``id``, ``event`` (the kind) and ``data`` (the event JSON)."""
        principal, usage = await self.handlers.caller(request)
        record = await self.handlers.visible(principal, request.path_params["review_id"])
        after = _start(request.headers.get("last-event-id") or request.query_params.get("after"))
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no", **usage.headers()}
        return StreamingResponse(
            self._sse_body(record.id, after), media_type="text/event-stream", headers=headers
        )

    async def _sse_body(self, review_id: str, after: str) -> AsyncIterator[str]:
        """The stream; a viewer that leaves cancels it, which leaves the hub too."""
        yield "retry: 2000\n\n"
        try:
            async for event in self.hub.follow(review_id, after):
                yield KEEP_ALIVE if event is None else event.sse
        except ViewerDropped:
            return

    async def websocket(self, ws: WebSocket) -> None:
        """The same events as WebSocket text frames, one JSON event each."""
        if not origin_allowed(
            ws.headers.get("origin"), ws.headers.get("host"), self.handlers.config.cors_origins
        ):
            await ws.close(code=WS_POLICY_VIOLATION, reason="origin not allowed")
            return
        await ws.accept()
        try:
            principal, after = await self._ws_auth(ws)
            record = await self.handlers.visible(principal, ws.path_params["review_id"])
        except ApiError as exc:
            await ws.send_text(json.dumps({"error": {"code": exc.code, "message": exc.message}}))
            await ws.close(code=WS_POLICY_VIOLATION, reason=exc.code)
            return
        except (WebSocketDisconnect, TimeoutError):
            return
        try:
            async for event in self.hub.follow(record.id, after):
                if event is not None:  # keep-alives are the WebSocket's own pings
                    await ws.send_text(event.frame)
            await ws.close(code=1000)
        except (WebSocketDisconnect, ViewerDropped):
            return

    async def _ws_auth(self, ws: WebSocket) -> tuple[Principal, str]:
        after = ws.query_params.get("after")
        if ws.headers.get("authorization") or ws.headers.get("x-api-key"):
            principal, _ = await self.handlers.caller(ws)
            return principal, _start(after)
        raw = await asyncio.wait_for(ws.receive_text(), WS_AUTH_TIMEOUT_S)
        try:
            hello = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "invalid_json", "the first message is not JSON") from exc
        if not isinstance(hello, dict) or not isinstance(hello.get("token"), str):
            raise ApiError(
                401, "unauthenticated", 'send {"token": "..."} as the first message', field="token"
            )
        cfg = self.handlers.config
        principal = await authenticate(
            f"Bearer {hello['token']}", None, secret=cfg.secret_bytes(), leeway_s=cfg.leeway_s,
            keys=self.handlers.keys,
        )  # fmt: skip
        await self.handlers.limits.request(principal)
        after = hello.get("after") if isinstance(hello.get("after"), str) else after
        return principal, _start(after)
