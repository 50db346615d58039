"""The review API under load: submission latency, and live viewers held by one ``serve``.

Starts ``review-bot serve`` with the API on the local Redis (a throwaway key prefix) and a
scripted reviewer that holds every review while a block file exists (the benchmark measures
the API, not reviews), then:

1. ``POST /v1/reviews``: ``--submissions`` requests from ``--concurrency`` keep-alive
   connections (requests prepared before the clock starts, a minimal HTTP/1.1 client on
   asyncio streams as in ``bench_webhook.py``); prints p50/p95/p99 of the 202s.
2. Live viewers: ``--viewers`` SSE connections to one review (connected ``--batch`` at a
   time), the serve process's RSS before and after (memory per viewer), then ``--ticks``
   events appended straight to the review's Redis stream, each carrying its append time;
   prints the p50/p99/max latency from ``XADD`` to the event's arrival at every viewer.

The client runs in this process on the same 2 cores as the server and Redis: at thousands
of viewers the client's own parsing is part of the measured delivery latency.

    .venv/bin/python benchmarks/bench_api.py [--submissions 2000] [--concurrency 100]
        [--viewers 10000] [--ticks 20]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SECRET = "bench-" + "k" * 40
DIFF = (
    "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n def run(x):\n-    return x\n"
    "+    return eval(x)\n"
)
BODY = json.dumps({"diff": DIFF, "files": {"app.py": "def run(x):\n    return eval(x)\n"}})


def token(sub: str) -> str:
    from review_bot.service.api.auth import mint_token

    return mint_token(SECRET.encode(), sub=sub, role="submitter", plan="enterprise", ttl_s=3600)


def prepared(n: int, auth: str) -> list[bytes]:
    body = BODY.encode()
    head = (
        "POST /v1/reviews HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {auth}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return [head + body for _ in range(n)]


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return int(head.split(b" ", 2)[1]), await reader.readexactly(length)


async def submit(
    port: int, n: int, concurrency: int, auth: str
) -> tuple[list[float], dict[int, int]]:
    latencies: list[float] = []
    codes: dict[int, int] = {}

    async def run(requests: list[bytes]) -> None:
        pending = iter(requests)

        async def connection() -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                for request in pending:
                    start = time.perf_counter()
                    writer.write(request)
                    code, _ = await read_answer(reader)
                    latencies.append(time.perf_counter() - start)
                    codes[code] = codes.get(code, 0) + 1
            finally:
                writer.close()

        await asyncio.gather(*(connection() for _ in range(concurrency)))

    await run(prepared(200, auth))  # warm-up
    latencies.clear()
    codes.clear()
    requests = prepared(n, auth)
    gc.collect()
    gc.freeze()
    await run(requests)
    return latencies, codes


class Viewer:
    """One SSE connection; records the delay of every ``bench.tick`` event."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.ticks = 0
        self.ready = asyncio.Event()
        self.error = ""

    async def run(self, port: int, path: str, auth: str, total: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {auth}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                self.error = (
                    head.split(b"\r\n", 1)[0].decode() + " " + (await reader.read(300)).decode()
                )
                self.ready.set()
                return
            while self.ticks < total:
                line = await reader.readline()
                if not line:
                    return
                if b'"bench.tick"' in line:
                    arrived = time.monotonic()
                    start = line.index(b"{")
                    sent = json.loads(line[start : line.rindex(b"}") + 1])["data"]["t"]
                    self.delays.append(arrived - sent)
                    self.ticks += 1
                elif b"review.queued" in line:
                    self.ready.set()
        finally:
            writer.close()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def watch(
    port: int, pid: int, review_id: str, args: argparse.Namespace, stream: str
) -> dict[str, float]:
    auth = token("viewer")
    path = f"/v1/reviews/{review_id}/events"
    before = rss_kb(pid)
    viewers = [Viewer() for _ in range(args.viewers)]
    tasks: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    for i in range(0, args.viewers, args.batch):
        group = viewers[i : i + args.batch]
        tasks += [asyncio.create_task(v.run(port, path, auth, args.ticks)) for v in group]
        await asyncio.gather(*(v.ready.wait() for v in group))
    connect_s = time.perf_counter() - started
    failed = [v.error for v in viewers if v.error]
    if failed:
        print(f"{len(failed)} viewers refused, e.g. {failed[0]!r}", file=sys.stderr)
    await asyncio.sleep(1.0)  # let the server settle before reading its memory
    after = rss_kb(pid)
    client = redis.asyncio.Redis.from_url(args.redis_url)
    for _ in range(args.ticks):
        await client.xadd(stream, {"k": "bench.tick", "d": json.dumps({"t": time.monotonic()})})
        await asyncio.sleep(args.tick_interval)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    await client.aclose()
    delays = sorted(d * 1000 for v in viewers for d in v.delays)
    return {
        "viewers": len(viewers),
        "connect_s": connect_s,
        "kb_per_viewer": (after - before) / len(viewers),
        "rss_before_mb": before / 1024,
        "rss_after_mb": after / 1024,
        "deliveries": len(delays),
        "p50": statistics.median(delays),
        "p99": delays[min(len(delays) - 1, int(len(delays) * 0.99))],
        "max": delays[-1],
    }


def start_server(
    args: argparse.Namespace, port: int, prefix: str, block: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GITHUB_WEBHOOK_SECRET": "bench",
        "GITHUB_TOKEN": "unused",
        "GITHUB_BOT_LOGIN": "review-bot[bot]",
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "REDIS_URL": args.redis_url,
        "REVIEW_BOT_REDIS_PREFIX": prefix,
        "API_SECRET_KEY": SECRET,
        "REVIEW_BOT_API_DAILY_QUOTA_ENTERPRISE": "100000000",
        "REVIEW_BOT_API_PER_MINUTE_ENTERPRISE": "100000000",
        "REVIEW_BOT_EMBEDDED_QUEUE_SIZE": str(args.submissions * 2 + 1000),
        "REVIEW_BOT_EMBEDDED_WORKERS": "1",
        "FAKE_REVIEWER_BLOCK": str(block),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "review_bot.cli", "serve", "--port", str(port),
         "--reviewer", "tests.service.fake_reviewer:review"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def report(
    args: argparse.Namespace,
    latencies: list[float],
    codes: dict[int, int],
    live: dict[str, float],
) -> None:
    ms = sorted(x * 1000 for x in latencies)

    def pct(q: float) -> float:
        return ms[min(len(ms) - 1, int(len(ms) * q))]

    print(f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.2f} (1-min average at the end)")
    print(
        f"POST /v1/reviews: {args.submissions} at {args.concurrency} concurrent, "
        f"codes {dict(sorted(codes.items()))}"
    )
    print(
        f"  latency p50 {statistics.median(ms):.1f} ms, p95 {pct(0.95):.1f} ms, "
        f"p99 {pct(0.99):.1f} ms, max {ms[-1]:.1f} ms (goal p95 < 50 ms)"
    )
    print(
        f"live viewers (SSE, one review): {live['viewers']:.0f} connected in "
        f"{live['connect_s']:.1f} s"
    )
    print(
        f"  serve RSS {live['rss_before_mb']:.0f} MB -> {live['rss_after_mb']:.0f} MB: "
        f"{live['kb_per_viewer']:.1f} KB per viewer"
    )
    print(
        f"  append-to-delivery over {live['deliveries']:.0f} deliveries: p50 {live['p50']:.1f} "
        f"ms, p99 {live['p99']:.1f} ms, max {live['max']:.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--viewers", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500, help="viewers connecting at once")
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--tick-interval", type=float, default=0.5)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it too
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prefix = f"review-bot-bench-{uuid.uuid4().hex[:8]}:"
    block = Path(tempfile.mkdtemp()) / "hold"
    block.write_text("held")  # every review waits while this exists: only the API is measured
    server = start_server(args, port, prefix, block)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("review-bot serve did not start")
            time.sleep(0.1)
        print("serve is up; submitting", file=sys.stderr)
        latencies, codes = asyncio.run(
            submit(port, args.submissions, args.concurrency, token("bench"))
        )
        auth = {"Authorization": f"Bearer {token('viewer')}", "Content-Type": "application/json"}
        answer = httpx.post(url + "/v1/reviews", content=BODY, headers=auth)
        review_id = answer.json()["id"]
        stream = f"{prefix}api:events:{review_id}"
        print("submitted; connecting viewers", file=sys.stderr)
        live = asyncio.run(watch(port, server.pid, review_id, args, stream))
    finally:
        block.unlink(missing_ok=True)
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            print("serve did not stop within 20 s of SIGTERM; killed", file=sys.stderr)
            server.kill()
            server.wait()
        client = redis.Redis.from_url(args.redis_url)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    report(args, latencies, codes, live)
    return 0


if __name__ == "__main__":
    sys.exit(main())
