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
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Protocol

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
_REAP_AFTER_KILL_S = 1.0
_EXIT_POLL_S = 0.05
_MIN_FSIZE_BYTES = 64 * 1024 * 1024

# Extra variables a tool adapter asks for must not smuggle credentials into the child.
_FORBIDDEN_ENV = re.compile(
    r"(KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION)"
    r"|^(AWS|GCP|GOOGLE|GCLOUD|AZURE|OPENAI|ANTHROPIC|GITHUB|GH|GITLAB|REDIS|DATABASE|PG)_"
    r"|^(REDIS_URL|DATABASE_URL|SSH_AUTH_SOCK|LD_PRELOAD|LD_LIBRARY_PATH|PYTHONPATH)$",
    re.IGNORECASE,
)


class Limits(BaseModel):
    """Per-process limits; ``memory_mb`` bounds private writable memory (RLIMIT_DATA), None
    leaves it unbounded."""

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


def _limit_child(limits: Limits) -> Callable[[], None]:
    """The preexec_fn: runs in the forked child before exec, so limits bind only the tool."""
    memory = limits.memory_mb * 1024 * 1024 if limits.memory_mb is not None else None
    fsize = max(limits.max_output_bytes, _MIN_FSIZE_BYTES)

    def apply() -> None:
        if memory is not None:
            # RLIMIT_DATA (private writable memory: heap, anonymous mmaps), not RLIMIT_AS:
            # runtimes reserve far more address space than they touch (GHC's shellcheck
            # on a 5,000-line script, V8), and an address-space limit kills them for it.
            resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class _Child:
    """A started tool, watched from the event loop with no await between fork and pid.

    asyncio's subprocess transport connects its pipes after the fork, in a step that a
    cancel (Ctrl-C, a deadline, ``asyncio.run`` shutting down) can interrupt: it then kills
    only the leader and can wait forever for pipes it never connected, while whatever the
    tool started runs on. Here ``Popen`` returns the pid (= the process group) at once, the
    output pipes and a pidfd are plain readers on the loop, and :meth:`close`, which every
    path out of a run goes through, kills the whole group and reaps the leader.
    """

    def __init__(
        self, argv: tuple[str, ...], cwd: Path, env: dict[str, str], limits: Limits
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self.out, self.err = bytearray(), bytearray()
        self.truncated = False
        self._left = limits.max_output_bytes
        self.exited: asyncio.Future[int] = self._loop.create_future()
        self.drained: asyncio.Future[None] = self._loop.create_future()
        self._sinks: dict[int, bytearray] = {}
        self._poller: asyncio.TimerHandle | None = None
        self._pidfd: int | None = None
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            # only setrlimit calls (no locks, no imports) between fork and exec, as
            # asyncio's subprocess support did for us before
            preexec_fn=_limit_child(limits),  # noqa: PLW1509
        )
        try:
            self._watch()
        except BaseException:
            self.close()
            raise

    def _watch(self) -> None:
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            assert stream is not None
            fd = stream.fileno()
            os.set_blocking(fd, False)
            self._sinks[fd] = sink
            self._loop.add_reader(fd, self._read, fd)
        try:
            self._pidfd = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):  # no pidfd (old kernel): poll for the exit instead
            self._poller = self._loop.call_later(_EXIT_POLL_S, self._poll)
        else:
            self._loop.add_reader(self._pidfd, self._poll)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self, fd: int) -> None:
        try:
            chunk = os.read(fd, _READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._stop_reading(fd)
            return
        if self.truncated:
            return
        sink = self._sinks[fd]
        if len(chunk) > self._left:
            sink += chunk[: self._left]
            self._left = 0
            self.truncated = True
            _kill_group(self.pid)
            return
        sink += chunk
        self._left -= len(chunk)

    def _stop_reading(self, fd: int) -> None:
        if self._sinks.pop(fd, None) is not None:
            self._loop.remove_reader(fd)
        if not self._sinks and not self.drained.done():
            self.drained.set_result(None)

    def _poll(self) -> None:
        code = self.proc.poll()
        if code is None:
            if self._pidfd is None:
                self._poller = self._loop.call_later(_EXIT_POLL_S, self._poll)
            return
        self._stop_watching_exit()
        if not self.exited.done():
            self.exited.set_result(code)

    def _stop_watching_exit(self) -> None:
        if self._pidfd is not None:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None

    def close(self) -> None:
        """Kill the group, stop watching, close the pipes and reap the leader."""
        _kill_group(self.pid)
        for fd in list(self._sinks):
            self._stop_reading(fd)
        self._stop_watching_exit()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=_REAP_AFTER_KILL_S)  # SIGKILLed: a moment at most


class SubprocessRunner:
    """The real runner: tool processes inside the sandbox described above.

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
            child = _Child(argv, cwd, env, limits)
        except FileNotFoundError as exc:
            raise ToolMissing(f"{argv[0]!r} not found: install it or disable the tool") from exc
        except PermissionError as exc:
            raise ToolMissing(f"{argv[0]!r} is not executable: fix its permissions") from exc
        timed_out = False
        try:
            try:
                await asyncio.wait_for(asyncio.shield(child.exited), timeout=limits.timeout_s)
            except TimeoutError:
                timed_out = True
            # Ended or out of time, nothing the tool started may outlive it. A grandchild
            # that escaped the group may hold the pipes open: keep what we have after a
            # short wait.
            _kill_group(child.pid)
            await asyncio.shield(child.exited)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(child.drained), _DRAIN_AFTER_KILL_S)
        finally:
            child.close()
        killed = timed_out or child.truncated
        return ProcessResult(
            argv=argv,
            exit_code=None if killed else child.proc.returncode,
            stdout=child.out.decode("utf-8", errors="replace"),
            stderr=child.err.decode("utf-8", errors="replace"),
            duration_s=round(time.monotonic() - started, 3),
            timed_out=timed_out,
            truncated=child.truncated,
        )
