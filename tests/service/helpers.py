"""Shared builders for the service tests: repositories on the fake GitHub, signed deliveries."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.types import ASGIApp, Message

from review_bot.service.signature import sign

REPO = "acme/widgets"
SECRET = b"s3cret-for-tests"


def sha(name: str) -> str:
    """A stable fake commit SHA."""
    return hashlib.sha1(name.encode()).hexdigest()


BASE_TREE = {
    "app.py": "import os\n\n\ndef run(x):\n    return x\n",
    "util.py": "def helper():\n    return 1\n",
    ".review-bot.toml": "[review]\nmax_findings = 50\n",
}
HEAD_TREE = {
    "app.py": "import os\n\n\ndef run(x):\n    return eval(x)\n",
    "util.py": "def helper():\n    return eval('1')\n",
    ".review-bot.toml": "[review]\nmax_findings = 50\n",
}


def pr_payload(action: str, head: str, number: int = 7, **extra: Any) -> dict[str, Any]:
    """A minimal pull_request event payload."""
    return {
        "action": action,
        "number": number,
        "pull_request": {"number": number, "head": {"sha": head}, "draft": False, "state": "open"},
        "repository": {"full_name": REPO},
        "installation": {"id": 42},
        **extra,
    }


def signed(
    payload: Any, event: str, delivery: str, secret: bytes = SECRET
) -> tuple[bytes, dict[str, str]]:
    """Body and headers of a delivery as GitHub sends it."""
    body = json.dumps(payload).encode()
    return body, {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-hub-signature-256": sign(body, secret),
    }


@asynccontextmanager
async def lifespan(app: ASGIApp) -> AsyncIterator[None]:
    """Run ``app``'s ASGI lifespan around the block (what uvicorn does at start and stop)."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    task = asyncio.create_task(app({"type": "lifespan"}, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    started = await asyncio.wait_for(outbox.get(), 30)
    assert started["type"] == "lifespan.startup.complete", started
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        stopped = await asyncio.wait_for(outbox.get(), 30)
        assert stopped["type"] == "lifespan.shutdown.complete", stopped
        await task
