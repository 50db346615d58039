"""Reviews of a repository on an allowed forge: ``repo_url`` + ``base`` + ``head``.

Checked when submitted (the URL names an allowed host and carries no credentials, the refs
are commit ids or plain ref names), fetched when the job runs: ``git init`` in a temporary
directory, then one ``git fetch`` of just the two refs, with git's environment scrubbed
(no system or global config, no hooks, no credential helper, no ``file://`` or other local
transports, no redirects), a time limit and a size limit on what lands on disk. The change
is then read from that repository as ``from_git`` reads one (merge-base semantics).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from review_bot._git import SAFE_CONFIG, SAFE_ENV
from review_bot.change import ChangeLimits, ChangeSet, from_git
from review_bot.errors import InputError
from review_bot.service.api.errors import ApiError

__all__ = ["RepoSource", "check_source", "fetch_change"]

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_URL_CHARS = 2048
MAX_REF_CHARS = 255
_SHA = re.compile(r"[0-9a-f]{40}")
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")
_FETCH_CONFIG = (
    *SAFE_CONFIG,
    "protocol.allow=never",
    "protocol.https.allow=always",
    "protocol.http.allow=always",
    "protocol.file.allow=never",
    "credential.helper=",
    "http.followRedirects=false",
    "core.askPass=",
    "fetch.recurseSubmodules=false",
    "transfer.fsckObjects=true",
)
_POLL_S = 0.2


class RepoSource(BaseModel):
    """Where a submitted change lives: a repository URL and the two refs to compare."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repo_url: str
    base: str
    head: str


