"""Are reviewer and security really concurrent? Wall time vs the longest dependent chain.

A fake OpenAI-compatible server on loopback adds 500 ms to every completion. Per chunk the
dependent chain is: reviewer (tool call, then answer) ∥ security (answer) → coder (answer),
so the longest chain is 3 completions per chunk, and chunks run side by side. The script
prints wall time, chain time and their ratio (target ≤ 1.3×). Run:

    .venv/bin/python benchmarks/bench_agents.py [--chunks N] [--delay 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from review_bot import change as change_mod
from review_bot.config.model import ModelConfig
from review_bot.config.models import ReviewConfig
from review_bot.events import RecordingSink
from review_bot.findings import Finding
from review_bot.orchestration import build_agent_runner
from review_bot.tokens import count_tokens
from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, Reply


class _Tools:
    def __init__(self, findings: tuple[Finding, ...]) -> None:
        self.findings = findings


def _answer(request: RecordedRequest, delay: float) -> Reply:
    messages: list[dict[str, Any]] = request.body["messages"]
    system = messages[0]["content"]
    user = next(m["content"] for m in messages if m["role"] == "user")
    shown = re.search(r"m\d+\.py", user)  # the file this chunk shows (one per chunk)
    path = shown.group(0) if shown else "m0.py"
    if "*reviewer*" in system and not any(m["role"] == "tool" for m in messages):
        call = {
            "id": "call_1",
            "type": "function",
            "function": {
                "name": "read_file_lines",
                "arguments": json.dumps({"path": path, "start_line": 1, "end_line": 3}),
            },
        }
        return Reply(content=None, tool_calls=(call,), finish_reason="tool_calls", delay_s=delay)
    if "*coder*" in system:
        return Reply(content=json.dumps({"patches": []}), delay_s=delay)
    finding = {
        "path": path,
        "line": 2,
        "severity": "medium",
        "category": "bug" if "*reviewer*" in system else "security",
        "rule_id": "bench",
        "message": "benchmark finding",
        "confidence": 0.9,
    }
    return Reply(content=json.dumps({"findings": [finding]}), delay_s=delay)


async def _run(chunks: int, delay: float) -> tuple[float, int, dict[str, object], int]:
    lines = "".join(f"value_{n} = compute({n}, name='item{n}')\n" for n in range(90))
    before = {f"m{i}.py": "" for i in range(chunks)}
    after = {f"m{i}.py": lines for i in range(chunks)}
    change = change_mod.from_files(before, after)
    with FakeOpenAIServer(default=lambda r: _answer(r, delay)) as server:
        model = ModelConfig(
            model="fake-model",
            base_url=server.base_url,
            api_key="sk-bench",
            chunk_token_budget=4_000,  # one file per chunk
            max_concurrent_chunks=chunks,
        )
        runner = build_agent_runner(model, redact=str)
        assert runner is not None
        started = time.perf_counter()
        result = await runner.run(change, _Tools(()), ReviewConfig(), RecordingSink())
        wall = time.perf_counter() - started
        calls = server.completion_count
    return wall, calls, result.stats, len(result.failures)


async def main() -> None:
    """Run the agent phase against the slow fake server and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.5)
    args = parser.parse_args()
    count_tokens("warm up the tokenizer")
    cold, *_ = await _run(1, 0.0)  # first use pays imports and SDK model building once
    wall, calls, stats, failures = await _run(args.chunks, args.delay)
    chain = 3 * args.delay  # reviewer's 2 calls ∥ security's 1, then the coder's 1
    print(f"cold start (1 chunk, no delay, first use in the process): {cold:.2f}s")
    print(f"chunks: {args.chunks}  completions: {calls}  llm_calls: {stats['llm_calls']}")
    print(f"failures: {failures}")
    print(f"wall time: {wall:.2f}s  longest dependent chain: {chain:.2f}s")
    print(f"ratio: {wall / chain:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    asyncio.run(main())
