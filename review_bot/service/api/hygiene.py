"""HTTP hygiene around the API and the live page: security headers, CORS, bounded bodies.

The CSP is strict: nothing but this origin's own scripts, styles and connections, no inline
script, no framing. HSTS is sent only on requests that arrived over TLS (``https``, which
uvicorn sets from ``X-Forwarded-Proto`` behind a trusted proxy): over plain HTTP the header
is ignored by browsers and would only mislead.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from review_bot.service.api.errors import ApiError

__all__ = ["CSP", "SecurityHeaders", "origin_allowed", "read_body", "with_cors"]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
_SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": CSP,
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-API-Key", "Last-Event-ID")
EXPOSED_HEADERS = (
    "Location",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
)


class SecurityHeaders:
    """Adds the security headers to every HTTP answer of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY.items():
                    headers.setdefault(name, value)
                if tls:
                    headers.setdefault("strict-transport-security", HSTS)
            await send(message)

        await self._app(scope, receive, send_with_headers)


def with_cors(app: ASGIApp, origins: Sequence[str]) -> ASGIApp:
    """The app behind CORS for ``origins`` only (none: every cross-origin preflight fails)."""
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=list(ALLOWED_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        allow_credentials=False,
        max_age=600,
    )


def origin_allowed(origin: str | None, host: str | None, allowed: Sequence[str]) -> bool:
    """A WebSocket's ``Origin``: absent (not a browser), this server's own, or allow-listed."""
    if origin is None:
        return True
    if origin in allowed:
        return True
    if host is None:
        return False
    return origin in (f"http://{host}", f"https://{host}")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 past ``limit`` bytes (declared or streamed)."""
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype != "application/json":
        raise ApiError(
            415, "unsupported_media", "send the body as application/json", field="Content-Type"
        )
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "invalid_request", "Content-Length is not a number")
        if int(declared) > limit:
            raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        f"the body is over {limit} bytes (REVIEW_BOT_API_MAX_BODY_BYTES); send a smaller change",
    )
