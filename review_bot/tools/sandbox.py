"""Run a tool process in a sandbox: temp copy, scrubbed env, rlimits, timeout, output cap.

Tools read the reviewed code, and reviewed code is untrusted: a repo's config can make a tool
execute code, and its content may hold secrets. So each tool sees only a fresh copy of the
changed files, an environment without credentials, bounded memory/CPU/file size, a wall
timeout that kills its whole process group, and a cap on how much it may print.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import resource
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from review_bot.change import FileChange
from review_bot.errors import InputError, ToolMissing

__all__ = [
    "Limits",
    "ProcessResult",
    "ProcessRunner",
    "SubprocessRunner",
    "check_relative_path",
    "materialize",
    "scrubbed_env",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_READ_CHUNK = 64 * 1024
_DRAIN_AFTER_KILL_S = 2.0
_MIN_FSIZE_BYTES = 64 * 1024 * 1024

# Extra variables a tool adapter asks for must not smuggle credentials into the child.
_FORBIDDEN_ENV = re.compile(
    r"(KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION)"
    r"|^(AWS|GCP|GOOGLE|GCLOUD|AZURE|OPENAI|ANTHROPIC|GITHUB|GH|GITLAB|REDIS|DATABASE|PG)_"
    r"|^(REDIS_URL|DATABASE_URL|SSH_AUTH_SOCK|LD_PRELOAD|LD_LIBRARY_PATH|PYTHONPATH)$",
    re.IGNORECASE,
)


class Limits(BaseModel):
    """Per-process limits; ``memory_mb`` None leaves the address space unbounded."""

    model_config = _FROZEN

    timeout_s: float = Field(gt=0)
    memory_mb: int | None = Field(default=None, gt=0)
    cpu_s: int = Field(gt=0)
    max_output_bytes: int = Field(gt=0)


class ProcessResult(BaseModel):
    """What one tool process did. ``exit_code`` is None when we killed it."""

    model_config = _FROZEN

    argv: tuple[str, ...]
    exit_code: int | None
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False
    truncated: bool = False


class ProcessRunner(Protocol):
    """Runs one process to completion; the seam tests and replay replace."""

    async def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        limits: Limits,
        env: Mapping[str, str] | None = None,
    ) -> ProcessResult:
        """Run ``argv`` in ``cwd``; raise ToolMissing when the executable does not exist."""


def check_relative_path(path: str) -> PurePosixPath:
    """Return ``path`` as a safe relative path, or raise InputError.

    Absolute paths, ``..`` components, empty names and NUL bytes could write outside the
    sandbox, so they are refused rather than normalised.
    """
    pure = PurePosixPath(path)
    if not path or "\x00" in path or "\\" in path:
        raise InputError(f"file path {path!r} is not a plain relative path; fix the change input")
    if pure.is_absolute() or any(part in ("..", "") for part in path.split("/")):
        raise InputError(
            f"file path {path!r} is absolute or escapes the repository; fix the change input"
        )
    if pure.parts and pure.parts[0] == ".":
        pure = PurePosixPath(*pure.parts[1:])
    if not pure.parts:
        raise InputError(f"file path {path!r} names no file; fix the change input")
    return pure


def _make_dirs(root: Path, rel: PurePosixPath) -> Path:
    """Create the parents of ``rel`` under ``root``, refusing any symlink on the way."""
    current = root
    for part in rel.parts[:-1]:
        current = current / part
        try:
            os.mkdir(current, 0o700)
        except FileExistsError:
            if current.is_symlink() or not current.is_dir():
                raise InputError(
                    f"cannot create directory {str(current.relative_to(root))!r}: "
                    "a file or link is in the way"
                ) from None
    return current / rel.parts[-1]


def materialize(
    files: Iterable[FileChange],
    root: Path,
    *,
    content: Callable[[FileChange], str | None] | None = None,
) -> list[FileChange]:
    """Write each file's new content under ``root`` at its relative path.

    ``root`` must be a fresh directory. Files are created with ``O_EXCL | O_NOFOLLOW`` so
    nothing pre-existing and no symlink is ever written through. ``content`` may transform
    the text first (e.g. neutralise suppressions the change added). Deleted files and files
    without content are left out. Returns the files written.
    """
    written: list[FileChange] = []
    get = content or (lambda f: f.new_content)
    for file in files:
        text = get(file)
        if text is None or file.status == "deleted":
            continue
        target = _make_dirs(root, check_relative_path(file.path))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        try:
            fd = os.open(target, flags, 0o600)
        except FileExistsError:
            raise InputError(f"file path {file.path!r} appears twice in the change") from None
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as out:
            out.write(text)
        written.append(file)
    return written


def scrubbed_env(
    home: Path, extra: Mapping[str, str] | None = None, *, path: str | None = None
) -> dict[str, str]:
    """The whole environment a tool gets: PATH, locale, a temp HOME/TMPDIR, and ``extra``.

    Nothing is inherited from the parent except PATH, so API keys, tokens and cloud
    credentials never reach a tool. ``extra`` names that look like credentials are refused.
    """
    tmp = home / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {
        "PATH": path if path is not None else os.pathsep.join(os.get_exec_path()),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "NO_COLOR": "1",
    }
    for name, value in (extra or {}).items():
        if _FORBIDDEN_ENV.search(name):
            raise InputError(f"tool environment variable {name!r} looks like a credential")
        env[name] = value
    return env


def _limit_child(limits: Limits, report_fd: int) -> Callable[[], None]:
    """The preexec_fn: runs in the forked child before exec, so limits bind only the tool.

    It first writes the child's pid to ``report_fd`` and closes it (the tool never sees it).
    """
    memory = limits.memory_mb * 1024 * 1024 if limits.memory_mb is not None else None
    fsize = max(limits.max_output_bytes, _MIN_FSIZE_BYTES)

    def apply() -> None:
        os.write(report_fd, str(os.getpid()).encode("ascii"))
        os.close(report_fd)
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _start(
    argv: tuple[str, ...], cwd: Path, env: dict[str, str], limits: Limits
) -> asyncio.subprocess.Process:
    """Start the tool as the leader of its own process group.

    A start cancelled half way (Ctrl-C, a deadline) is the hard case: asyncio then kills
    only the leader and waits until every process holding the output pipes is gone, which
    is whatever the tool already started. So the start runs as its own task, the child
    reports its pid (its group) before exec, and a cancel kills the whole group at once.
    """
    report, reported = os.pipe()
    spawn = asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            pass_fds=(reported,),
            preexec_fn=_limit_child(limits, reported),
        )
    )

    def close_pipe(_: object) -> None:  # only once the start is over: the child needs it
        os.close(report)
        os.close(reported)

    spawn.add_done_callback(close_pipe)
    try:
        return await asyncio.shield(spawn)
    except asyncio.CancelledError:
        if not spawn.done():
            _kill_reported_group(report)
        with contextlib.suppress(asyncio.CancelledError, TimeoutError, OSError):
            proc = await asyncio.wait_for(spawn, timeout=_DRAIN_AFTER_KILL_S)
            _kill_group(proc.pid)  # if it forked only after the cancel
            await asyncio.wait_for(proc.wait(), timeout=_DRAIN_AFTER_KILL_S)
        raise


def _kill_reported_group(report_fd: int) -> None:
    """Kill the group of a child that reported its pid on ``report_fd`` (if one did)."""
    os.set_blocking(report_fd, False)
    try:
        pid = int(os.read(report_fd, 32) or b"0")
    except (BlockingIOError, ValueError):
        return  # it never got as far as reporting: nothing of it runs
    if pid > 0:
        _kill_group(pid)


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a future's outcome as seen (no "exception was never retrieved" at shutdown)."""
    if not future.cancelled():
        future.exception()


