"""The service's access log and request spans: one line per request in the process's log
format (JSON or text), secrets kept out, over every route of the app."""

from __future__ import annotations

import gc
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message
from starlette.websockets import WebSocket

from review_bot.cli.serve import uvicorn_options
from review_bot.config.logs import LogConfig
from review_bot.config.service import ServiceConfig
from review_bot.config.settings import load_settings
from review_bot.config.tracing import TracingConfig
from review_bot.errors import ConfigError
from review_bot.logs import configure_logging
from review_bot.service.observe import observe_http
from review_bot.service.server import build_app
from review_bot.tracing import build_tracing
from tests.service.helpers import lifespan, pr_payload, sha, signed

TOKEN = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    yield out
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "review-bot"]:
        root.removeHandler(handler)


def _access_lines(stream: io.StringIO) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line["logger"] == "review_bot.access"]


def _config() -> ServiceConfig:
    return ServiceConfig(
        webhook_secrets=(SecretStr("s3cret-for-tests"),),
        github_token=SecretStr("t"),
        github_bot_login="b[bot]",
    )


async def test_the_webhook_access_log_is_one_json_event_per_request(stream: io.StringIO) -> None:
    configure_logging(LogConfig(format="json", level="DEBUG"), stream)
    exporter = InMemorySpanExporter()
    tracing = build_tracing(TracingConfig(), exporter=exporter)
    app = build_app(_config(), load_settings(None, {}), "tests.service.fake_reviewer:review",
                    tracing=tracing)  # fmt: skip
    gc.unfreeze()
    body, headers = signed(pr_payload("opened", sha("h")), "pull_request", "d-log-1")
    headers["x-hub-signature-256"] = "sha256=" + "0" * 64  # refused: 401
    transport = httpx.ASGITransport(app=app)
    try:
        async with lifespan(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            assert (
                await c.post("/webhooks/github", content=body, headers=headers)
            ).status_code == 401
            assert (await c.get(f"/health?token={TOKEN}&page=2&q={TOKEN}")).status_code == 200
    finally:
        gc.unfreeze()
    webhook, health = _access_lines(stream)
    assert webhook["message"].startswith("POST /webhooks/github 401 ")  # type: ignore[union-attr]
    assert (webhook["method"], webhook["path"], webhook["status"]) == (
        "POST",
        "/webhooks/github",
        401,
    )
    assert webhook["delivery_id"] == "d-log-1"
    assert webhook["level"] == "INFO"
    assert isinstance(webhook["duration_ms"], float)
    spans = {s.name: s for s in exporter.get_finished_spans()}
    request = spans["POST /webhooks/github"]
    assert webhook["trace_id"] == f"{request.context.trace_id:032x}"
    assert health["level"] == "DEBUG"  # probes are polled: not worth an INFO line each
    assert str(health["query"]).startswith("token=[redacted]&page=2&q=[REDACTED:github-token:")
    assert TOKEN not in stream.getvalue()


def _api() -> Starlette:
    async def review(request: Request) -> Response:
        if request.path_params["review_id"] == "boom":
            return JSONResponse({"detail": "broken"}, status_code=503)
        return JSONResponse({"id": request.path_params["review_id"]})

    async def live(socket: WebSocket) -> None:
        await socket.accept()
        await socket.send_text("hello")
        await socket.close()

    from starlette.routing import WebSocketRoute

    return Starlette(
        routes=[Route("/v1/reviews/{review_id}", review), WebSocketRoute("/v1/live", live)]
    )


async def test_routes_mounted_beside_the_webhook_are_covered_too(stream: io.StringIO) -> None:
    """The middleware is over the whole app: an API route gets its span (named by its
    template, not its raw path) and its access-log line."""
    configure_logging(LogConfig(format="json"), stream)
    exporter = InMemorySpanExporter()
    app = observe_http(_api(), tracing=build_tracing(TracingConfig(), exporter=exporter))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.get("/v1/reviews/r-17")).status_code == 200
        assert (await c.get("/v1/reviews/boom")).status_code == 503
        assert (await c.get(f"/v1/reviews/{TOKEN}")).status_code == 200
    ok, failed, leaky = _access_lines(stream)
    assert str(leaky["path"]).startswith("/v1/reviews/[REDACTED:github-token:")
    assert TOKEN not in stream.getvalue()
    assert (ok["path"], ok["status"], ok["level"]) == ("/v1/reviews/r-17", 200, "INFO")
    assert (failed["status"], failed["level"]) == (503, "WARNING")
    names = [s.name for s in exporter.get_finished_spans()]
    assert names == ["GET /v1/reviews/{review_id}"] * 3
    assert str(exporter.get_finished_spans()[2].attributes["url.path"]).startswith(
        "/v1/reviews/[REDACTED:github-token:"
    )  # the span never holds the token either
    assert exporter.get_finished_spans()[1].status.is_ok is False
    assert TOKEN not in str([dict(s.attributes or {}) for s in exporter.get_finished_spans()])


