"""The sandboxed runner: env scrubbing, limits, timeouts, output caps, safe materialization."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
import time
from pathlib import Path

import pytest
from tools_helpers import added_file, process_alive, same_dir

from review_bot.errors import InputError, ToolMissing
from review_bot.tools.sandbox import Limits, SubprocessRunner, materialize

LIMITS = Limits(timeout_s=30, memory_mb=1024, cpu_s=30, max_output_bytes=1_000_000)


async def test_env_is_scrubbed_of_credentials(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-parent-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_parent")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-parent")
    monkeypatch.setenv("REDIS_URL", "redis://secret@host")
    result = await SubprocessRunner().run(["env"], cwd=workdir, limits=LIMITS)
    names = {line.split("=", 1)[0] for line in result.stdout.splitlines()}
    assert result.exit_code == 0
    assert "PATH" in names
    assert {"OPENAI_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "REDIS_URL"}.isdisjoint(
        names
    )
    assert "sk-parent-secret" not in result.stdout
    home = next(line for line in result.stdout.splitlines() if line.startswith("HOME="))
    assert home != f"HOME={os.environ.get('HOME')}"
    assert "LANG=C.UTF-8" in result.stdout.splitlines()


async def test_explicit_tool_vars_pass_but_credentials_are_refused(workdir: Path) -> None:
    runner = SubprocessRunner()
    result = await runner.run(["env"], cwd=workdir, limits=LIMITS, env={"SEMGREP_X": "1"})
    assert "SEMGREP_X=1" in result.stdout.splitlines()
    with pytest.raises(InputError, match="OPENAI_API_KEY"):
        await runner.run(["env"], cwd=workdir, limits=LIMITS, env={"OPENAI_API_KEY": "k"})


async def test_runs_in_the_given_directory(workdir: Path) -> None:
    result = await SubprocessRunner().run(["pwd"], cwd=workdir, limits=LIMITS)
    assert same_dir(result.stdout.strip(), workdir)


async def test_timeout_kills_the_whole_process_group(workdir: Path) -> None:
    pidfile = workdir / "child.pid"
    script = f"sleep 30 & echo $! > {pidfile}; wait"
    limits = LIMITS.model_copy(update={"timeout_s": 1.0})
    result = await SubprocessRunner().run(["sh", "-c", script], cwd=workdir, limits=limits)
    assert result.timed_out
    assert result.exit_code is None
    assert not process_alive(int(pidfile.read_text()))


async def test_output_cap_kills_and_marks_truncated(workdir: Path) -> None:
    limits = LIMITS.model_copy(update={"max_output_bytes": 10_000})
    result = await SubprocessRunner().run(["yes"], cwd=workdir, limits=limits)
    assert result.truncated
    assert result.exit_code is None
    assert len(result.stdout) + len(result.stderr) <= 10_000


async def test_memory_limit_applies_in_the_child(workdir: Path) -> None:
    code = "x = bytearray(512 * 1024 * 1024)"
    limits = LIMITS.model_copy(update={"memory_mb": 256})
    result = await SubprocessRunner().run([sys.executable, "-c", code], cwd=workdir, limits=limits)
    assert result.exit_code != 0
    assert "MemoryError" in result.stderr


async def test_core_dumps_are_off(workdir: Path) -> None:
    result = await SubprocessRunner().run(["sh", "-c", "ulimit -c"], cwd=workdir, limits=LIMITS)
    assert result.stdout.strip() == "0"


async def test_missing_executable_raises_tool_missing(workdir: Path) -> None:
    with pytest.raises(ToolMissing, match="no-such-tool-xyz"):
        await SubprocessRunner().run(["no-such-tool-xyz"], cwd=workdir, limits=LIMITS)


def test_materialize_writes_relative_paths(workdir: Path) -> None:
    written = materialize(
        [added_file("pkg/sub/a.py", "x = 1\n"), added_file("b.sh", "echo\n")], workdir
    )
    assert [f.path for f in written] == ["pkg/sub/a.py", "b.sh"]
    assert (workdir / "pkg/sub/a.py").read_text() == "x = 1\n"


@pytest.mark.parametrize("bad", ["/etc/passwd", "../escape.py", "a/../../b.py", "a//b", ""])
def test_materialize_refuses_escaping_paths(workdir: Path, bad: str) -> None:
    with pytest.raises(InputError, match="path"):
        materialize([added_file(bad, "x\n")], workdir)
    assert not (workdir.parent / "escape.py").exists()


def test_materialize_never_follows_symlinks(workdir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (workdir / "link").symlink_to(outside)
    (workdir / "f.py").symlink_to(outside / "target.py")
    with pytest.raises(InputError, match="link"):
        materialize([added_file("link/x.py", "x\n")], workdir)
    with pytest.raises(InputError):
        materialize([added_file("f.py", "x\n")], workdir)
    assert list(outside.iterdir()) == []


def test_a_run_cancelled_by_ctrl_c_leaves_no_process_or_asyncio_noise(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Like Ctrl-C in ``review-bot eval``: the run is cancelled and the loop shut down."""
    pidfile = workdir / "child.pid"
    script = f"sleep 30 & echo $! > {pidfile}; while true; do echo x; sleep 0.01; done"

    async def main() -> None:
        run = SubprocessRunner().run(["sh", "-c", script], cwd=workdir, limits=LIMITS)
        task = asyncio.create_task(run)
        for _ in range(200):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            await asyncio.sleep(0.02)
        task.cancel()  # not awaited: asyncio.run's shutdown cancels and collects the rest

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        asyncio.run(main())
        gc.collect()
    assert [r.getMessage() for r in caplog.records] == []
    pid = int(pidfile.read_text())
    for _ in range(100):  # SIGKILL was sent; on a loaded machine dying takes a moment
        if not process_alive(pid):
            break
        time.sleep(0.02)
    assert not process_alive(pid)


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if token.encode() in cmdline and process_alive(int(entry.name)):
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("ticks", [1, 2, 3, 5, 8, 13])
def test_a_run_cancelled_while_starting_leaves_no_process(workdir: Path, ticks: int) -> None:
    """asyncio kills only the leader when a start is cancelled; the group must go too."""
    # a sleep length no other process uses, and days long: were the sleeps waited out
    # instead of killed, asyncio.run would not return and pytest's timeout fails the test
    token = f"3{ticks}{os.getpid()}7"
    script = f"sleep {token} & sleep {token} & wait"

    async def main() -> None:
        task = asyncio.create_task(
            SubprocessRunner().run(["sh", "-c", script], cwd=workdir, limits=LIMITS)
        )
        for _ in range(ticks):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())  # returns: the group was killed, not waited out
    for _ in range(100):
        if not _processes_with(token):
            break
        time.sleep(0.02)
    assert _processes_with(token) == []


async def test_exits_are_seen_on_kernels_without_pidfd(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pidfd(pid: int) -> int:
        raise OSError("pidfd_open is not supported")

    monkeypatch.setattr(os, "pidfd_open", no_pidfd)
    result = await SubprocessRunner().run(
        ["sh", "-c", "echo out; echo err >&2; exit 3"], cwd=workdir, limits=LIMITS
    )
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
