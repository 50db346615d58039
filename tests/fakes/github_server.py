"""A fake GitHub REST API on loopback, for tests that cross process boundaries.

It serves pull requests built from in-memory commit trees (diffs are computed like GitHub's
``patch`` fields), file contents, collaborator permissions, and records what a bot posts:
reviews, review comments (created, edited, deleted), check runs and statuses. Review
comments on lines outside the diff get a 422, as on GitHub (``refuse_lines`` adds lines
GitHub refuses although they are in the diff, as it does for an outdated ``commit_id``).

GitHub App auth: with ``app_id`` and ``app_public_key`` set, ``POST
/app/installations/{id}/access_tokens`` checks the App's RS256 JWT and issues installation
tokens (``token_ttl_s``), which then authorize requests like ``token`` does. ``fail_next``
queues error answers (rate limits, 5xx) served before any routing.
"""

from __future__ import annotations

import asyncio
import base64
import difflib
import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.github_spec import GitHubSpec
from tests.fakes.github_strict import FAIL_AFTER, check_exchange, move_comments, strict_route

BOT_LOGIN = "review-bot[bot]"
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def file_patch(old: str | None, new: str | None) -> str:
    """GitHub's ``patch`` for one file: the unified diff's hunks without file headers."""
    a = (old or "").splitlines()
    b = (new or "").splitlines()
    lines = list(difflib.unified_diff(a, b, lineterm="", n=3))
    return "\n".join(lines[2:])


def right_lines(patch: str) -> set[int]:
    """New-side lines a review comment may target (added or context)."""
    out: set[int] = set()
    line = 0
    for raw in patch.split("\n"):
        m = _HUNK.match(raw)
        if m:
            line = int(m.group(1))
        elif raw.startswith(("+", " ")):
            out.add(line)
            line += 1
    return out


@dataclass
class PR:
    base: str
    head: str
    base_ref: str = "main"
    draft: bool = False
    state: str = "open"
    head_repo: str | None = None  # a fork's full name


@dataclass
class FakeGitHub:
    """The server's state; every access goes through ``lock``."""

    token: str = "test-token"
    commits: dict[str, dict[str, str]] = field(default_factory=dict)
    prs: dict[tuple[str, int], PR] = field(default_factory=dict)
    permissions: dict[tuple[str, str], str] = field(default_factory=dict)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted_comments: list[int] = field(default_factory=list)
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    content_delay_s: float = 0.0
    refuse_lines: set[tuple[str, int]] = field(default_factory=set)
    app_id: str | None = None
    app_public_key: str | None = None
    token_ttl_s: float = 3600.0
    issued_tokens: list[tuple[int, str]] = field(default_factory=list)
    failures: deque[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=deque)
    # the strict rules (tests/fakes/github_strict.py) and the OpenAPI checks
    strict: bool = False
    spec: GitHubSpec | None = None
    spec_errors: list[str] = field(default_factory=list)
    spec_checked: int = 0
    clock: Callable[[], float] = time.time
    writes_per_minute: int | None = None
    write_times: list[float] = field(default_factory=list)
    secondary_hits: int = 0
    app_slug: str = "review-bot"
    resolved_threads: set[str] = field(default_factory=set)
    fail_after_create: int = 0
    created_then_failed: int = 0
    too_quickly: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    def add_commit(self, sha: str, tree: dict[str, str]) -> None:
        with self.lock:
            self.commits[sha] = dict(tree)

    def open_pr(self, repo: str, number: int, base: str, head: str, **kw: Any) -> None:
        with self.lock:
            self.prs[(repo, number)] = PR(base=base, head=head, **kw)

    def push(self, repo: str, number: int, head: str) -> None:
        with self.lock:
            old = self.prs[(repo, number)].head
            self.prs[(repo, number)].head = head
            if self.strict:
                move_comments(self, repo, number, old, head)

    def files(self, base: str, head: str) -> list[dict[str, Any]]:
        old, new = self.commits[base], self.commits[head]
        out = []
        for path in sorted(set(old) | set(new)):
            if old.get(path) == new.get(path):
                continue
            status = "added" if path not in old else "removed" if path not in new else "modified"
            out.append(
                {
                    "filename": path,
                    "status": status,
                    "patch": file_patch(old.get(path), new.get(path)),
                }
            )
        return out

    def fail_next(
        self, status: int, headers: dict[str, str] | None = None, message: str = "fail", n: int = 1
    ) -> None:
        """Answer the next ``n`` requests with ``status`` (before auth and routing)."""
        with self.lock:
            for _ in range(n):
                self.failures.append((status, dict(headers or {}), {"message": message}))

    def live_comments(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(c) for c in self.comments.values()]


