"""Per-tool time of the native analyzers on a small change, with cold and warm Go caches.

Builds a small change (a Go package, a workflow, a Dockerfile, a JavaScript file, a Python
file) and runs the tools phase over it twice with ``ToolsConfig.cache_dir`` set (first cold,
then warm: Go's build cache and staticcheck's facts kept), then once without it (a fresh temp
cache per run, the default). Prints each tool's wall time and the phase's wall time: the
analyzers run concurrently, so the phase takes about as long as its slowest tool. Not a
test: it prints figures.

    .venv/bin/python benchmarks/bench_native.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from review_bot.change import ChangeSet, from_files
from review_bot.config.models import ToolsConfig
from review_bot.tools import run_tools

TOOLS = ("govet", "staticcheck", "actionlint", "zizmor", "hadolint", "eslint", "ruff", "bandit")

GO = """\
package store

import (
\t"fmt"
\t"sync"
)

// Cache holds values.
type Cache struct {
\tmu     sync.Mutex
\tvalues map[string]int
}

// Dump prints the cache.
func Dump(c Cache) {
\tfor k, v := range c.values {
\t\tfmt.Printf("%s=%s\\n", k, v)
\t}
}
"""
WORKFLOW = """\
name: ci
on: pull_request_target
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""
DOCKERFILE = 'FROM python:3.12\nRUN pip install flask\nUSER root\nCMD ["flask", "run"]\n'
JS = "export function show(el, name) {\n  el.innerHTML = name;\n}\n"
PY = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


def _change() -> ChangeSet:
    after = {
        "store/cache.go": GO,
        ".github/workflows/ci.yml": WORKFLOW,
        "Dockerfile": DOCKERFILE,
        "web/show.js": JS,
        "app/run.py": PY,
    }
    return from_files({}, after)


async def _once(label: str, config: ToolsConfig) -> None:
    started = time.monotonic()
    result = await run_tools(_change(), config)
    wall = time.monotonic() - started
    per_tool = ", ".join(
        f"{run.tool} {run.duration_s:.2f}s ({run.status}, {run.findings} findings)"
        for run in sorted(result.runs, key=lambda r: -r.duration_s)
    )
    print(f"{label}: phase {wall:.2f}s wall; {per_tool}")


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-native-") as cache:
        cached = ToolsConfig(enabled=TOOLS, cache_dir=Path(cache))
        await _once("cache_dir cold", cached)
        await _once("cache_dir warm", cached)
    await _once("no cache_dir  ", ToolsConfig(enabled=TOOLS))


if __name__ == "__main__":
    asyncio.run(main())
