"""Write ``evals/realworld/commits.jsonl``: recent merged commits of public repositories.

Each record is one commit (or one release-sized range) in the eval dataset format of
../shared/evals/README.md: the diff and the changed files' content before and after, nothing
else of the repository. The commits are the most recent first-parent, non-merge commits of each
repository that change 1..40 files with a diff under ``MAX_DIFF_BYTES``, taken in order (not
picked for noise). Repositories are git dirs as the ``fetch`` tool leaves them (no work tree);
pass their parent with ``--mirrors``.

    python evals/realworld/build_corpus.py [--mirrors /work/.mirror] [--per-repo 9]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUT = HERE / "commits.jsonl"
MAX_FILES = 40
MAX_DIFF_BYTES = 400_000
MAX_FILE_BYTES = 400_000
SCOPE = "benign merged commit, unlabeled"


@dataclass(frozen=True)
class Repo:
    """One source repository: where its mirror is and what it is made of."""

    name: str  # owner/name on GitHub
    license: str  # SPDX id, read from the repository's licence file
    language: str  # the main language, when a commit's files do not say
    ranges: tuple[tuple[str, str], ...] = ()  # release-sized diffs (old tag, new tag)
    require: str = ""  # regex: only commits changing a path that matches (e.g. Dockerfiles)
    count: int | None = None  # commits to take (default: --per-repo)

    @property
    def mirror(self) -> str:
        return self.name.replace("/", "+") + "/repo"


REPOS = (
    Repo("pallets/flask", "BSD-3-Clause", "python"),
    Repo("psf/black", "MIT", "python", ranges=(("26.3.1", "26.5.0"),)),
    Repo("nvm-sh/nvm", "MIT", "shell"),
    Repo("expressjs/express", "MIT", "javascript", ranges=(("v5.1.0", "v5.2.0"),)),
    Repo("sindresorhus/ky", "MIT", "typescript"),
    Repo("spf13/cobra", "Apache-2.0", "go"),
    Repo("BurntSushi/ripgrep", "Unlicense OR MIT", "rust"),
    Repo("google/gson", "Apache-2.0", "java"),
    Repo("junegunn/fzf", "MIT", "go"),
    # the most recent commits that change a Dockerfile (the corpus had one Dockerfile change)
    Repo("devcontainers/images", "MIT", "dockerfile", require=r"(^|/)Dockerfile[^/]*$", count=6),
)

_EXT_LANG = {
    ".py": "python",
    ".sh": "shell",
    ".bash": "shell",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
}


def git(mirror: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", f"--git-dir={mirror}", *args], capture_output=True, check=True
    ).stdout
    return out.decode("utf-8", "surrogateescape")


def _blob(mirror: Path, rev: str, path: str) -> str | None:
    """Text of ``path`` at ``rev``; None when absent, binary or too big."""
    proc = subprocess.run(
        ["git", f"--git-dir={mirror}", "cat-file", "blob", f"{rev}:{path}"],
        capture_output=True,
        check=False,
    )
    data = proc.stdout
    if proc.returncode != 0 or b"\0" in data[:8192] or len(data) > MAX_FILE_BYTES:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _changed(mirror: Path, old: str, new: str) -> list[str]:
    out = git(mirror, "diff", "--no-renames", "--name-only", old, new)
    return [p for p in out.splitlines() if p]


def _language(paths: list[str], default: str) -> str:
    counts: dict[str, int] = {}
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        lang = next((v for k, v in _EXT_LANG.items() if name.endswith(k)), None)
        if lang is None and name == "nvm.sh":
            lang = "shell"
        if lang is None and name.startswith("Dockerfile"):
            lang = "dockerfile"
        if lang:
            counts[lang] = counts.get(lang, 0) + 1
    if not counts:
        return default
    return max(sorted(counts), key=lambda k: counts[k])


def case(repo: Repo, mirror: Path, old: str, new: str, *, kind: str) -> dict[str, Any] | None:
    """The record of ``old..new``, or None when nothing textual changed."""
    paths = _changed(mirror, old, new)
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    text_paths = []
    for path in paths:
        b, a = _blob(mirror, old, path), _blob(mirror, new, path)
        old_exists = git(mirror, "ls-tree", old, "--", path).strip() != ""
        new_exists = git(mirror, "ls-tree", new, "--", path).strip() != ""
        if (old_exists and b is None) or (new_exists and a is None):
            continue  # binary or oversized on one side: left out of the case
        if b is not None:
            before[path] = b
        if a is not None:
            after[path] = a
        text_paths.append(path)
    if not text_paths or before == after:
        return None
    diff = git(mirror, "diff", "--no-renames", "--no-ext-diff", old, new, "--", *text_paths)
    sha = git(mirror, "rev-parse", new).strip()
    short = sha[:10] if kind == "commit" else f"{old}..{new}"
    source: dict[str, Any] = {
        "dataset": "realworld",
        "repo": repo.name,
        "kind": kind,
        "commit": sha,
        "parent": git(mirror, "rev-parse", old).strip(),
        "date": git(mirror, "show", "-s", "--format=%cs", new).strip(),
        "subject": git(mirror, "show", "-s", "--format=%s", new).strip()[:200],
    }
    if kind == "range":
        source["range"] = f"{old}..{new}"
        source["commits"] = int(git(mirror, "rev-list", "--count", f"{old}..{new}").strip())
    return {
        "id": f"{repo.name.replace('/', '__')}@{short}",
        "language": _language(text_paths, repo.language),
        "source": source,
        "license": repo.license,
        "label_origin": "none: benign merged upstream change",
        "label_scope": SCOPE,
        "is_clean": True,
        "change": {
            "kind": "modify",
            "diff": diff,
            "files_before": before,
            "files_after": after,
        },
    }


def recent(repo: Repo, mirror: Path, count: int) -> list[dict[str, Any]]:
    """The ``count`` most recent qualifying commits of ``repo``, newest first."""
    shas = git(mirror, "log", "--first-parent", "--no-merges", "--format=%H", "-400").split()
    out: list[dict[str, Any]] = []
    for sha in shas:
        if len(out) >= count:
            break
        parents = git(mirror, "show", "-s", "--format=%P", sha).split()
        if len(parents) != 1:
            continue
        paths = _changed(mirror, parents[0], sha)
        if not 1 <= len(paths) <= MAX_FILES:
            continue
        if repo.require and not any(re.search(repo.require, p) for p in paths):
            continue
        try:
            size = len(git(mirror, "diff", "--no-renames", parents[0], sha))
        except subprocess.CalledProcessError:
            continue  # a blob the snapshot does not hold (large files are left out)
        if size > MAX_DIFF_BYTES:
            continue
        record = case(repo, mirror, parents[0], sha, kind="commit")
        if record is not None:
            out.append(record)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--per-repo", type=int, default=9)
    args = parser.parse_args()
    records: list[dict[str, Any]] = []
    for repo in REPOS:
        mirror = args.mirrors / repo.mirror
        records += recent(repo, mirror, repo.count or args.per_repo)
        for old, new in repo.ranges:
            record = case(repo, mirror, old, new, kind="range")
            if record is not None:
                records.append(record)
    with OUT.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    langs: dict[str, int] = {}
    for record in records:
        langs[record["language"]] = langs.get(record["language"], 0) + 1
    print(f"{len(records)} records, {OUT.stat().st_size / 1e6:.1f} MB -> {OUT}; {langs}")


if __name__ == "__main__":
    main()
