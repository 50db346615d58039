"""A fault-injecting OpenAI-compatible server on loopback, for tests and benchmarks.

It runs its own event loop in a background thread, so sync tests, async tests and
subprocesses (pass ``server.base_url`` as OPENAI_BASE_URL) can all use it. Each request to
``/v1/chat/completions`` takes the next scripted behaviour, then the default one::

    with FakeOpenAIServer(default=Reply("looks fine")) as server:
        server.script(rate_limited(retry_after=2), server_error(), Reply("ok"))
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        ...
        assert server.completion_count == 3

Behaviours: :class:`Reply` (200, content/tool calls/usage, optional delay), :class:`Raw`
(any bytes, possibly cut off), :class:`Fail`
(any status, error code, headers; helpers ``rate_limited``, ``unauthorized``,
``context_length_exceeded``, ``insufficient_quota``, ``server_error``), :class:`Hang` (never
answers; ends when the client gives up), or a callable ``(RecordedRequest) -> behaviour``.
Counters: ``requests`` (with monotonic timestamps), ``max_in_flight``, ``in_flight``.
Streaming is not supported.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Behaviour",
    "Fail",
    "FakeOpenAIServer",
    "Hang",
    "Raw",
    "RecordedRequest",
    "Reply",
    "context_length_exceeded",
    "insufficient_quota",
    "rate_limited",
    "server_error",
    "unauthorized",
]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; ``received_at``/``answered_at`` are time.monotonic()."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float
    answered_at: float | None = None


@dataclass(frozen=True)
class Reply:
    """A 200 chat completion (``content`` or ``tool_calls``), after ``delay_s``."""

    content: str | None = "ok"
    prompt_tokens: int = 10
    completion_tokens: int = 5
    tool_calls: tuple[dict[str, Any], ...] = ()
    finish_reason: str = "stop"
    delay_s: float = 0.0


@dataclass(frozen=True)
class Fail:
    """An error response in OpenAI's shape."""

    status: int
    code: str | None = None
    message: str = "fake failure"
    error_type: str = "server_error"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Raw:
    """Any response bytes: a body that is not JSON, a JSON body of the wrong shape, or (with
    ``declared_length`` above the body's size) a body cut off by the connection closing."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"
    declared_length: int | None = None


@dataclass(frozen=True)
class Hang:
    """Accept the request and never answer (until the client hangs up or the server stops)."""


Behaviour = Reply | Fail | Hang | Raw | Callable[[RecordedRequest], "Reply | Fail | Hang | Raw"]


def rate_limited(retry_after: float | None = 2, retry_after_ms: float | None = None) -> Fail:
    """429 with ``Retry-After`` (seconds) and/or ``retry-after-ms``."""
    headers = {}
    if retry_after is not None:
        headers["retry-after"] = f"{retry_after:g}"
    if retry_after_ms is not None:
        headers["retry-after-ms"] = f"{retry_after_ms:g}"
    return Fail(429, "rate_limit_exceeded", "Rate limit reached", "requests", headers)


def unauthorized() -> Fail:
    """401 invalid API key."""
    return Fail(401, "invalid_api_key", "Incorrect API key provided", "invalid_request_error")


def context_length_exceeded() -> Fail:
    """400 context_length_exceeded."""
    return Fail(
        400,
        "context_length_exceeded",
        "This model's maximum context length is 128000 tokens.",
        "invalid_request_error",
    )


def insufficient_quota() -> Fail:
    """429 insufficient_quota (not worth retrying)."""
    return Fail(429, "insufficient_quota", "You exceeded your current quota", "insufficient_quota")


def server_error(status: int = 500) -> Fail:
    """A 5xx."""
    return Fail(status, None, "The server had an error while processing your request")


class FakeOpenAIServer:
    """The server; use as a context manager (or ``start()``/``stop()``)."""

    def __init__(self, default: Behaviour | None = None, host: str = "127.0.0.1") -> None:
        self.default: Behaviour = default if default is not None else Reply()
        self.host = host
        self.port = 0
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- control -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's ``base_url`` / OPENAI_BASE_URL."""
        return f"http://{self.host}:{self.port}/v1"

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next completion requests, in order."""
        with self._lock:
            self._script.extend(behaviours)

    def reset(self, default: Behaviour | None = None) -> None:
        """Forget requests, counters and the script; optionally change the default."""
        with self._lock:
            self.requests.clear()
            self._script.clear()
            self.max_in_flight = self.in_flight
            if default is not None:
                self.default = default

    @property
    def completions(self) -> list[RecordedRequest]:
        """The chat-completion requests received so far."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def completion_count(self) -> int:
        """How many chat-completion requests arrived."""
        return len(self.completions)

    def start(self) -> FakeOpenAIServer:
        """Start serving in a background thread; returns when the port is bound."""
        self._thread = threading.Thread(target=self._run, name="fake-openai", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake OpenAI server did not start within 10 s")
        return self

    def stop(self) -> None:
        """Stop serving; hanging requests are dropped."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving -------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._track, self.host, 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stopping.wait()
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _track(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._connection(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                if ":" in line:
                    key, value = line.split(":", 1)
                    headers[key.strip().lower()] = value.strip()
            raw = await reader.readexactly(int(headers.get("content-length", "0")))
            body: Any = json.loads(raw) if raw else None
            request = RecordedRequest(method, path, headers, body, time.monotonic())
            with self._lock:
                index = len(self.requests)
                self.requests.append(request)
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                status, payload, extra = await self._answer(request, reader)
            finally:
                with self._lock:
                    self.in_flight -= 1
            if status == 0:  # hung until the client left
                return
            raw = payload if isinstance(payload, Raw) else None
            data = raw.body if raw else json.dumps(payload).encode()
            declared = raw.declared_length if raw and raw.declared_length else len(data)
            lines = [
                f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
                f"content-type: {raw.content_type if raw else 'application/json'}",
                f"content-length: {declared}",
                *(f"{k}: {v}" for k, v in extra.items()),
            ]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
            await writer.drain()
            if declared != len(data):  # cut off: close with the body incomplete
                return
            with self._lock:
                if index < len(self.requests) and self.requests[index] is request:
                    self.requests[index] = RecordedRequest(
                        method, path, headers, body, request.received_at, time.monotonic()
                    )

    def _next(self, request: RecordedRequest) -> Reply | Fail | Hang | Raw:
        with self._lock:
            behaviour = self._script.popleft() if self._script else self.default
        if isinstance(behaviour, Reply | Fail | Hang | Raw):
            return behaviour
        return behaviour(request)

    async def _answer(
        self, request: RecordedRequest, reader: asyncio.StreamReader
    ) -> tuple[int, Any, dict[str, str]]:
        if not request.path.endswith("/chat/completions"):
            if request.path.endswith("/models"):
                return 200, {"object": "list", "data": []}, {}
            return 404, {"error": {"message": f"no route {request.path}", "code": None}}, {}
        behaviour = self._next(request)
        if isinstance(behaviour, Hang):
            with contextlib.suppress(ConnectionError):
                await reader.read(1)  # returns b"" when the client hangs up
            return 0, None, {}
        if isinstance(behaviour, Raw):
            return behaviour.status, behaviour, {}
        await asyncio.sleep(behaviour.delay_s)
        if isinstance(behaviour, Fail):
            error = {
                "message": behaviour.message,
                "type": behaviour.error_type,
                "param": None,
                "code": behaviour.code,
            }
            return behaviour.status, {"error": error}, dict(behaviour.headers)
        return 200, self._completion(request, behaviour), {}

    def _completion(self, request: RecordedRequest, reply: Reply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = list(reply.tool_calls)
        model = request.body.get("model", "fake-model") if isinstance(request.body, dict) else ""
        return {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            },
        }
