"""How much the tools phase costs over running the same tools by hand.

Builds a synthetic 50-file Python change (service-style modules, a few with defects), runs
``run_tools`` over it, then runs the very same argv (taken from the phase's ToolRuns) by hand
with plain ``subprocess.Popen`` in a fresh copy of the files: once all at the same time (what
the phase does, so the fair comparison) and once one after the other. Prints wall times and
the ratio phase / by-hand-concurrent (target <= 1.3x). Not a test: it prints figures.

    .venv/bin/python benchmarks/bench_tools.py [--files 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from pathlib import Path

from review_bot.change import ChangeSet, FileChange, Hunk
from review_bot.config.models import ToolsConfig
from review_bot.tools import ToolPhaseResult, materialize, neutralize_added_suppressions, run_tools

TOOLS = ("ruff", "bandit", "semgrep", "secrets")

CLEAN = '''\
"""Orders service module {i}."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Order{i}:
    id: int
    items: list[str] = field(default_factory=list)
    total: float = 0.0

    def add(self, item: str, price: float) -> None:
        self.items.append(item)
        self.total += price

    def to_json(self) -> str:
        return json.dumps({{"id": self.id, "items": self.items, "total": self.total}})


def load_orders_{i}(rows: list[dict[str, object]]) -> list[Order{i}]:
    orders = []
    for row in rows:
        order = Order{i}(id=int(str(row["id"])))
        for item in row.get("items", []):  # type: ignore[union-attr]
            order.add(str(item), 1.0)
        orders.append(order)
    log.info("loaded %d orders", len(orders))
    return orders
'''

DEFECTS = (
    """

def run_report_{i}(name):
    import subprocess
    return subprocess.check_output("report " + name, shell=True)
""",
    """

def parse_config_{i}(text):
    import yaml
    return yaml.load(text)
""",
    """

def lookup_{i}(cur, user):
    cur.execute("select * from users where name = '%s'" % user)
    return cur.fetchall(), undefined_helper_{i}()
""",
    """

API_KEY_{i} = "AKIAIOSFODNN7EXAMPL{i}"
""",
)


def synthetic_change(count: int) -> ChangeSet:
    """``count`` added Python files; every fifth carries one defect."""
    files = []
    for i in range(count):
        text = CLEAN.format(i=i)
        if i % 5 == 0:
            text += DEFECTS[(i // 5) % len(DEFECTS)].format(i=i % 10)
        lines = len(text.splitlines())
        hunk = Hunk(
            old_start=0,
            old_length=0,
            new_start=1,
            new_length=lines,
            added=frozenset(range(1, lines + 1)),
        )
        files.append(
            FileChange(
                path=f"svc/orders/mod_{i:02d}.py",
                status="added",
                language="python",
                new_content=text,
                hunks=(hunk,),
            )
        )
    return ChangeSet(files=tuple(files))


def by_hand(change: ChangeSet, phase: ToolPhaseResult, *, concurrent: bool) -> float:
    """Run the phase's argv with plain Popen in a fresh copy; return wall seconds."""
    env = {**os.environ, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        materialize(change.files, root, content=neutralize_added_suppressions)
        started = time.monotonic()
        argvs = [run.argv for run in phase.runs if run.status == "ok"]
        if concurrent:
            procs = [
                subprocess.Popen(
                    argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
                for argv in argvs
            ]
            for proc in procs:
                proc.communicate()
        else:
            for argv in argvs:
                subprocess.run(argv, cwd=root, env=env, capture_output=True, check=False)
        return time.monotonic() - started


async def timed_phase(change: ChangeSet, config: ToolsConfig) -> tuple[float, ToolPhaseResult]:
    started = time.monotonic()
    result = await run_tools(change, config)
    return time.monotonic() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    change = synthetic_change(args.files)
    config = ToolsConfig(enabled=TOOLS)

    _, phase = asyncio.run(timed_phase(change, config))  # warm-up: disk cache, imports
    for run in phase.runs:
        print(
            f"  {run.tool:<8} {run.status:<7} v{run.version}  {run.duration_s:6.2f}s  "
            f"{run.findings:3d} findings  {run.reason}"
        )
    phase_s, hand_par_s, hand_seq_s = [], [], []
    for _ in range(args.repeat):
        seconds, phase = asyncio.run(timed_phase(change, config))
        phase_s.append(seconds)
        hand_par_s.append(by_hand(change, phase, concurrent=True))
        hand_seq_s.append(by_hand(change, phase, concurrent=False))
    best_phase, best_par, best_seq = min(phase_s), min(hand_par_s), min(hand_seq_s)
    print(f"files: {args.files}, tools: {', '.join(TOOLS)}, best of {args.repeat}")
    print(f"tools phase (sandboxed, concurrent): {best_phase:6.2f}s")
    print(f"by hand, concurrent Popen:           {best_par:6.2f}s")
    print(f"by hand, sequential:                 {best_seq:6.2f}s")
    print(f"ratio phase / by-hand-concurrent:    {best_phase / best_par:6.2f}x  (target <= 1.3x)")
    print(f"findings: {len(phase.findings)}, failures: {len(phase.failures)}")


if __name__ == "__main__":
    main()