async def test_a_websocket_session_is_logged_once_it_ends(stream: io.StringIO) -> None:
    configure_logging(LogConfig(format="json"), stream)
    sent: list[Message] = []
    incoming: list[Message] = [{"type": "websocket.connect"}]

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/v1/live", "raw_path": b"/v1/live",
             "query_string": f"access_token={TOKEN}".encode(), "headers": [],
             "scheme": "ws", "server": ("t", 80), "client": ("c", 1), "subprotocols": [],
             "root_path": "", "asgi": {"version": "3.0"}}  # fmt: skip
    await observe_http(_api(), tracing=None)(scope, receive, send)
    assert [m["type"] for m in sent][:2] == ["websocket.accept", "websocket.send"]
    (line,) = _access_lines(stream)
    assert (line["method"], line["status"]) == ("WEBSOCKET", 101)
    assert line["query"] == "access_token=[redacted]"
    assert TOKEN not in stream.getvalue()


async def test_text_format_reads_as_a_line_and_can_be_turned_off(stream: io.StringIO) -> None:
    configure_logging(LogConfig(), stream)
    transport = httpx.ASGITransport(app=observe_http(_api(), tracing=None))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        await c.get("/v1/reviews/r-1", headers={"x-github-delivery": "abc-123"})
    (line,) = [x for x in stream.getvalue().splitlines() if "review_bot.access" in x]
    assert " INFO review_bot.access: GET /v1/reviews/r-1 200 " in line
    assert line.endswith(" delivery=abc-123")
    stream.truncate(0)
    stream.seek(0)
    quiet = observe_http(_api(), tracing=None, log_access=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=quiet), base_url="http://t"
    ) as c:
        await c.get("/v1/reviews/r-1")
    assert "review_bot.access" not in stream.getvalue()


def test_the_access_log_switch_and_uvicorn_options() -> None:
    assert LogConfig.from_env({}).access_log is True
    assert LogConfig.from_env({"REVIEW_BOT_ACCESS_LOG": "off"}).access_log is False
    with pytest.raises(ConfigError, match="REVIEW_BOT_ACCESS_LOG='maybe'"):
        LogConfig.from_env({"REVIEW_BOT_ACCESS_LOG": "maybe"})
    options = uvicorn_options("127.0.0.1", 8080)
    assert options["access_log"] is False  # ours replaces it
    assert options["log_config"] is None  # uvicorn's lines go through our handler


def test_a_uvicorn_worker_process_sets_up_our_logging(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``serve --workers N`` children are fresh interpreters: app_from_env configures the
    log format there too, or the access log would reach no handler."""
    from review_bot.cli.serve import app_from_env

    for name, value in {
        "GITHUB_WEBHOOK_SECRET": "s3cret-for-tests",
        "GITHUB_TOKEN": "t",
        "GITHUB_BOT_LOGIN": "b[bot]",
        "REVIEW_BOT_LOG_FORMAT": "json",
        "REVIEW_BOT_TRANSCRIPTS": "off",
        "HOME": str(tmp_path),
        "_REVIEW_BOT_SERVE_ARGS": json.dumps({"reviewer": "tests.service.fake_reviewer:review"}),
    }.items():
        monkeypatch.setenv(name, value)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "review-bot"]:
        root.removeHandler(handler)
    app_from_env()
    gc.unfreeze()
    (handler,) = [h for h in root.handlers if h.get_name() == "review-bot"]
    assert type(handler.formatter).__name__ == "_RedactingJson"