class _Capture:
    """Collects stdout and stderr up to a shared byte budget."""

    def __init__(self, budget: int, on_overflow: Callable[[], None]) -> None:
        self.left = budget
        self.truncated = False
        self._on_overflow = on_overflow

    async def drain(self, stream: asyncio.StreamReader | None, sink: bytearray) -> None:
        if stream is None:
            return
        while chunk := await stream.read(_READ_CHUNK):
            if self.truncated:
                continue
            if len(chunk) > self.left:
                sink += chunk[: self.left]
                self.left = 0
                self.truncated = True
                self._on_overflow()
                continue
            sink += chunk
            self.left -= len(chunk)


class SubprocessRunner:
    """The real runner: asyncio subprocesses inside the sandbox described above.

    Args:
        path: PATH given to tools (default: this process's executable search path).
    """

    def __init__(self, *, path: str | None = None) -> None:
        self._path = path

    async def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        limits: Limits,
        env: Mapping[str, str] | None = None,
    ) -> ProcessResult:
        """Run ``argv`` with a temp HOME; see the module docstring for the sandbox."""
        if not argv:
            raise InputError("cannot run an empty command")
        home = Path(tempfile.mkdtemp(prefix="review-bot-home-"))
        try:
            child_env = scrubbed_env(home, env, path=self._path)
            return await self._run(tuple(argv), cwd, limits, child_env)
        finally:
            shutil.rmtree(home, ignore_errors=True)

    async def _run(
        self, argv: tuple[str, ...], cwd: Path, limits: Limits, env: dict[str, str]
    ) -> ProcessResult:
        started = time.monotonic()
        try:
            proc = await _start(argv, cwd, env, limits)
        except FileNotFoundError as exc:
            raise ToolMissing(f"{argv[0]!r} not found: install it or disable the tool") from exc
        except PermissionError as exc:
            raise ToolMissing(f"{argv[0]!r} is not executable: fix its permissions") from exc
        out, err = bytearray(), bytearray()
        capture = _Capture(limits.max_output_bytes, lambda: _kill_group(proc.pid))
        readers = asyncio.gather(capture.drain(proc.stdout, out), capture.drain(proc.stderr, err))
        timed_out = False
        try:
            await asyncio.wait_for(proc.wait(), timeout=limits.timeout_s)
        except TimeoutError:
            timed_out = True
            _kill_group(proc.pid)
            await proc.wait()
        except asyncio.CancelledError:
            # Ctrl-C or a deadline: kill, stop reading, reap the leader while the loop still
            # runs (or its transport complains after the loop closed), then go on cancelling.
            _kill_group(proc.pid)
            readers.cancel()
            readers.add_done_callback(_retrieve)
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(proc.wait(), timeout=_DRAIN_AFTER_KILL_S)
            raise
        finally:
            # Whatever the outcome, nothing the tool started may outlive it.
            _kill_group(proc.pid)
        # A grandchild that escaped the group may hold the pipe open: keep what we have.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(readers, timeout=_DRAIN_AFTER_KILL_S)
        killed = timed_out or capture.truncated
        return ProcessResult(
            argv=argv,
            exit_code=None if killed else proc.returncode,
            stdout=out.decode("utf-8", errors="replace"),
            stderr=err.decode("utf-8", errors="replace"),
            duration_s=round(time.monotonic() - started, 3),
            timed_out=timed_out,
            truncated=capture.truncated,
        )