def _page(request: Request, items: list[Any]) -> Response:
    per_page = int(request.query_params.get("per_page", "30"))
    page = int(request.query_params.get("page", "1"))
    chunk = items[(page - 1) * per_page : page * per_page]
    headers = {}
    if page * per_page < len(items):
        url = request.url.include_query_params(page=page + 1, per_page=per_page)
        headers["Link"] = f'<{url}>; rel="next"'
    return JSONResponse(chunk, headers=headers)


def create_app(gh: FakeGitHub) -> Starlette:
    def authorized(request: Request) -> bool:
        header = request.headers.get("authorization")
        with gh.lock:
            tokens = {gh.token, *(t for _, t in gh.issued_tokens)}
        return header in {f"Bearer {t}" for t in tokens}

    async def dispatch(request: Request) -> Response:
        with gh.lock:
            gh.requests.append((request.method, request.scope["path"]))
            failure = gh.failures.popleft() if gh.failures else None
        if failure is not None:
            status, headers, body = failure
            return JSONResponse(body, status_code=status, headers=headers)
        body = None
        if request.method in ("POST", "PATCH", "PUT") and await request.body():
            body = await request.json()
        return check_exchange(gh, request, body, await answer(request, body))

    async def answer(request: Request, body: Any) -> Response:
        if m := re.fullmatch(r"/app/installations/(\d+)/access_tokens", request.scope["path"]):
            return installation_token(request, int(m.group(1)))
        if gh.strict and request.scope["path"] == "/app":
            strict = await strict_route(gh, request, body)
            assert isinstance(strict, Response)
            return strict
        if not authorized(request):
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        strict = await strict_route(gh, request, body) if gh.strict else None
        if isinstance(strict, Response):
            return strict
        response = await route(request)
        if strict == FAIL_AFTER:
            return JSONResponse({"message": "Server Error"}, status_code=502)
        return response

    def installation_token(request: Request, installation: int) -> Response:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if gh.app_public_key is None or request.method != "POST":
            return JSONResponse({"message": "Not Found"}, status_code=404)
        try:
            claims = jwt.decode(bearer, gh.app_public_key, algorithms=["RS256"])
        except jwt.PyJWTError as exc:
            return JSONResponse({"message": f"A JSON web token could not be decoded: {exc}"}, 401)
        if str(claims.get("iss")) != gh.app_id or claims["exp"] - claims["iat"] > 600:
            return JSONResponse({"message": "'Issuer' claim or lifetime is wrong"}, 401)
        with gh.lock:
            token = f"ghs_fake_{installation}_{len(gh.issued_tokens) + 1}"
            gh.issued_tokens.append((installation, token))
        expires = datetime.fromtimestamp(time.time() + gh.token_ttl_s, UTC)
        stamp = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
        return JSONResponse({"token": token, "expires_at": stamp}, status_code=201)

    async def route(request: Request) -> Response:
        path = request.scope["path"]
        method = request.method
        m = re.match(r"^/repos/([^/]+)/([^/]+)/(.*)$", path)
        if not m:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        repo, rest = f"{m.group(1)}/{m.group(2)}", m.group(3)
        body = await request.json() if method in ("POST", "PATCH", "PUT") else None
        if mm := re.fullmatch(r"pulls/(\d+)", rest):
            pr = gh.prs.get((repo, int(mm.group(1))))
            if pr is None:
                return JSONResponse({"message": "Not Found"}, status_code=404)
            return JSONResponse(
                {
                    "number": int(mm.group(1)),
                    "head": {"sha": pr.head, "repo": {"full_name": pr.head_repo or repo}},
                    "base": {"sha": pr.base, "ref": pr.base_ref, "repo": {"full_name": repo}},
                    "draft": pr.draft,
                    "state": pr.state,
                    "changed_files": len(gh.files(pr.base, pr.head)),
                }
            )
        if mm := re.fullmatch(r"pulls/(\d+)/files", rest):
            pr = gh.prs[(repo, int(mm.group(1)))]
            return _page(request, gh.files(pr.base, pr.head))
        if mm := re.fullmatch(r"compare/([0-9a-f]+)\.\.\.([0-9a-f]+)", rest):
            if mm.group(1) not in gh.commits or mm.group(2) not in gh.commits:
                return JSONResponse({"message": "Not Found"}, status_code=404)
            return JSONResponse({"status": "ahead", "files": gh.files(mm.group(1), mm.group(2))})
        if mm := re.fullmatch(r"contents/(.+)", rest):
            if gh.content_delay_s:
                await asyncio.sleep(gh.content_delay_s)
            tree = gh.commits.get(request.query_params.get("ref", ""))
            if tree is None or mm.group(1) not in tree:
                return JSONResponse({"message": "Not Found"}, status_code=404)
            text = tree[mm.group(1)]
            if "raw" in request.headers.get("accept", ""):
                return Response(text.encode(), media_type="application/vnd.github.raw")
            return JSONResponse(
                {"encoding": "base64", "content": base64.b64encode(text.encode()).decode()}
            )
        if mm := re.fullmatch(r"collaborators/([^/]+)/permission", rest):
            perm = gh.permissions.get((repo, mm.group(1)), "none")
            return JSONResponse({"permission": perm})
        if mm := re.fullmatch(r"pulls/(\d+)/reviews", rest):
            number = int(mm.group(1))
            if method == "GET":
                with gh.lock:
                    items = [r for r in gh.reviews if r["repo"] == repo and r["number"] == number]
                return _page(request, items)
            pr = gh.prs[(repo, number)]
            valid = {f["filename"]: right_lines(f["patch"]) for f in gh.files(pr.base, pr.head)}
            for c in body.get("comments", []):
                spot = (c["path"], c["line"])
                if c["line"] not in valid.get(c["path"], set()) or spot in gh.refuse_lines:
                    return JSONResponse(
                        {
                            "message": "Unprocessable Entity",
                            "errors": ["line must be part of the diff"],
                        },
                        status_code=422,
                    )
            with gh.lock:
                rid = next(gh._ids)
                review = {
                    "id": rid,
                    "repo": repo,
                    "number": number,
                    "body": body.get("body", ""),
                    "commit_id": body.get("commit_id"),
                    "user": {"login": BOT_LOGIN},
                    "posted_at": time.time(),
                }
                gh.reviews.append(review)
                for c in body.get("comments", []):
                    cid = next(gh._ids)
                    gh.comments[cid] = {
                        **c,
                        "id": cid,
                        "repo": repo,
                        "number": number,
                        "pull_request_review_id": rid,
                        "commit_id": body.get("commit_id"),
                        "user": {"login": BOT_LOGIN},
                    }
            return JSONResponse(review)
        if mm := re.fullmatch(r"pulls/(\d+)/reviews/(\d+)", rest):
            with gh.lock:
                for r in gh.reviews:
                    if r["id"] == int(mm.group(2)):
                        r["body"] = body["body"]
                        return JSONResponse(r)
            return JSONResponse({"message": "Not Found"}, status_code=404)
        if mm := re.fullmatch(r"pulls/(\d+)/comments", rest):
            number = int(mm.group(1))
            if method == "GET":
                with gh.lock:
                    items = [
                        c
                        for c in gh.comments.values()
                        if c["repo"] == repo and c["number"] == number
                    ]
                return _page(request, items)
            pr = gh.prs[(repo, number)]
            valid = {f["filename"]: right_lines(f["patch"]) for f in gh.files(pr.base, pr.head)}
            spot = (body["path"], body["line"])
            if body["line"] not in valid.get(body["path"], set()) or spot in gh.refuse_lines:
                return JSONResponse({"message": "Unprocessable Entity"}, status_code=422)
            with gh.lock:
                cid = next(gh._ids)
                gh.comments[cid] = {
                    **body,
                    "id": cid,
                    "repo": repo,
                    "number": number,
                    "pull_request_review_id": None,
                    "user": {"login": BOT_LOGIN},
                }
                return JSONResponse(gh.comments[cid], status_code=201)
        if mm := re.fullmatch(r"pulls/comments/(\d+)", rest):
            cid = int(mm.group(1))
            with gh.lock:
                if cid not in gh.comments:
                    return JSONResponse({"message": "Not Found"}, status_code=404)
                if method == "DELETE":
                    del gh.comments[cid]
                    gh.deleted_comments.append(cid)
                    return Response(status_code=204)
                gh.comments[cid]["body"] = body["body"]
                return JSONResponse(gh.comments[cid])
        if rest == "check-runs":
            with gh.lock:
                gh.check_runs.append({**body, "repo": repo})
            return JSONResponse({"id": next(gh._ids), **body}, status_code=201)
        if mm := re.fullmatch(r"statuses/([0-9a-f]+)", rest):
            with gh.lock:
                gh.statuses.append({**body, "repo": repo, "sha": mm.group(1)})
            return JSONResponse(body, status_code=201)
        return JSONResponse({"message": "Not Found"}, status_code=404)

    methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", dispatch, methods=methods)])


@contextmanager
def serve_fake_github(gh: FakeGitHub) -> Iterator[str]:
    """Run the fake on a free loopback port in a thread; yields its base URL."""
    config = uvicorn.Config(create_app(gh), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake GitHub did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
