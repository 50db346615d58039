"""CPU-seconds of tools-only reviews, before and after, side by side in one run.

Each figure is one fresh ``review-bot`` process (cold: its own empty cache and transcripts
dirs), measured from inside it with ``resource.getrusage`` (RUSAGE_SELF + RUSAGE_CHILDREN:
the CLI and every analyzer it ran). ``--before`` and ``--after`` are source roots put first on
PYTHONPATH (default: /work/main and this checkout); the processes run from a neutral
directory so neither shadows the other. Printed:

- the bundled example (``review --example --tools-only``), median of ``--repeat`` runs;
- a real 20-file change: the newest commit range of ``--repo`` whose diff touches 20 files;
- warm / cold at 50 files: the same 50-file change reviewed again with the cache kept, by a
  new CLI process (the start-up is paid again) and within one process (a worker's view);
- ``review-bot --help``: wall and CPU seconds;
- the time to build a change that adds a 100 MB file (it is skipped as oversized), killed
  after ``--big-timeout`` seconds.

    .venv/bin/python benchmarks/bench_speed.py [--repeat 5] [--before /work/main] [--after .]

Not a test: it prints figures, and the machine's load (``os.getloadavg``) beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
# runs inside the measured process: the CLI in process, then its own and its children's CPU
PROBE = """\
import json, resource, sys
from review_bot.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
print(json.dumps({"code": code, "cpu": cpu}), file=sys.stderr)
"""
BIG_PROBE = """\
import json, sys, time
from pathlib import Path
from review_bot.change import from_git
start = time.perf_counter()
change = from_git(Path(sys.argv[1]), "main")
reasons = [s.reason for s in change.skipped]
print(json.dumps({"wall": time.perf_counter() - start, "skipped": reasons}), file=sys.stderr)
"""


# a worker's view: one process reviews the 50 files cold, then again warm (its cache kept)
WARM_PROBE = """\
import asyncio, json, resource, sys
from pathlib import Path
from review_bot.change import from_git
from review_bot.compose import Runtime
from review_bot.config.settings import load_settings

def cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

async def main():
    settings = load_settings(tools_only=True)
    runtime = Runtime.from_settings(settings)
    try:
        change = from_git(Path(sys.argv[1]), "main")
        times = []
        for _ in range(2):
            start = cpu()
            review = await runtime.review(change, settings.review)
            times.append(cpu() - start)
    finally:
        await runtime.aclose()
    print(json.dumps({"cold": times[0], "warm": times[1], "findings": len(review.findings)}),
          file=sys.stderr)

asyncio.run(main())
"""


def _env(source: Path, state: Path) -> dict[str, str]:
    venv_bin = Path(sys.executable).parent
    node_bin = venv_bin.parent / "node" / "node_modules" / ".bin"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVIEW_BOT_", "OPENAI_"))}
    env.update(
        PYTHONPATH=str(source),
        PATH=os.pathsep.join([str(node_bin), str(venv_bin), env.get("PATH", "")]),
        REVIEW_BOT_CACHE_DIR=str(state / "cache"),
        REVIEW_BOT_TRANSCRIPTS=str(state / "transcripts"),
    )
    return env


def measure(source: Path, args: list[str], *, state: Path | None = None) -> dict[str, float]:
    """One CLI process under ``source``; ``state`` kept between calls makes a warm run."""
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        where = state or Path(tmp)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, *args],
            env=_env(source, where),
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        wall = time.perf_counter() - started
    lines = proc.stderr.strip().splitlines()
    try:
        result: dict[str, float] = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"{source}: {' '.join(args)} failed:\n{proc.stderr[-2000:]}") from None
    if result["code"] not in (0, 1, 4):
        raise SystemExit(f"{source}: exit {result['code']}:\n{proc.stderr[-2000:]}")
    result["wall"] = wall  # the whole process, interpreter start-up included
    return result


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def twenty_file_range(repo: Path, want: int = 20) -> tuple[Path, str, str, int]:
    """A local clone of ``repo`` and its newest range ``base..head`` (up to 10 commits)
    whose diff touches ``want`` files (the closest count within 5 if none does)."""
    clone = Path(tempfile.mkdtemp(prefix="bench-speed-repo-"))
    subprocess.run(["git", "clone", "-q", "--local", str(repo), str(clone)], check=True)
    commits = _git(clone, "rev-list", "--first-parent", "-n", "150", "HEAD").split()
    best: tuple[int, str, str, int] | None = None
    for i, head in enumerate(commits):
        for base in commits[i + 1 : i + 11]:
            count = len(_git(clone, "diff", "--name-only", base, head).split())
            if best is None or abs(count - want) < best[0]:
                best = (abs(count - want), base, head, count)
            if count >= want:
                break
        if best is not None and best[0] == 0:
            break
    if best is None or best[0] > 5:
        raise SystemExit(f"no range of {repo} touches about {want} files")
    _, base, head, count = best
    _git(clone, "checkout", "-q", head)
    return clone, base, head, count


def fifty_file_repo() -> Path:
    """A repo whose last commit adds bench_tools.py's 50 synthetic files."""
    sys.path.insert(0, str(HERE / "benchmarks"))
    from bench_tools import synthetic_change

    repo = Path(tempfile.mkdtemp(prefix="bench-speed-50-"))
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README").write_text("base\n")
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    _git(repo, "add", "-A")
    _git(repo, *ident, "commit", "-qm", "base")
    _git(repo, "checkout", "-q", "-b", "feat")
    for file in synthetic_change(50).files:
        target = repo / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.new_content or "")
    _git(repo, "add", "-A")
    _git(repo, *ident, "commit", "-qm", "fifty files")
    return repo


