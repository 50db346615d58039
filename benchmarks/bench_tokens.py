"""What an agents review sends in prompts, against a simulated OpenAI-compatible server.

A 20-file Python change (each file modified in two places) is reviewed through
``compose.Runtime.review`` (the CLI's composition: ruff as the one analyzer, the completion
cache on a fresh local store) against the fake server of ``tests/fakes`` on loopback. The
simulated model answers like the agents would, in two scenarios: *reads* (the reviewer reads
a few lines of one file with ``read_file_lines`` before answering, as the issue measured) and
*direct* (every agent answers at once). The security agent gives one finding and triages
every tool finding it was shown; the coder patches nothing. The server counts the
tokens of every request it receives (messages, tool schemas and response_format, tiktoken),
so what the completion cache serves costs nothing.

It prints

* prompt tokens / diff tokens for the full review (goal ≤ 3×), where the diff is the
  change's unified diff (git's 3 lines of context);
* the incremental re-review: the same cache, one line changed in 1 of the 20 files; its
  prompt tokens as a % of the full review's (goal ≤ 15%).

``--compare DIR`` runs the same script again with ``PYTHONPATH=DIR`` (e.g. the main
checkout) in a subprocess and prints both side by side. Run:

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_tokens.py [--files 20] [--compare /work/main]
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1]))  # PYTHONPATH wins over this tree

from review_bot import change as change_mod
from review_bot.compose import Runtime
from review_bot.config.cache import CacheConfig
from review_bot.config.model import ModelConfig
from review_bot.config.models import ReviewConfig, ToolsConfig
from review_bot.config.settings import Settings
from review_bot.tokens import count_tokens
from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, Reply

MODEL = "gpt-4o-mini"  # a name tiktoken knows, so counts are the real encoding's


def _module(i: int, variant: int) -> str:
    """A ~120-line module; ``variant`` changes the two edited regions."""
    out = [f'"""Module {i}: records of kind {i}."""', "", "import json", "import os", ""]
    for n in range(12):
        out += [
            f"def handle_{i}_{n}(payload, limit={n + 3}):",
            f'    """Handle payload {n} of module {i}."""',
            "    items = [p for p in payload if p is not None]",
            "    if len(items) > limit:",
            "        items = items[:limit]",
            f"    total = sum(len(str(x)) for x in items) + {n * i}",
            f"    return {{'module': {i}, 'n': {n}, 'total': total}}",
            "",
        ]
        if n == 3 and variant:
            out[-5:-1] = [
                "    if not items:",
                f"        raise ValueError('module {i} needs items')",
                f"    total = sum(len(json.dumps(x)) for x in items) + {n * i}",
                f"    return {{'module': {i}, 'n': {n}, 'total': total, 'v': {variant}}}",
            ]
        if n == 9 and variant:
            out[-3:-1] = [
                "    path = os.path.join('/tmp', str(payload[0]))",
                "    with open(path) as fh:",
                "        data = fh.read()",
                f"    return {{'module': {i}, 'data': data}}",
            ]
    return "\n".join(out) + "\n"


def _change(files: int, touched: int | None = None) -> tuple[Any, str]:
    """The change and its unified diff; ``touched`` gets one more changed line."""
    before = {f"pkg/mod_{i:02d}.py": _module(i, 0) for i in range(files)}
    after = {f"pkg/mod_{i:02d}.py": _module(i, 1) for i in range(files)}
    if touched is not None:
        path = f"pkg/mod_{touched:02d}.py"
        after[path] = (
            after[path]
            .replace("items needs", "items need")
            .replace("needs items')", "needs items!')")
        )
    diff = "".join(
        f"diff --git a/{p} b/{p}\n"
        + "".join(
            difflib.unified_diff(
                before[p].splitlines(True), after[p].splitlines(True), f"a/{p}", f"b/{p}"
            )
        )
        for p in sorted(before)
    )
    return change_mod.from_files(before, after), diff


def _prompt_tokens(body: dict[str, Any]) -> int:
    """What the provider bills as prompt tokens, near enough: each message's text (plus 4
    tokens of framing), its tool calls, the tool schemas and the response_format."""
    total = 0
    for message in body["messages"]:
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content or "")
        calls = message.get("tool_calls") or []
        text += "".join(c["function"]["name"] + c["function"]["arguments"] for c in calls)
        total += 4 + count_tokens(text, MODEL)
    for key in ("tools", "response_format"):
        if key in body:
            total += count_tokens(json.dumps(body[key], ensure_ascii=False), MODEL)
    return total


class _Model:
    """The simulated agents; counts the prompt tokens of every request it answers."""

    def __init__(self, reads: bool) -> None:
        self.reads = reads
        self.prompt_tokens = 0
        self.requests = 0
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply:
        body = request.body
        tokens = _prompt_tokens(body)
        with self._lock:
            self.prompt_tokens += tokens
            self.requests += 1
        messages: list[dict[str, Any]] = body["messages"]
        system = str(messages[0]["content"])
        user = next(str(m["content"]) for m in messages if m["role"] == "user")
        path = user.split("<<<DATA ", 1)[1].split("[", 1)[1].split(" lines", 1)[0]
        if "*coder*" in system:
            return Reply(json.dumps({"patches": []}), prompt_tokens=tokens)
        first = not any(m["role"] == "tool" for m in messages)
        if self.reads and "*reviewer*" in system and first:
            call = {
                "id": "call_1",
                "type": "function",
                "function": {
                    "name": "read_file_lines",
                    "arguments": json.dumps({"path": path, "start_line": 1, "end_line": 12}),
                },
            }
            return Reply(None, tool_calls=(call,), finish_reason="tool_calls", prompt_tokens=tokens)
        security = "*security*" in system
        finding = {
            "path": path,
            "line": 2,
            "severity": "low",
            "category": "security" if security else "maintainability",
            "rule_id": "bench",
            "message": "benchmark finding",
            "confidence": 0.5,
        }
        answer: dict[str, Any] = {"findings": [finding]}
        if security:
            ids = sorted({w.split(":")[0] for w in user.split("- id ")[1:]})
            answer["triage"] = [{"id": i, "verdict": "confirm", "reason": "benchmark"} for i in ids]
        return Reply(json.dumps(answer), prompt_tokens=tokens)


async def _measure(files: int, reads: bool) -> dict[str, float]:
    model = _Model(reads)
    with FakeOpenAIServer(default=model) as server, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            model=ModelConfig(model=MODEL, base_url=server.base_url, api_key="sk-bench"),
            cache=CacheConfig(local_dir=Path(tmp)),
            review=ReviewConfig(tools=ToolsConfig(enabled=("ruff",))),
        )
        runtime = Runtime.from_settings(settings, testing=True)
        try:
            change, diff = _change(files)
            review = await runtime.review(change, record=False)
            assert review.mode == "agents", review.failures
            full, full_calls = model.prompt_tokens, model.requests
            edited, _ = _change(files, touched=files // 2)
            again = await runtime.review(edited, record=False)
            assert again.mode == "agents", again.failures
            incremental = model.prompt_tokens - full
            incremental_calls = model.requests - full_calls
        finally:
            await runtime.aclose()
    diff_tokens = count_tokens(diff, MODEL)
    return {
        "diff_tokens": diff_tokens,
        "prompt_tokens": full,
        "calls": full_calls,
        "ratio": full / diff_tokens,
        "incremental_tokens": incremental,
        "incremental_calls": incremental_calls,
        "incremental_pct": 100 * incremental / full,
        "failures": len(review.failures) + len(again.failures),
    }


def _print(label: str, figures: dict[str, float]) -> None:
    print(
        f"{label:>14}: diff {figures['diff_tokens']:.0f} tokens, prompts "
        f"{figures['prompt_tokens']:.0f} tokens in {figures['calls']:.0f} calls = "
        f"{figures['ratio']:.2f}x the diff (goal <= 3x); incremental re-review "
        f"{figures['incremental_tokens']:.0f} tokens in {figures['incremental_calls']:.0f} calls "
        f"= {figures['incremental_pct']:.1f}% of the full review (goal <= 15%); "
        f"agent failures {figures['failures']:.0f}"
    )


def main() -> None:
    """Measure this checkout (and ``--compare DIR``'s) and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--compare", type=Path, help="another checkout to measure first")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    before = None
    if args.compare is not None:
        env = {**os.environ, "PYTHONPATH": str(args.compare)}
        proc = subprocess.run(
            [sys.executable, __file__, "--files", str(args.files), "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            sys.exit(f"the run with PYTHONPATH={args.compare} failed:\n{proc.stderr[-3000:]}")
        before = json.loads(proc.stdout.splitlines()[-1])
    figures = {
        scenario: asyncio.run(_measure(args.files, reads=scenario == "reads"))
        for scenario in ("reads", "direct")
    }
    if args.json:
        print(json.dumps(figures))
        return
    for scenario, measured in figures.items():
        if before is not None:
            _print(f"before {scenario}", before[scenario])
        _print(f"{'after' if before else 'now'} {scenario}", measured)


if __name__ == "__main__":
    main()
