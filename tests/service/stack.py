"""A ``review-bot serve`` + ``review-bot worker`` stack on loopback, for the e2e tests.

Each stack has its own Redis key prefix (deleted by ``stop``) and its own temp dir, where
the processes' logs go.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

import httpx
import redis

from review_bot.config.service import DEFAULT_CELERY_QUEUE as QUEUE
from review_bot.service.queue import PRIORITY_STEPS, QUEUE_KEY_SEP
from tests.fakes.github_server import BOT_LOGIN, FakeGitHub
from tests.service.helpers import SECRET, signed

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Stack:
    """The processes, their environment, and what the fake GitHub received."""

    def __init__(
        self,
        gh: FakeGitHub,
        api_url: str,
        tmp: Path,
        *,
        reviewer: str | None = "tests.service.fake_reviewer:review",
        env: Mapping[str, str] | None = None,
        config: Path | None = None,
    ) -> None:
        self.gh = gh
        self.prefix = f"review-bot-test-{uuid.uuid4().hex[:8]}:"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.block = tmp / "block"
        self.log = tmp / "reviewer.jsonl"
        self.tmp = tmp
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "GITHUB_WEBHOOK_SECRET": "old-secret," + SECRET.decode(),
            "GITHUB_TOKEN": gh.token,
            "GITHUB_BOT_LOGIN": BOT_LOGIN,
            "GITHUB_API_URL": api_url,
            "REDIS_URL": REDIS_URL,
            "REVIEW_BOT_REDIS_PREFIX": self.prefix,
            "REVIEW_BOT_QUEUE": "celery",
            "REVIEW_BOT_VISIBILITY_TIMEOUT_S": "4",
            "REVIEW_BOT_REVIEW_TIMEOUT_S": "3",  # the visibility timeout must be longer
            "FAKE_REVIEWER_BLOCK": str(self.block),
            "FAKE_REVIEWER_LOG": str(self.log),
            **(env or {}),
        }
        self.reviewer = reviewer
        self.config = config
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        cmd = [
            sys.executable,
            "-m",
            "review_bot.cli",
            *args,
            *(["--reviewer", self.reviewer] if self.reviewer else []),
            *(["--config", str(self.config)] if self.config else []),
        ]
        with open(self.tmp / f"{args[0]}-{len(self.procs)}.log", "wb") as out:
            proc = subprocess.Popen(
                cmd, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        self.procs.append(proc)
        return proc

    def worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker", "--concurrency", "2", "--loglevel", "WARNING")

    def queue_idle(self) -> bool:
        """True when no job waits in the Celery queue (any priority) and none is delivered
        but unacknowledged (running, prefetched or scheduled for a retry): from then on no
        review, first or duplicate, can still be posted without a new delivery."""
        client = redis.Redis.from_url(REDIS_URL)
        try:
            base = f"{self.prefix}{QUEUE}"
            lists = [base, *(f"{base}{QUEUE_KEY_SEP}{step}" for step in PRIORITY_STEPS if step)]
            waiting = sum(int(client.llen(key)) for key in lists)
            return waiting == 0 and int(client.hlen(f"{self.prefix}unacked")) == 0
        finally:
            client.close()

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait until :meth:`queue_idle`: every accepted job has run to its end."""
        wait_for(self.queue_idle, timeout=timeout, what="the job queue to drain")

    def reviews_for(self, number: int) -> list[dict]:
        with self.gh.lock:
            return [r for r in self.gh.reviews if r["number"] == number]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=self.prefix + "*"))
        if keys:
            client.delete(*keys)


def ready(url: str) -> bool:
    try:
        return httpx.get(url + "/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def deliver(s: Stack, payload: dict, event: str, delivery: str, copies: int = 1) -> list[int]:
    body, headers = signed(payload, event, delivery)

    async def go() -> list[int]:
        async with httpx.AsyncClient(base_url=s.url, timeout=10) as client:
            rs = await asyncio.gather(
                *(
                    client.post("/webhooks/github", content=body, headers=headers)
                    for _ in range(copies)
                )
            )
        return [r.status_code for r in rs]

    return asyncio.run(go())
