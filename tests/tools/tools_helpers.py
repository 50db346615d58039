"""Helpers for the tools tests: changes built directly, fake runners speaking the protocol."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from review_bot.change import ChangeSet, FileChange, Hunk
from review_bot.tools.sandbox import Limits, ProcessResult


def added_file(path: str, text: str, language: str | None = None) -> FileChange:
    """A new file whose every line is added."""
    count = len(text.splitlines())
    hunk = Hunk(
        old_start=0,
        old_length=0,
        new_start=1,
        new_length=count,
        added=frozenset(range(1, count + 1)),
    )
    return FileChange(path=path, status="added", language=language, new_content=text, hunks=(hunk,))


def modified_file(
    path: str, text: str, added: Sequence[int], language: str | None = None
) -> FileChange:
    """A modified file where only ``added`` lines are new; the rest are unchanged."""
    count = len(text.splitlines())
    hunk = Hunk(
        old_start=1, old_length=count, new_start=1, new_length=count, added=frozenset(added)
    )
    return FileChange(
        path=path, status="modified", language=language, new_content=text, hunks=(hunk,)
    )


def change_of(*files: FileChange) -> ChangeSet:
    """A ChangeSet of ``files``."""
    return ChangeSet(files=files)


class ScriptedRunner:
    """A ProcessRunner that answers every run with a fixed result and records the calls."""

    def __init__(
        self, stdout: str = "", *, exit_code: int | None = 0, stderr: str = "", **flags: bool
    ) -> None:
        self.stdout = stdout
        self.exit_code = exit_code
        self.stderr = stderr
        self.flags = flags
        self.calls: list[tuple[str, ...]] = []

    async def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        limits: Limits,
        env: Mapping[str, str] | None = None,
    ) -> ProcessResult:
        self.calls.append(tuple(argv))
        if "--version" in argv:
            return ProcessResult(
                argv=tuple(argv), exit_code=0, stdout="tool 1.2.3\n", stderr="", duration_s=0.0
            )
        return ProcessResult(
            argv=tuple(argv),
            exit_code=self.exit_code,
            stdout=self.stdout,
            stderr=self.stderr,
            duration_s=0.01,
            timed_out=self.flags.get("timed_out", False),
            truncated=self.flags.get("truncated", False),
        )


def process_alive(pid: int) -> bool:
    """True when ``pid`` runs (a zombie, killed but not yet reaped, counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


def same_dir(a: str | Path, b: str | Path) -> bool:
    """True when both name the same directory."""
    return Path(a).resolve() == Path(b).resolve()
