"""Reviews per hour of one host running the service end to end, and where the time goes.

``review-bot serve`` and ``review-bot worker`` (Celery on the local Redis, a throwaway key
prefix) run as processes of ``--src`` (default: this checkout). N pull requests of 5 Python
files each wait on the fake GitHub (tests/fakes); their webhooks are delivered signed, the
worker fetches each PR, runs the tools and the three agents against a simulated
OpenAI-compatible server answering every call after ``--delay`` seconds (1.0), and posts the
review back to the fake GitHub. Printed:

* measured reviews/hour (first delivery to last review posted), and the CPU-seconds per review
  of the host's processes (serve + worker + analyzer children, from /proc) with the ceiling
  they put on one 2-core host (2 x 3600 / CPU-s per review). The fake GitHub and the model
  server run in this process and are not counted: they stand for the outside world;
* per review, from its transcript: wall time vs the longest dependent chain of model calls
  plus the tools phase (goal <= 1.3x), and the coder's fix checks (patches offered, accepted);
* a profile (cProfile, CPU time) of the same reviews run in this process through
  ``Runtime.review``, grouped by where the time goes, plus the share of analyzer children.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_service.py [--reviews 40]
        [--concurrency 20] [--delay 1.0] [--src /work/main] [--profile 8]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# the code under test: --src (the stack's processes and the in-process profile alike)
SRC = Path(sys.argv[sys.argv.index("--src") + 1] if "--src" in sys.argv else ROOT).resolve()
sys.path.insert(0, str(SRC))

import httpx  # noqa: E402
import redis  # noqa: E402

from tests.fakes.github_server import BOT_LOGIN, FakeGitHub, serve_fake_github  # noqa: E402
from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, Reply  # noqa: E402
from tests.service.helpers import REPO, SECRET, pr_payload, sha, signed  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/0"
FILES = 5
TICK = os.sysconf("SC_CLK_TCK")
PATH = re.compile(r"pkg/m\d+\.py")


def source(pr: int, k: int, salt: str) -> tuple[str, str]:
    """Base and head of file ``k`` of PR ``pr``: ~60 lines, 20 of them added."""
    body = "".join(
        f"def step_{pr}_{k}_{n}(items, limit={n}):\n"
        f"    total = sum(i * {n} for i in items if i < limit)\n"
        f"    return total + {k}\n\n"
        for n in range(12)
    )
    added = "".join(
        f"def added_{pr}_{k}_{n}(path):\n"
        f"    data = open(path).read()  # {salt}\n"
        f"    return eval(data) if {n} else data\n\n"
        for n in range(5)
    )
    return f"import os\n\n\n{body}", f"import os\n\n\n{body}{added}"


def role(body: dict[str, Any]) -> str:
    system = body["messages"][0]["content"]
    return next((r for r in ("reviewer", "security", "coder") if f"*{r}*" in system), "?")


BLOCK = re.compile(r"Finding (T\d+):(.*?)(?=\nFinding |\Z)", re.DOTALL)


def patches(task: str) -> list[dict[str, object]]:
    """The coder's patches: each tool finding on an ``eval(data)`` line loses the eval (its
    fix check re-runs the tool that reported it on the patched file)."""
    out: list[dict[str, object]] = []
    for ident, block in BLOCK.findall(task):
        where = re.search(r"(pkg/m\d+\.py):(\d+)", block)
        if where is None:
            continue
        line = int(where.group(2))
        shown = re.search(rf"(?m)^\s*{line} [+ ] (.*)$", block)
        if shown and "eval(data)" in shown.group(1):
            out.append(
                {
                    "finding_id": ident,
                    "path": where.group(1),
                    "start_line": line,
                    "end_line": line,
                    "replacement": "    return data",
                }
            )
    return out


def answer(request: RecordedRequest, delay: float) -> Reply:
    """reviewer: one tool call, then a finding; security: a finding; coder: a patch per tool
    finding on an eval line. The longest dependent chain is 3 calls per chunk (reviewer's 2
    ∥ security's 1, then the coder's)."""
    body = request.body
    who = role(body)
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    if who == "coder":
        return Reply(json.dumps({"patches": patches(user)}), delay_s=delay)
    shown = PATH.search(user)
    path = shown.group(0) if shown else "pkg/m0.py"
    if who == "reviewer" and not any(m["role"] == "tool" for m in body["messages"]):
        call = {
            "id": "call_1",
            "type": "function",
            "function": {
                "name": "read_file_lines",
                "arguments": json.dumps({"path": path, "start_line": 1, "end_line": 5}),
            },
        }
        return Reply(content=None, tool_calls=(call,), finish_reason="tool_calls", delay_s=delay)
    finding = {
        "path": path,
        "line": 3,
        "severity": "medium",
        "category": "bug" if who == "reviewer" else "security",
        "rule_id": f"bench-{who}",
        "message": "benchmark finding",
        "confidence": 0.9,
    }
    extra = {"triage": []} if who == "security" else {"summary": "checked"}
    return Reply(json.dumps({"findings": [finding], **extra}), delay_s=delay)


# -- processes and their CPU --------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return int(fields[1]), (utime + stime + cutime + cstime) / TICK


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and every living descendant (each with its reaped children)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            table[int(entry.name)] = stat
    total, frontier = 0.0, [root]
    while frontier:
        pid = frontier.pop()
        if pid in table:
            total += table[pid][1]
            frontier += [p for p, (parent, _) in table.items() if parent == pid]
    return total


def start(args: list[str], env: dict[str, str], src: Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "review_bot.cli", *args],
            env=env,
            cwd=src,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def ready(url: str) -> bool:
    try:
        return httpx.get(url + "/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def deliver_all(url: str, count: int, salt: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for i in range(count):
            payload = pr_payload("opened", sha(f"{salt}-head-{i}"), number=i + 1)
            body, headers = signed(payload, "pull_request", f"{salt}-{i}")
            response = await client.post("/webhooks/github", content=body, headers=headers)
            if response.status_code != 202:
                raise SystemExit(f"delivery {i} got {response.status_code}: {response.text}")


# -- transcripts: wall time vs the dependent chain ----------------------------------------


def _ts(record: dict[str, Any]) -> float:
    return datetime.fromisoformat(record["ts"]).timestamp()


def chain_ratio(path: Path) -> tuple[float, float, float, int, int] | None:
    """(wall, tools phase, longest chain of model calls, patches checked, accepted) of one
    transcript."""
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by_type = defaultdict(list)
    for r in records:
        by_type[r["type"]].append(r)
    if not by_type["review.finished"] or not by_type["agent.started"]:
        return None
    begin = _ts(by_type["review.started"][0])
    wall = _ts(by_type["review.finished"][0]) - begin
    tools = min(_ts(r) for r in by_type["agent.started"]) - begin
    pending: dict[tuple[str, str, int], float] = {}
    spent: dict[tuple[str, str], float] = defaultdict(float)  # (chunk, agent) -> model time
    for r in records:
        d = r["data"]
        key = (str(d.get("chunk")), str(d.get("agent")), int(d.get("seq", 0)))
        if r["type"] == "model.request":
            pending[key] = _ts(r)
        elif r["type"] == "model.response" and key in pending:
            spent[key[:2]] += _ts(r) - pending.pop(key)
    chunks = {c for c, _ in spent}
    if not chunks:
        return None
    chain = max(
        max(spent[(c, "reviewer")], spent[(c, "security")]) + spent[(c, "coder")] for c in chunks
    )
    fixes = by_type["agent.fix"]
    return wall, tools, chain, len(fixes), sum(1 for r in fixes if r["data"].get("accepted"))


# -- the in-process profile -----------------------------------------------------------------

AREAS = (
    ("redaction", ("redaction.py", "secret_detectors.py", "detect_secrets")),
    ("tokens", ("tokens.py", "tiktoken")),
    ("agent runtime", ("autogen",)),
    ("openai/httpx", ("openai", "httpx", "httpcore", "h11", "anyio")),
    ("pydantic", ("pydantic",)),
    ("json", ("json",)),
    ("transcripts", ("audit/",)),
    ("subprocess spawn", ("subprocess.py", "sandbox.py", "fork_exec", "waitpid")),
    ("package metadata", ("email/", "importlib", "zipfile")),
    ("logging", ("logging",)),
    ("regex", ("re.Pattern", "_sre", "re/")),
    ("asyncio/sockets", ("asyncio", "selectors", "epoll", "socket")),
    ("files", ("posix.", "shutil", "tempfile", "pathlib", "io.")),
)


def area(filename: str, name: str) -> str:
    for label, needles in AREAS:
        if any(n in filename or n in name for n in needles):
            return label
    return "review_bot (other)" if "review_bot" in filename else "other"


async def profile(count: int, gh_url: str, model_url: str, tmp: Path) -> None:
    """The worker's path (fetch the PR, Runtime.review, post) in this process, profiled."""
    from review_bot.compose import Runtime
    from review_bot.config.settings import load_settings

    env = {
        "REVIEW_BOT_MODEL": "fake-model",
        "OPENAI_BASE_URL": model_url,
        "OPENAI_API_KEY": "sk-bench",
        "REVIEW_BOT_TRANSCRIPTS": str(tmp / "profile-transcripts"),
        "REVIEW_BOT_CACHE_DIR": str(tmp / "profile-cache"),
    }
    settings = load_settings(env=env)
    runtime = Runtime.from_settings(settings)
    from review_bot import change as change_mod

    def change(i: int) -> Any:
        pairs = [source(10_000 + i, k, uuid.uuid4().hex) for k in range(FILES)]
        before = {f"pkg/m{k}.py": b for k, (b, _) in enumerate(pairs)}
        after = {f"pkg/m{k}.py": a for k, (_, a) in enumerate(pairs)}
        return change_mod.from_files(before, after)

    await runtime.review(change(-1))  # warm: imports, first clients
    own_before = time.process_time()
    children_before = os.times().children_user + os.times().children_system
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    await asyncio.gather(*(runtime.review(change(i)) for i in range(count)))
    prof.disable()
    own = time.process_time() - own_before
    children = os.times().children_user + os.times().children_system - children_before
    await runtime.aclose()
    stats = pstats.Stats(prof)
    by_area: dict[str, float] = defaultdict(float)
    unplaced: dict[str, float] = defaultdict(float)
    for (filename, line, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        label = area(filename, name)
        by_area[label] += tottime
        if label == "other":
            unplaced[f"{Path(filename).name}:{line}({name})"] += tottime
    total = own + children
    print(f"\nprofile: {count} reviews in this process (model answers at once), CPU per review")
    print(f"  analyzer processes (children): {children / count:.3f}s  ({children / total:.0%})")
    print(f"  in-process Python:             {own / count:.3f}s  ({own / total:.0%})")
    for label, seconds in sorted(by_area.items(), key=lambda kv: -kv[1]):
        print(f"    {label:<20} {seconds / count:.3f}s  ({seconds / total:.0%})")
    top = sorted(unplaced.items(), key=lambda kv: -kv[1])[:6]
    print("  largest in 'other': " + ", ".join(f"{k} {v / count:.3f}s" for k, v in top))
    print("  top functions (in-process, tottime):")
    stats.sort_stats("tottime").print_stats(8)


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviews", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=20, help="worker threads")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds per model call")
    parser.add_argument("--src", type=Path, default=ROOT, help="the checkout the stack runs")
    parser.add_argument("--profile", type=int, default=8, help="reviews profiled in-process")
    args = parser.parse_args()
    src = SRC
    salt = uuid.uuid4().hex[:8]
    prefix = f"review-bot-bench-{salt}:"
    tmp = Path(tempfile.mkdtemp(prefix="bench-service-"))
    gh = FakeGitHub()
    for i in range(args.reviews):
        pairs = [source(i, k, salt) for k in range(FILES)]
        gh.add_commit(
            sha(f"{salt}-base-{i}"), {f"pkg/m{k}.py": b for k, (b, _) in enumerate(pairs)}
        )
        gh.add_commit(
            sha(f"{salt}-head-{i}"), {f"pkg/m{k}.py": a for k, (_, a) in enumerate(pairs)}
        )
        gh.open_pr(REPO, i + 1, base=sha(f"{salt}-base-{i}"), head=sha(f"{salt}-head-{i}"))
    config = tmp / "review-bot.toml"
    config.write_text(
        f'[cache]\nnamespace = "{prefix}cache"\n'
        f'[resilience]\nbreaker_namespace = "{prefix}breaker"\n'
    )
    with (
        FakeOpenAIServer(default=lambda r: answer(r, args.delay)) as model,
        serve_fake_github(gh) as api,
    ):
        port = _free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(src),
            "GITHUB_WEBHOOK_SECRET": SECRET.decode(),
            "GITHUB_TOKEN": gh.token,
            "GITHUB_BOT_LOGIN": BOT_LOGIN,
            "GITHUB_API_URL": api,
            "REDIS_URL": REDIS_URL,
            "REVIEW_BOT_REDIS_PREFIX": prefix,
            "REVIEW_BOT_QUEUE": "celery",
            "REVIEW_BOT_VISIBILITY_TIMEOUT_S": "1800",
            "REVIEW_BOT_REVIEW_TIMEOUT_S": "900",
            "OPENAI_BASE_URL": model.base_url,
            "OPENAI_API_KEY": "sk-bench",
            "REVIEW_BOT_MODEL": "fake-model",
            "REVIEW_BOT_CACHE_DIR": str(tmp / "cache"),
            "REVIEW_BOT_TRANSCRIPTS": str(tmp / "transcripts"),
        }
        serve = start(
            ["serve", "--port", str(port), "--config", str(config)], env, src, tmp / "serve.log"
        )
        worker = start(
            [
                "worker",
                "--concurrency",
                str(args.concurrency),
                "--loglevel",
                "WARNING",
                "--config",
                str(config),
            ],
            env,
            src,
            tmp / "worker.log",
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: ready(url), 60, "review-bot serve /ready")
            time.sleep(3)  # the worker's own start-up (imports) is not part of the run
            cpu_before = tree_cpu(serve.pid) + tree_cpu(worker.pid)
            started = time.monotonic()
            asyncio.run(deliver_all(url, args.reviews, salt))
            wait_until(
                lambda: len({r["number"] for r in gh.reviews}) >= args.reviews,
                120 + 60 * args.reviews,
                f"{args.reviews} reviews on the fake GitHub (logs in {tmp})",
            )
            elapsed = time.monotonic() - started
            cpu = tree_cpu(serve.pid) + tree_cpu(worker.pid) - cpu_before
        finally:
            for proc in (serve, worker):
                proc.terminate()
            for proc in (serve, worker):
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=prefix + "*"))
            if keys:
                client.delete(*keys)
        calls = model.completion_count
        ratios = [
            r for p in sorted((tmp / "transcripts").rglob("*.jsonl")) if (r := chain_ratio(p))
        ]
        print(f"src: {src}")
        print(f"load before: {os.getloadavg()}")
        print(
            f"{args.reviews} reviews of {FILES}-file PRs, worker concurrency {args.concurrency}, "
            f"model {args.delay:.1f}s per call, {calls} model calls"
        )
        print(f"measured: {elapsed:.1f}s -> {args.reviews / elapsed * 3600:,.0f} reviews/hour")
        per = cpu / args.reviews
        print(
            f"CPU (serve + worker + analyzers): {per:.2f}s per review -> CPU ceiling of a 2-core "
            f"host: {2 * 3600 / per:,.0f} reviews/hour"
        )
        if ratios:
            walls = [r[0] for r in ratios]
            tools = [r[1] for r in ratios]
            chains = [r[2] for r in ratios]
            each = [w / (t + c) for w, t, c, _, _ in ratios]
            checked, accepted = sum(r[3] for r in ratios), sum(r[4] for r in ratios)
            print(f"coder patches checked: {checked}, accepted: {accepted}")
            print(
                f"agents review wall (median of {len(ratios)}): {statistics.median(walls):.2f}s; "
                f"tools phase {statistics.median(tools):.2f}s + longest model chain "
                f"{statistics.median(chains):.2f}s; ratio median {statistics.median(each):.2f}x, "
                f"max {max(each):.2f}x (goal <= 1.3x)"
            )
        if args.profile:
            asyncio.run(profile(args.profile, api, model.base_url, tmp))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