def _bad(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_request", f"{field}: {message}", field=field)


def check_url(url: str, forges: tuple[str, ...]) -> None:
    """422 (naming ``repo_url``) unless ``url`` is an https URL on one of ``forges``."""
    if len(url) > MAX_URL_CHARS or any(c.isspace() or not c.isprintable() for c in url):
        raise _bad("repo_url", "not a URL (too long, or spaces or control characters in it)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _bad("repo_url", f"not a URL ({exc})") from exc
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOOPBACK):
        raise _bad("repo_url", f"{parts.scheme or 'no'} scheme; use an https:// URL")
    if parts.username is not None or parts.password is not None:
        raise _bad("repo_url", "credentials in the URL are refused; the repository must be public")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise _bad("repo_url", "a query or fragment is not allowed; pass the repository URL")
    named = host if port is None else f"{host}:{port}"
    if not host or named not in {f.lower() for f in forges}:
        allowed = ", ".join(forges) or "none"
        raise _bad("repo_url", f"host {named!r} is not an allowed forge (allowed: {allowed})")
    if parts.path.strip("/") == "":
        raise _bad("repo_url", "no repository path; pass e.g. https://github.com/owner/name")


def check_ref(field: str, ref: str) -> None:
    """422 (naming ``field``) unless ``ref`` is a 40-hex commit id or a plain ref name."""
    if _SHA.fullmatch(ref):
        return
    plain = (
        _REF.fullmatch(ref) is not None
        and len(ref) <= MAX_REF_CHARS
        and ".." not in ref
        and "//" not in ref
        and not ref.endswith(("/", ".", ".lock"))
        and not any(part.startswith(".") for part in ref.split("/"))
    )
    if not plain:
        raise _bad(
            field,
            f"{ref[:80]!r} is not a commit id (40 hex digits) or a plain branch or tag name "
            "(letters, digits, '._/-'; no leading '-', no '..')",
        )


def check_source(
    repo_url: str, base: str | None, head: str | None, forges: tuple[str, ...]
) -> RepoSource:
    """The submitted source, checked; 422 naming the field at fault."""
    check_url(repo_url, forges)
    for field, ref in (("base", base), ("head", head)):
        if not ref:
            raise _bad(field, "required with repo_url")
        check_ref(field, ref)
    return RepoSource(repo_url=repo_url, base=base or "", head=head or "")


def _tree_bytes(root: Path) -> int:
    total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue  # a temporary pack git renamed meanwhile
    return total


def _git(repo: Path, args: list[str]) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("git")
    if exe is None:
        raise InputError("git executable not found on PATH; install git to review a repo URL")
    config = [arg for item in _FETCH_CONFIG for arg in ("-c", item)]
    return subprocess.run(  # fixed argv, no shell
        [exe, "--no-pager", *config, *args], cwd=repo, env=SAFE_ENV,
        stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=60,
    )  # fmt: skip


def _why(stderr: bytes, source: RepoSource) -> str:
    text = stderr.decode("utf-8", "replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    unknown = ("couldn't find remote ref", "not our ref", "no such remote ref", "Unable to find")
    said = [ln for ln in lines if any(marker in ln for marker in unknown)]
    if said:  # the ref named on the line that says it is missing
        named = [r for r in (source.base, source.head) if any(r in ln for ln in said)]
        named = named or [source.base]
        return (
            f"unknown ref {named[0]!r} in {source.repo_url}; pass an existing branch, tag or commit"
        )
    if "unable to access" in text or "Could not resolve" in text or "Failed to connect" in text:
        return f"{source.repo_url} is unreachable ({lines[-1] if lines else 'no answer'})"
    if "not found" in text.lower() or "repository" in text.lower():
        return f"{source.repo_url} has no readable repository ({lines[-1] if lines else ''})"
    return f"fetching {source.repo_url} failed ({lines[-1] if lines else 'no message'})"


def _fetch(repo: Path, source: RepoSource, *, timeout_s: float, max_bytes: int) -> None:
    """``git fetch`` of base and head into ``refs/review/*``, killed over time or size."""
    exe = shutil.which("git")
    assert exe is not None  # _git checked
    config = [arg for item in _FETCH_CONFIG for arg in ("-c", item)]
    argv = [
        exe, "--no-pager", *config, "fetch", "--no-tags", "--no-write-fetch-head",
        "--no-recurse-submodules", "--quiet", "--end-of-options", source.repo_url,
        f"+{source.base}:refs/review/base", f"+{source.head}:refs/review/head",
    ]  # fmt: skip
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(  # fixed argv, no shell
            argv, cwd=repo, env=SAFE_ENV, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                try:
                    code = proc.wait(timeout=_POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        raise InputError(
                            f"fetching {source.repo_url} ran over {timeout_s:.0f}s; "
                            "the repository is too big or the forge too slow"
                        ) from None
                    if _tree_bytes(repo / ".git") > max_bytes:
                        raise _too_big(source, max_bytes) from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if code != 0:
            err.seek(0)
            raise InputError(_why(err.read(), source))
    if _tree_bytes(repo / ".git") > max_bytes:  # finished between two looks
        raise _too_big(source, max_bytes)


def _too_big(source: RepoSource, max_bytes: int) -> InputError:
    return InputError(
        f"{source.repo_url} is too big: over {max_bytes} bytes fetched; "
        "submit the diff and files instead"
    )


def fetch_change(
    source: RepoSource, limits: ChangeLimits, *, timeout_s: float, max_bytes: int
) -> ChangeSet:
    """The change ``git diff base...head`` of the repository (blocking; run it in a thread).

    InputError with a reason a caller can act on when the fetch or the diff fails."""
    with tempfile.TemporaryDirectory(prefix="review-bot-fetch-") as tmp:
        repo = Path(tmp)
        init = _git(repo, ["init", "--quiet", "--template=", "."])
        if init.returncode != 0:
            raise InputError(f"git init failed: {init.stderr.decode('utf-8', 'replace').strip()}")
        _fetch(repo, source, timeout_s=timeout_s, max_bytes=max_bytes)
        moved = _git(repo, ["update-ref", "--no-deref", "HEAD", "refs/review/head"])
        if moved.returncode != 0:
            raise InputError(f"head {source.head!r} of {source.repo_url} is not a commit")
        try:
            return from_git(repo, "refs/review/base", limits=limits)
        except InputError as exc:
            reason = str(exc).replace(repr(str(repo)), source.repo_url).replace(tmp, ".")
            raise InputError(f"{source.base}...{source.head}: {reason}") from exc
