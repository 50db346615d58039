"""Webhook acknowledgement latency: 2,000 signed deliveries at 100 concurrent.

Starts ``review-bot serve`` (Celery queue on the local Redis, a throwaway key prefix) in one
process and drives it from this one, then prints throughput and p50/p99 latency of the 202s.
Jobs are queued but no worker runs; the keys are deleted afterwards.

    .venv/bin/python benchmarks/bench_webhook.py [--deliveries 2000] [--concurrency 100]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
SECRET = b"bench-secret"


def payload(i: int) -> bytes:
    head = hashlib.sha1(f"head-{i}".encode()).hexdigest()
    return json.dumps(
        {
            "action": "opened",
            "number": i + 1,
            "pull_request": {
                "number": i + 1,
                "head": {"sha": head},
                "draft": False,
                "state": "open",
            },
            "repository": {"full_name": "bench/repo"},
            "installation": {"id": 1},
        }
    ).encode()


async def drive(url: str, n: int, concurrency: int) -> tuple[list[float], dict[int, int], float]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    codes: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def one(i: int) -> None:
            body = payload(i)
            sig = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
            headers = {
                "content-type": "application/json",
                "x-github-event": "pull_request",
                "x-github-delivery": f"bench-{uuid.uuid4()}",
                "x-hub-signature-256": sig,
            }
            async with gate:
                start = time.perf_counter()
                response = await client.post("/webhooks/github", content=body, headers=headers)
                latencies.append(time.perf_counter() - start)
            codes[response.status_code] = codes.get(response.status_code, 0) + 1

        await asyncio.gather(*(one(i) for i in range(min(200, n))))  # warm-up
        latencies.clear()
        codes.clear()
        started = time.perf_counter()
        await asyncio.gather(*(one(i + 10_000) for i in range(n)))
        elapsed = time.perf_counter() - started
    return latencies, codes, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--queue", choices=["celery", "embedded"], default="celery")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prefix = f"review-bot-bench-{uuid.uuid4().hex[:8]}:"
    env = {
        **os.environ,
        "GITHUB_WEBHOOK_SECRET": SECRET.decode(),
        "GITHUB_TOKEN": "unused",
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "REDIS_URL": args.redis_url,
        "REVIEW_BOT_REDIS_PREFIX": prefix,
        "REVIEW_BOT_QUEUE": args.queue,
        "REVIEW_BOT_EMBEDDED_QUEUE_SIZE": str(args.deliveries * 2),
        "REVIEW_BOT_EMBEDDED_WORKERS": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "review_bot.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("review-bot serve did not start")
            time.sleep(0.1)
        latencies, codes, elapsed = asyncio.run(drive(url, args.deliveries, args.concurrency))
    finally:
        server.terminate()
        server.wait(timeout=10)
        client = redis.Redis.from_url(args.redis_url)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"queue={args.queue} deliveries={args.deliveries} concurrency={args.concurrency}")
    print(f"status codes: {dict(sorted(codes.items()))}")
    print(f"throughput: {args.deliveries / elapsed:.0f} deliveries/s ({elapsed:.2f} s)")
    print(f"ack latency: p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms")
    print("target: p99 < 50 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
