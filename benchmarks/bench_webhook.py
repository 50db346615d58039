"""Webhook acknowledgement latency: 2,000 signed deliveries at 100 concurrent.

Starts ``review-bot serve`` (Celery queue on the local Redis, a throwaway key prefix) in one
process and drives it from this one, then prints throughput and p50/p99 latency of the 202s.
Jobs are queued but no worker runs; the keys are deleted afterwards.

The default client is a minimal HTTP/1.1 keep-alive client on asyncio streams: ``concurrency``
connections, each sending its next delivery as soon as the previous answer is in, bodies and
signatures prepared before the clock starts, and this process's heap frozen (``gc.freeze``)
so that the client's own full collections do not show up as server latency. httpx
(``--client httpx``) costs several milliseconds of CPU per request at 100 concurrent
connections, so with it this process, not the server, is the bottleneck and the figures
measure the client's own queueing.

    .venv/bin/python benchmarks/bench_webhook.py [--deliveries 2000] [--concurrency 100]
        [--queue celery|embedded] [--client raw|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
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


def prepared(n: int, offset: int) -> list[bytes]:
    """Complete HTTP requests (headers and signed body) for deliveries offset..offset+n."""
    out = []
    for i in range(offset, offset + n):
        body = payload(i)
        sig = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        head = (
            "POST /webhooks/github HTTP/1.1\r\nHost: bench\r\n"
            "Content-Type: application/json\r\nX-GitHub-Event: pull_request\r\n"
            f"X-GitHub-Delivery: bench-{uuid.uuid4()}\r\nX-Hub-Signature-256: {sig}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


async def drive_raw(
    port: int, n: int, concurrency: int
) -> tuple[list[float], dict[int, int], float]:
    """``concurrency`` keep-alive connections pulling from one list of prepared requests."""
    latencies: list[float] = []
    codes: dict[int, int] = {}

    async def run(requests: list[bytes]) -> float:
        pending = iter(requests)

        async def connection() -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                for request in pending:
                    start = time.perf_counter()
                    writer.write(request)
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    await reader.readexactly(length)
                    latencies.append(time.perf_counter() - start)
                    code = int(head.split(b" ", 2)[1])
                    codes[code] = codes.get(code, 0) + 1
            finally:
                writer.close()

        started = time.perf_counter()
        await asyncio.gather(*(connection() for _ in range(concurrency)))
        return time.perf_counter() - started

    await run(prepared(min(200, n), 0))  # warm-up
    latencies.clear()
    codes.clear()
    requests = prepared(n, 10_000)
    gc.collect()
    gc.freeze()
    elapsed = await run(requests)
    return latencies, codes, elapsed


async def drive_httpx(
    url: str, n: int, concurrency: int
) -> tuple[list[float], dict[int, int], float]:
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
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    parser.add_argument("--workers", type=int, default=1, help="review-bot serve --workers")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prefix = f"review-bot-bench-{uuid.uuid4().hex[:8]}:"
    env = {
        **os.environ,
        "GITHUB_WEBHOOK_SECRET": SECRET.decode(),
        "GITHUB_TOKEN": "unused",
        "GITHUB_BOT_LOGIN": "review-bot[bot]",
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "REDIS_URL": args.redis_url,
        "REVIEW_BOT_REDIS_PREFIX": prefix,
        "REVIEW_BOT_QUEUE": args.queue,
        "REVIEW_BOT_EMBEDDED_QUEUE_SIZE": str(args.deliveries * 2),
        "REVIEW_BOT_EMBEDDED_WORKERS": "1",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "review_bot.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
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
        if args.client == "raw":
            run = drive_raw(port, args.deliveries, args.concurrency)
        else:
            run = drive_httpx(url, args.deliveries, args.concurrency)
        latencies, codes, elapsed = asyncio.run(run)
    finally:
        server.terminate()
        server.wait(timeout=10)
        client = redis.Redis.from_url(args.redis_url)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"queue={args.queue} client={args.client} workers={args.workers} "
        f"deliveries={args.deliveries} concurrency={args.concurrency} "
        f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.2f}"
    )
    print(f"status codes: {dict(sorted(codes.items()))}")
    print(f"throughput: {args.deliveries / elapsed:.0f} deliveries/s ({elapsed:.2f} s)")
    print(f"ack latency: p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms")
    print("target: p99 < 50 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
