"""Read-only git plumbing for ``from_git``, safe to point at a repository we do not trust.

A repository's own config can run programs during a plain ``git diff``: external
diff drivers, textconv, fsmonitor, clean/smudge filters, a pager. Every call here runs
with a fixed environment (no system or global config, no inherited ``GIT_*``), and
command-line overrides that switch each of those off, including every filter driver
the repository's config declares.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from review_bot.errors import InputError

__all__ = ["SAFE_CONFIG", "SAFE_ENV", "Git", "RawEntry", "TooBig"]

_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_ATTR_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "HOME": "/nonexistent",
    "LC_ALL": "C",
    "PATH": os.defpath,
}
_SAFE_CONFIG = (
    "core.quotePath=false",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.relative=false",
    "diff.external=",
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
)
DIFF_FLAGS = (
    "--no-ext-diff",
    "--no-textconv",
    "--no-color",
    "-M",
    "-U3",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)
_TIMEOUT_S = 300
SAFE_ENV = _ENV  # for other git calls on untrusted input (the API's fetch)
SAFE_CONFIG = _SAFE_CONFIG


class TooBig(int):
    """The size of a blob that was not read because it is over the byte limit."""


@dataclasses.dataclass
class RawEntry:
    """One path of ``git diff --raw``: status letter, modes, the blob that holds the side
    that matters (the new one; the old one for a deletion) and its size once known."""

    path: str
    status: str
    old_mode: str
    new_mode: str
    sha: str
    size: int = 0


def _raw_entries(out: bytes) -> list[RawEntry]:
    """``--raw -z --no-renames`` output: ``:oldmode newmode oldsha newsha S\0path\0``..."""
    parts = out.split(b"\0")
    entries = []
    for meta, path in zip(parts[0::2], parts[1::2], strict=False):
        fields = meta.lstrip(b":").split()
        if len(fields) != 5:
            continue
        old_mode, new_mode, old_sha, new_sha, status = (f.decode() for f in fields)
        deleted = status.startswith("D")
        entries.append(
            RawEntry(
                os.fsdecode(path),
                status[:1],
                old_mode,
                new_mode,
                old_sha if deleted else new_sha,
            )
        )
    return entries


class Git:
    """One repository's work tree, with git run the safe way."""

    def __init__(self, repo: Path) -> None:
        exe = shutil.which("git")
        if exe is None:
            raise InputError("git executable not found on PATH; install git to review a repo")
        self._exe = exe
        if not repo.exists():
            raise InputError(
                f"repository path {str(repo)!r} does not exist; pass the path of a git checkout"
            )
        if not repo.is_dir():
            raise InputError(f"repository path {str(repo)!r} is not a directory; pass a checkout")
        self._cwd = repo
        self._overrides: tuple[str, ...] = ()
        proc = self._run(["rev-parse", "--show-toplevel"])
        if proc.returncode != 0:
            raise InputError(
                f"{str(repo)!r} is not a git work tree ({self._why(proc)}); "
                "pass a git checkout, or use --diff with a diff file"
            )
        self.top = Path(os.fsdecode(proc.stdout.rstrip(b"\n")))
        self._cwd = self.top
        self._overrides = self._filter_overrides()

    def _run(
        self, args: Sequence[str], stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        config = [arg for item in (*_SAFE_CONFIG, *self._overrides) for arg in ("-c", item)]
        argv = [self._exe, "--no-pager", "--no-optional-locks", *config, *args]
        try:
            return subprocess.run(  # fixed argv, no shell
                argv,
                cwd=self._cwd,
                env=_ENV,
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                check=False,
                timeout=_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as exc:
            raise InputError(
                f"git {args[0]!r} in {str(self._cwd)!r} ran over {_TIMEOUT_S}s; "
                "check the repository is local and not huge"
            ) from exc

    @staticmethod
    def _why(proc: subprocess.CompletedProcess[bytes]) -> str:
        lines = os.fsdecode(proc.stderr).strip().splitlines()
        return lines[0] if lines else f"exit code {proc.returncode}"

    def _checked(self, args: Sequence[str], what: str, stdin: bytes | None = None) -> bytes:
        proc = self._run(args, stdin)
        if proc.returncode != 0:
            raise InputError(f"git could not {what} in {str(self.top)!r}: {self._why(proc)!r}")
        return proc.stdout

    def _filter_overrides(self) -> tuple[str, ...]:
        """Blank every filter driver the repo's config declares: they run on work-tree reads."""
        proc = self._run(["config", "--null", "--get-regexp", r"^filter\."])
        names = set()
        for entry in proc.stdout.split(b"\0"):
            key = os.fsdecode(entry.split(b"\n", 1)[0])
            if key.startswith("filter.") and key.count(".") >= 2:
                names.add(key[len("filter.") :].rsplit(".", 1)[0])
        return tuple(
            f"filter.{name}.{part}"
            for name in sorted(names)
            for part in ("clean=", "smudge=", "process=", "required=false")
        )

    def resolve(self, ref: str) -> str:
        """The commit sha ``ref`` names; InputError if it names none."""
        proc = self._run(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"]
        )
        if proc.returncode != 0:
            raise InputError(
                f"unknown ref {ref!r} in {str(self.top)!r}; "
                "pass an existing branch, tag or commit (fetch it first if it is remote)"
            )
        return proc.stdout.decode("ascii").strip()

    def merge_base(self, base: str, head: str) -> str:
        """Where ``head`` branched from ``base`` (what ``git diff base...head`` compares)."""
        proc = self._run(["merge-base", base, head])
        if proc.returncode != 0:
            raise InputError(
                f"base {base!r} and HEAD {head!r} share no history in {str(self.top)!r}; "
                "pass a base that HEAD was branched from"
            )
        return proc.stdout.decode("ascii").strip()

    def diff(self, base: str, head: str | None, *, exclude: Sequence[str] = ()) -> bytes:
        """``git diff base head``; with head None, base against the work tree (staged or not).

        ``exclude``: paths left out of the diff (git does not even read them)."""
        revs = [base] if head is None else [base, head]
        specs = [":/", *(f":(exclude,literal){p}" for p in exclude)] if exclude else []
        return self._checked(["diff", *DIFF_FLAGS, *revs, "--", *specs], "diff the change")

    def sizes(self, base: str, head: str | None) -> list[RawEntry]:
        """Every path of ``git diff base head`` with the size of its new side (of its old
        side for a deletion), from ``git diff --raw`` and ``cat-file --batch-check`` (work-tree
        files: ``lstat``). No content is diffed or read: a huge file costs what a small one
        does."""
        revs = [base] if head is None else [base, head]
        out = self._checked(
            ["diff", "--raw", "-z", "--no-abbrev", "--no-renames", *revs, "--"], "list the change"
        )
        entries = _raw_entries(out)
        shas = sorted({e.sha for e in entries if e.sha.strip("0")})
        sizes: dict[str, int] = {}
        if shas:
            query = "".join(f"{sha}\n" for sha in shas).encode()
            for line in self._checked(["cat-file", "--batch-check"], "size blobs", query).split(
                b"\n"
            ):
                fields = line.split()
                if len(fields) == 3 and fields[1] == b"blob":
                    sizes[fields[0].decode()] = int(fields[2])
        for entry in entries:
            if entry.sha in sizes:
                entry.size = sizes[entry.sha]
            elif not entry.sha.strip("0"):  # the work tree's side: git has no blob for it yet
                with contextlib.suppress(OSError):
                    entry.size = (self.top / entry.path).lstat().st_size
        return entries

    def untracked(self) -> list[str]:
        """Untracked, not ignored files of the work tree, repo-relative."""
        out = self._checked(
            ["ls-files", "-z", "--others", "--exclude-standard"], "list untracked files"
        )
        # A nested repository shows as "dir/": it is not a file we can read.
        return [os.fsdecode(p) for p in out.split(b"\0") if p and not p.endswith(b"/")]

    def tracked(self, commit: str) -> list[str]:
        """Every file path of ``commit``'s tree (``git ls-tree -r``), repo-relative."""
        out = self._checked(
            ["ls-tree", "-r", "-z", "--name-only", "--full-tree", commit], "list the tree"
        )
        return [os.fsdecode(p) for p in out.split(b"\0") if p]

    def regular_files(self, commit: str, dirs: Sequence[str]) -> list[str]:
        """The regular (non-symlink, non-submodule) files directly in ``dirs`` of
        ``commit``'s tree ("." is the root), repo-relative; not recursive."""
        specs = [f"{d.rstrip('/')}/" if d != "." else "./" for d in dirs]
        out = self._checked(
            ["--literal-pathspecs", "ls-tree", "-z", "--full-tree", commit, "--", *specs],
            "list the tree",
        )
        found: list[str] = []
        for entry in out.split(b"\0"):
            meta, _, name = entry.partition(b"\t")
            if name and meta.split(b" ")[0] in (b"100644", b"100755"):
                found.append(os.fsdecode(name))
        return found

    def blobs(self, specs: Sequence[str], max_bytes: int) -> dict[str, bytes | TooBig]:
        """Contents of ``rev:path`` specs that exist, in two batched ``cat-file`` calls.

        Blobs over ``max_bytes`` are not read: their size comes back as :class:`TooBig`.
        """
        usable = [s for s in specs if "\n" not in s]
        if not usable:
            return {}
        query = "".join(f"{s}\n" for s in usable).encode("utf-8", "surrogateescape")
        sizes: dict[str, int] = {}
        # one answer per line of the query: split on "\n" only (a name may hold a "\r")
        checks = self._checked(["cat-file", "--batch-check"], "list blobs", query).split(b"\n")
        checks = checks[: len(usable)]
        for spec, line in zip(usable, checks, strict=True):
            fields = line.split()
            if len(fields) == 3 and fields[1] == b"blob":
                sizes[spec] = int(fields[2])
        result: dict[str, bytes | TooBig] = {
            s: TooBig(n) for s, n in sizes.items() if n > max_bytes
        }
        wanted = [s for s, n in sizes.items() if n <= max_bytes]
        if wanted:
            query = "".join(f"{s}\n" for s in wanted).encode("utf-8", "surrogateescape")
            out, pos = self._checked(["cat-file", "--batch"], "read blobs", query), 0
            for spec in wanted:
                end = out.index(b"\n", pos)
                size = int(out[pos:end].split()[2])
                result[spec] = out[end + 1 : end + 1 + size]
                pos = end + 1 + size + 1
        return result