def big_file_repo(size_mb: int) -> Path:
    repo = Path(tempfile.mkdtemp(prefix="bench-speed-big-"))
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    _git(repo, "init", "-q", "-b", "main")
    (repo / "app.py").write_text("x = 1\n")
    _git(repo, "add", "-A")
    _git(repo, *ident, "commit", "-qm", "base")
    _git(repo, "checkout", "-q", "-b", "feat")
    line = "value = 'abcdefghijklmnopqrstuvwxyz0123456789'\n"
    with (repo / "data.py").open("w") as out:
        out.write(line * (size_mb * 1024 * 1024 // len(line)))
    (repo / "app.py").write_text("x = 2\n")
    _git(repo, "add", "-A")
    _git(repo, *ident, "commit", "-qm", "big")
    return repo


def big_skip(source: Path, repo: Path, timeout: float) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            proc = subprocess.run(
                [sys.executable, "-c", BIG_PROBE, str(repo)],
                env=_env(source, Path(tmp)),
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"> {timeout:g} s (killed)"
    data = json.loads(proc.stderr.strip().splitlines()[-1])
    return f"{data['wall']:.2f} s ({'; '.join(data['skipped'])})"


def in_process_warm(source: Path, repo: Path) -> dict[str, float]:
    """Cold and warm review of ``repo``'s change in one process (a worker's view)."""
    with tempfile.TemporaryDirectory(prefix="bench-speed-warm-") as tmp:
        proc = subprocess.run(
            [sys.executable, "-c", WARM_PROBE, str(repo)],
            env=_env(source, Path(tmp)),
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
    try:
        found: dict[str, float] = json.loads(proc.stderr.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"{source}: in-process warm run failed:\n{proc.stderr[-2000:]}") from None
    return found


def median(source: Path, args: list[str], repeat: int, key: str = "cpu") -> float:
    return statistics.median(measure(source, args)[key] for _ in range(repeat))


def _row(name: str, before: float, after: float, unit: str = "CPU-s") -> None:
    ratio = after / before if before else float("nan")
    print(f"{name:<42} {before:>8.2f} {after:>8.2f} {unit:<6} after/before {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, default=Path("/work/main"))
    parser.add_argument("--after", type=Path, default=HERE)
    parser.add_argument("--repo", type=Path, default=Path("/work/main"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--big-mb", type=int, default=100)
    parser.add_argument("--big-timeout", type=float, default=120.0)
    opts = parser.parse_args()
    sides = {"before": opts.before.resolve(), "after": opts.after.resolve()}
    print(f"load average at start: {os.getloadavg()}; {os.cpu_count()} CPUs")
    print(f"{'':<42} {'before':>8} {'after':>8}")
    tools = ["review", "--tools-only", "--format", "json", "--output", "/dev/null", "--no-progress"]

    example = {k: median(v, [*tools, "--example"], opts.repeat) for k, v in sides.items()}
    _row(f"example, median of {opts.repeat}", example["before"], example["after"])

    clone, base, head, count = twenty_file_range(opts.repo)
    real = [*tools, str(clone), "--base", base]
    twenty = {k: median(v, real, max(1, opts.repeat // 2)) for k, v in sides.items()}
    _row(f"real change: {count} files ({base[:7]}..{head[:7]})", twenty["before"], twenty["after"])
    shutil.rmtree(clone, ignore_errors=True)

    repo = fifty_file_repo()
    fifty = [*tools, str(repo), "--base", "main"]
    ratios = {}
    for side, source in sides.items():
        with tempfile.TemporaryDirectory(prefix="bench-speed-state-") as state:
            cold = measure(source, fifty, state=Path(state))["cpu"]
            warm = measure(source, fifty, state=Path(state))["cpu"]
        ratios[side] = (cold, warm)
    for side, (cold, warm) in ratios.items():
        print(f"50 files, CLI, {side}: cold {cold:.2f} CPU-s, warm {warm:.2f} CPU-s, "
              f"warm/cold {warm / cold:.1%}")  # fmt: skip
    for side, source in sides.items():
        got = in_process_warm(source, repo)
        print(f"50 files, one process, {side}: cold {got['cold']:.2f} CPU-s, warm "
              f"{got['warm']:.2f} CPU-s, warm/cold {got['warm'] / got['cold']:.1%}")  # fmt: skip
    shutil.rmtree(repo, ignore_errors=True)

    helps = {k: [measure(v, ["--help"]) for _ in range(opts.repeat)] for k, v in sides.items()}
    for key, unit in (("wall", "s"), ("cpu", "CPU-s")):
        values = {k: statistics.median(r[key] for r in runs) for k, runs in helps.items()}
        _row(f"review-bot --help ({key}, median)", values["before"], values["after"], unit)

    big = big_file_repo(opts.big_mb)
    for side, source in sides.items():
        print(f"{opts.big_mb} MB file, change built ({side}): "
              f"{big_skip(source, big, opts.big_timeout)}")  # fmt: skip
    shutil.rmtree(big, ignore_errors=True)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
