"""Read a pull request from GitHub: metadata, changed files, contents, the base config.

Files come from the paginated files API (GitHub's diff endpoint refuses large PRs; the files
API lists up to 3,000 files, each with its own patch). File contents are fetched at the head
SHA; the repository's ``.review-bot.toml`` only from the base, so a PR cannot change how it
is reviewed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from review_bot._artefacts import artefact_reason
from review_bot.change import (
    ChangeLimits,
    ChangeSet,
    FileChange,
    FileStatus,
    SkippedFile,
    language_of,
)
from review_bot.config.models import ReviewConfig
from review_bot.config.repo import (
    AGENTS_MD_PATH,
    REPO_CONFIG_PATH,
    RepoConfig,
    parse_repo_config,
    read_repo_files,
)
from review_bot.errors import GitHubError
from review_bot.github.client import GitHubClient, GitHubStatusError
from review_bot.github.patches import parse_patch

__all__ = [
    "COMPARE_MAX_FILES",
    "GITHUB_MAX_FILES",
    "REPO_CONFIG_PATH",
    "ChangedFile",
    "PullRequest",
    "build_change",
    "changed_since",
    "fetch_files",
    "fetch_pull",
    "fetch_text",
    "has_write_access",
    "read_repo_config",
]

_MAX_CONFIG_BYTES = 1_000_000
_MAX_BASELINE_BYTES = 8_000_000
GITHUB_MAX_FILES = 3000  # the files API lists at most this many files of a PR
COMPARE_MAX_FILES = 300  # compare lists at most this many files; more means "truncated"
_CONTENT_CONCURRENCY = 8
_WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
_STATUS: dict[str, FileStatus] = {
    "added": "added",
    "modified": "modified",
    "changed": "modified",
    "removed": "deleted",
    "renamed": "renamed",
    "copied": "copied",
}
_FROZEN = ConfigDict(frozen=True)


class PullRequest(BaseModel):
    """What the worker needs to know about a pull request."""

    model_config = _FROZEN

    number: int
    head_sha: str
    base_sha: str
    base_ref: str
    draft: bool = False
    state: str = "open"
    changed_files: int = 0
    fork: bool = False


class ChangedFile(BaseModel):
    """One entry of the PR files (or compare) API."""

    model_config = _FROZEN

    filename: str
    status: str
    previous_filename: str | None = None
    patch: str | None = None


async def fetch_pull(gh: GitHubClient, repo: str, number: int) -> PullRequest:
    """The PR's head/base SHAs, draft flag and size."""
    data = await gh.get_json(f"/repos/{repo}/pulls/{number}")
    try:
        return PullRequest(
            number=number,
            head_sha=data["head"]["sha"],
            base_sha=data["base"]["sha"],
            base_ref=data["base"]["ref"],
            draft=bool(data.get("draft", False)),
            state=str(data.get("state", "open")),
            changed_files=int(data.get("changed_files", 0)),
            fork=_is_fork(data, repo),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GitHubError(f"pull request {repo}#{number}: unexpected response shape") from exc


async def fetch_files(gh: GitHubClient, repo: str, number: int) -> list[ChangedFile]:
    """The PR's changed files with their patches, every page."""
    items = await gh.paginate(f"/repos/{repo}/pulls/{number}/files", max_items=GITHUB_MAX_FILES)
    return [ChangedFile.model_validate(_file_fields(item)) for item in items]


async def changed_since(gh: GitHubClient, repo: str, old: str, new: str) -> set[str] | None:
    """Paths changed between two commits of the PR, or None when ``old`` is not an ancestor.

    None (force-push, unknown commit, or more files than compare lists) tells the caller
    to review the whole PR again, from the PR's own file list.
    """
    try:
        data = await gh.get_json(f"/repos/{repo}/compare/{old}...{new}")
    except GitHubStatusError as exc:
        if exc.status in (404, 422):
            return None
        raise
    if not isinstance(data, dict) or data.get("status") not in ("ahead", "identical"):
        return None
    files = data.get("files") or []
    if not isinstance(files, list) or len(files) >= COMPARE_MAX_FILES:
        return None  # truncated: compare cannot say which files the push changed
    paths: set[str] = set()
    for item in files:
        if isinstance(item, dict) and isinstance(item.get("filename"), str):
            paths.add(item["filename"])
            if isinstance(item.get("previous_filename"), str):
                paths.add(item["previous_filename"])
    return paths


async def fetch_text(
    gh: GitHubClient, repo: str, path: str, ref: str, max_bytes: int
) -> str | None:
    """A file's text at ``ref``; None when it is missing, binary or larger than ``max_bytes``."""
    try:
        response = await gh.request(
            "GET",
            f"/repos/{repo}/contents/{quote(path, safe='/')}",
            params={"ref": ref},
            accept="application/vnd.github.raw+json",
        )
    except GitHubStatusError as exc:
        if exc.status == 404:
            return None
        raise
    body = response.content
    if len(body) > max_bytes or b"\0" in body[:8192]:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


async def read_repo_config(
    gh: GitHubClient, repo: str, base_sha: str, base: ReviewConfig
) -> ReviewConfig:
    """``base`` with the base branch's ``.review-bot.toml``, ``AGENTS.md`` and baseline file
    over it (parsed by ``config.repo``, exactly as the CLI does from ``git show BASE:...``).

    Settings that would make us run a program or read a path chosen by the repository
    (``tools.paths``, ``tools.semgrep_rules``) are refused there.
    """
    config_text = await fetch_text(gh, repo, REPO_CONFIG_PATH, base_sha, _MAX_CONFIG_BYTES)
    where = f"{repo}: {REPO_CONFIG_PATH} on the base branch"
    parsed = parse_repo_config(config_text, where) if config_text is not None else RepoConfig()
    agents_md = await fetch_text(gh, repo, AGENTS_MD_PATH, base_sha, _MAX_CONFIG_BYTES)
    baseline = None
    if parsed.baseline_file is not None:
        baseline = await fetch_text(gh, repo, parsed.baseline_file, base_sha, _MAX_BASELINE_BYTES)
    return read_repo_files(
        {
            REPO_CONFIG_PATH: config_text,
            AGENTS_MD_PATH: agents_md,
            **({parsed.baseline_file: baseline} if parsed.baseline_file else {}),
        }.get,
        base,
        where=where,
    )


async def has_write_access(gh: GitHubClient, repo: str, login: str) -> bool:
    """True when ``login`` may push to ``repo`` (the collaborator permission API)."""
    try:
        data = await gh.get_json(f"/repos/{repo}/collaborators/{quote(login, safe='')}/permission")
    except GitHubStatusError as exc:
        if exc.status in (403, 404):
            return False
        raise
    return isinstance(data, dict) and data.get("permission") in _WRITE_PERMISSIONS


async def build_change(
    gh: GitHubClient,
    repo: str,
    pr: PullRequest,
    files: Iterable[ChangedFile],
    limits: ChangeLimits,
) -> ChangeSet:
    """A ChangeSet of the PR at its head SHA, skipping (with a reason) what cannot be reviewed."""
    reviewable: list[ChangedFile] = []
    skipped: list[SkippedFile] = []
    for f in files:
        status = _STATUS.get(f.status)
        if status is None:
            continue  # "unchanged": nothing to review
        artefact = artefact_reason(f.filename)
        if artefact is not None:
            skipped.append(SkippedFile(path=f.filename, reason=artefact))
        elif status == "deleted":
            skipped.append(SkippedFile(path=f.filename, reason="deleted by the change"))
        elif f.patch is None:
            skipped.append(
                SkippedFile(path=f.filename, reason="GitHub shows no diff (binary or too large)")
            )
        elif len(reviewable) >= limits.max_files:
            skipped.append(
                SkippedFile(path=f.filename, reason=f"over the limit of {limits.max_files} files")
            )
        else:
            reviewable.append(f)
    gate = asyncio.Semaphore(_CONTENT_CONCURRENCY)

    async def load(f: ChangedFile) -> FileChange | SkippedFile:
        async with gate:
            text = await fetch_text(gh, repo, f.filename, pr.head_sha, limits.max_file_bytes)
        if text is None:
            return SkippedFile(
                path=f.filename,
                reason=f"binary, not UTF-8, or over {limits.max_file_bytes} bytes",
            )
        return FileChange(
            path=f.filename,
            old_path=f.previous_filename,
            status=_STATUS[f.status],
            language=language_of(f.filename, text),
            hunks=parse_patch(f.patch or "", f.filename),
            new_content=text,
        )

    results = await asyncio.gather(*(load(f) for f in reviewable))
    changes = [r for r in results if isinstance(r, FileChange)]
    skipped += [r for r in results if isinstance(r, SkippedFile)]
    return ChangeSet(
        files=tuple(changes), skipped=tuple(skipped), base=pr.base_sha, head=pr.head_sha
    )


def _is_fork(data: dict[str, Any], repo: str) -> bool:
    """True when the head lives in another repository (``repo: null``: a deleted fork)."""
    head = data["head"]
    if "repo" not in head:
        return False
    head_repo = head["repo"]
    return not isinstance(head_repo, dict) or head_repo.get("full_name") != repo


def _file_fields(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise GitHubError(f"PR files API returned a non-object entry: {type(item).__name__}")
    keys = ("filename", "status", "previous_filename", "patch")
    return {k: item.get(k) for k in keys if item.get(k) is not None}
