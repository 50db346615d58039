"""The API on real Redis (a prefix per test) and a scripted reviewer the test steps through.

Served by uvicorn on loopback (streams need a real server), in the test's event loop."""

from __future__ import annotations

import asyncio
import socket
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import redis.asyncio as aioredis
import uvicorn
from pydantic import SecretStr

from review_bot.change import ChangeSet
from review_bot.config.api import ApiConfig
from review_bot.config.audit import AuditConfig
from review_bot.config.models import ReviewConfig
from review_bot.config.service import ServiceConfig
from review_bot.events import EventSink
from review_bot.findings import Finding, Review, ReviewStats, assign_fingerprints
from review_bot.service.api.app import ApiParts, build_api
from review_bot.service.api.auth import mint_token
from review_bot.service.store import MemoryStore, RedisStore

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "k" * 40
DIFF = (
    "diff --git a/app.py b/app.py\n"
    "--- a/app.py\n+++ b/app.py\n"
    "@@ -1,2 +1,3 @@\n def run(x):\n-    return x\n+    y = eval(x)\n+    return eval(y)\n"
)
FILES = {"app.py": "def run(x):\n    y = eval(x)\n    return eval(y)\n"}
BODY = {"diff": DIFF, "files": FILES}


class ScriptedReviewer:
    """Flags each added line with ``eval(``; with ``gated``, waits for :meth:`release` before
    each finding and before returning, so a test can look at a review half done."""

    def __init__(self, *, gated: bool = False) -> None:
        self.gated = gated
        self._steps: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.started = asyncio.Event()
        self.calls: list[ReviewConfig] = []

    def release(self, steps: int = 1) -> None:
        """Let the review take ``steps`` more steps (callable from any thread)."""
        assert self._loop is not None
        assert self._steps is not None
        for _ in range(steps):
            self._loop.call_soon_threadsafe(self._steps.release)

    async def _step(self) -> None:
        if self.gated:
            assert self._steps is not None
            await self._steps.acquire()

    async def __call__(self, change: ChangeSet, config: ReviewConfig, events: EventSink) -> Review:
        self._loop = asyncio.get_running_loop()
        self._steps = self._steps or asyncio.Semaphore(0)
        self.calls.append(config)
        self.started.set()
        events.emit("review.started", files=[f.path for f in change.files], change_hash="h")
        events.emit("model.request", agent="reviewer", messages=["the whole prompt"])
        events.emit("tool.started", tool="fake", files=len(change.files))
        found: list[Finding] = []
        for f in change.files:
            for line in sorted(f.added_lines):
                if "eval(" in (f.line_text(line) or ""):
                    await self._step()
                    finding = Finding(
                        path=f.path, line=line, severity="high", category="security",
                        rule_id="fake-eval", message=f"eval on line {line}", sources=("tool:fake",),
                    )  # fmt: skip
                    found.append(finding)
                    events.emit(
                        "findings", source="tools", findings=[finding.model_dump(mode="json")]
                    )
        events.emit("model.response", agent="reviewer", usage={"prompt_tokens": 3}, cost_usd=0.25)
        events.emit("tool.finished", tool="fake", files=1, status="ok", findings=len(found))
        await self._step()
        marked = tuple(assign_fingerprints(found, change.line_text))
        return Review(
            mode="tools-only", findings=marked, summary=f"{len(marked)} finding(s).",
            stats=ReviewStats(files_reviewed=len(change.files)),
        )  # fmt: skip


@dataclass
class ApiStack:
    parts: ApiParts
    client: httpx.AsyncClient
    reviewer: ScriptedReviewer
    redis: aioredis.Redis
    prefix: str
    config: ApiConfig
    port: int = 0

    def token(self, sub: str = "alice", role: str = "submitter", plan: str = "standard") -> str:
        return mint_token(self.config.secret_bytes(), sub=sub, role=role, plan=plan, ttl_s=600)

    def auth(
        self, sub: str = "alice", role: str = "submitter", plan: str = "standard"
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(sub, role, plan)}"}

    async def submit(self, sub: str = "alice", role: str = "submitter", **body: Any) -> str:
        answer = await self.client.post(
            "/v1/reviews", json={**BODY, **body}, headers=self.auth(sub, role)
        )
        assert answer.status_code == 202, answer.text
        return str(answer.json()["id"])

    async def finished(
        self, review_id: str, sub: str = "alice", role: str = "submitter"
    ) -> dict[str, Any]:
        """The record once the review's terminal event is in its stream."""
        async with self.client.stream(
            "GET", f"/v1/reviews/{review_id}/events", headers=self.auth(sub, role)
        ) as events:
            async for _ in events.aiter_lines():
                pass
        record = await self.client.get(f"/v1/reviews/{review_id}", headers=self.auth(sub, role))
        return dict(record.json())


def api_config(**overrides: Any) -> ApiConfig:
    data: dict[str, Any] = {
        "secret_key": SecretStr(SECRET),
        "cors_origins": ("https://ok.example",),
    }
    return ApiConfig.model_validate({**data, **overrides})


async def start_stack(
    config: ApiConfig,
    reviewer: ScriptedReviewer,
    *,
    redis_url: str | None = REDIS_URL,
    audit: AuditConfig | None = None,
) -> tuple[ApiStack, uvicorn.Server, asyncio.Task[None]]:
    prefix = f"review-bot-test-{uuid.uuid4().hex[:8]}:"
    service = ServiceConfig(redis_url=redis_url, redis_prefix=prefix, embedded_workers=2)
    store = RedisStore.from_url(redis_url, prefix) if redis_url else MemoryStore()
    parts = build_api(
        config, service, store=store, reviewer=reviewer, base_config=ReviewConfig(),
        audit=audit or AuditConfig(enabled=False),
    )  # fmt: skip
    parts.shutdown.append(store.aclose)
    for hook in parts.startup:
        await hook()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)  # listening before uvicorn starts: early connections wait in the backlog
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(parts.app, lifespan="off", log_level="warning", ws="websockets-sansio")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
    stack = ApiStack(parts, client, reviewer, aioredis.Redis.from_url(REDIS_URL), prefix, config)
    stack.port = port
    return stack, server, task


async def stop_stack(stack: ApiStack, server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    await stack.client.aclose()
    server.should_exit = True
    await task
    for hook in stack.parts.shutdown:
        await hook()
    keys = [k async for k in stack.redis.scan_iter(match=stack.prefix + "*")]
    if keys:
        await stack.redis.delete(*keys)
    await stack.redis.aclose()
