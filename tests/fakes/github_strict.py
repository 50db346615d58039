"""The strict half of the fake GitHub: the documented rules a lenient fake hides.

With ``FakeGitHub(strict=True)`` the fake also enforces: bodies of at most 65,536
characters (reviews, comments) and 65,535 (check-run summary and text), 50 annotations per
check-run request, a comment's ``line`` on its side of the diff and ``start_line`` before it
in the same hunk (422 otherwise, worded as GitHub words it), compare's file list capped at
300, a secondary limit on content-creating requests per minute (403 with ``Retry-After``),
check runs for App installation tokens only (a PAT gets 403 and must use statuses), and,
on request, a 502 after a review was created, or a 422 "submitted too quickly". It serves
``GET /app``, the commit's check runs, and the GraphQL review-thread query and
``resolveReviewThread``. Pushes move review comments with their lines as GitHub does
(``line`` becomes None when the line is gone: the comment is outdated).

With ``spec`` set (:mod:`tests.fakes.github_spec`), every JSON answer is built over the
description's example for its operation, and every request and answer is checked against
the description; what does not match is kept in ``spec_errors``.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from typing import TYPE_CHECKING, Any

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

BODY_LIMIT = 65_536
CHECK_TEXT_LIMIT = 65_535
ANNOTATIONS_LIMIT = 50
COMPARE_LIMIT = 300
SECONDARY_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes."
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def _error(status: int, message: str, *errors: Any) -> JSONResponse:
    body: dict[str, Any] = {"message": message, "documentation_url": "https://docs.github.com"}
    if errors:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status)


def hunks(patch: str) -> list[tuple[set[int], set[int]]]:
    """Per hunk: (RIGHT-side lines, LEFT-side lines) a comment may target."""
    out: list[tuple[set[int], set[int]]] = []
    old = new = 0
    for raw in patch.split("\n"):
        m = _HUNK.match(raw)
        if m:
            old, new = int(m.group(1)), int(m.group(2))
            out.append((set(), set()))
        elif out and raw.startswith("+"):
            out[-1][0].add(new)
            new += 1
        elif out and raw.startswith("-"):
            out[-1][1].add(old)
            old += 1
        elif out and raw.startswith(" "):
            out[-1][0].add(new)
            out[-1][1].add(old)
            old, new = old + 1, new + 1
    return out


def position_error(patches: dict[str, str], c: dict[str, Any]) -> str | None:
    """GitHub's complaint about a comment's position, or None when it is placeable."""
    patch = patches.get(c.get("path", ""))
    if patch is None:
        return "Path could not be resolved"
    if not isinstance(c.get("line"), int):
        return "pull_request_review_thread.line is required"  # we never use ``position``
    side = 0 if c.get("side", "RIGHT") == "RIGHT" else 1
    found = [h for h in hunks(patch) if c["line"] in h[side]]
    if not found:
        return "pull_request_review_thread.line must be part of the diff"
    if "start_line" in c:
        start_side = 0 if c.get("start_side", c.get("side", "RIGHT")) == "RIGHT" else 1
        if not isinstance(c["start_line"], int) or c["start_line"] >= c["line"]:
            return "pull_request_review_thread.start_line must precede the end line"
        if c["start_line"] not in found[0][start_side]:
            return "pull_request_review_thread.start_line must be part of the same hunk as the line"
    return None


def overlay(example: Any, ours: Any) -> Any:
    """``ours`` over the description's ``example``: fields we set win, the rest is GitHub's."""
    if isinstance(ours, dict) and isinstance(example, dict):
        return {**example, **{k: overlay(example.get(k), v) for k, v in ours.items()}}
    if isinstance(ours, list) and isinstance(example, list) and example:
        return [overlay(example[0], item) for item in ours]
    return ours


def move_comments(gh: FakeGitHub, repo: str, number: int, old_head: str, new_head: str) -> None:
    """Move the PR's comments with their lines (as GitHub does on a push); outdate the rest."""
    pr = gh.prs[(repo, number)]
    patches = {f["filename"]: f["patch"] for f in gh.files(pr.base, new_head)}
    for c in gh.comments.values():
        if c["repo"] != repo or c["number"] != number or not isinstance(c.get("line"), int):
            continue
        old = gh.commits[old_head].get(c["path"], "").splitlines()
        new = gh.commits[new_head].get(c["path"], "").splitlines()
        moved = None
        for tag, i1, i2, j1, _ in difflib.SequenceMatcher(
            a=old, b=new, autojunk=False
        ).get_opcodes():
            if tag == "equal" and i1 < c["line"] <= i2:
                moved = c["line"] - i1 + j1
        spot = {**c, "line": moved}
        c.pop("start_line", None)
        if moved is None or position_error(patches, spot) is not None:
            outdate(c)
        else:
            c["line"] = moved


def outdate(comment: dict[str, Any]) -> None:
    """Mark a review comment outdated: its answers carry no ``line`` (the description has
    no null line, so it is left out rather than filled from the example)."""
    comment.pop("line", None)
    comment.pop("start_line", None)
    comment["_outdated"] = True


def secondary_limited(gh: FakeGitHub, request: Request) -> Response | None:
    """403 once more than ``writes_per_minute`` content-creating requests came this minute."""
    if gh.writes_per_minute is None or request.method not in _WRITES:
        return None
    path = request.scope["path"]
    if path.startswith("/app/") or path == "/graphql":
        return None
    now = gh.clock()
    with gh.lock:
        gh.write_times = [t for t in gh.write_times if t > now - 60] + [now]
        over = len(gh.write_times) > gh.writes_per_minute
        if over:
            gh.secondary_hits += 1
    if not over:
        return None
    response = _error(403, SECONDARY_MESSAGE)
    response.headers["retry-after"] = "60"
    return response


FAIL_AFTER = "fail-after-create"


async def strict_route(gh: FakeGitHub, request: Request, body: Any) -> Response | str | None:
    """The strict rules and extra endpoints; None to let the lenient fake answer, or
    :data:`FAIL_AFTER` to let it answer and then replace its answer with a 502."""
    limited = secondary_limited(gh, request)
    if limited is not None:
        return limited
    path, method = request.scope["path"], request.method
    if path == "/app" and method == "GET":
        return _app(gh, request)
    if path == "/graphql" and method == "POST":
        return _graphql(gh, body)
    m = re.fullmatch(r"/repos/([^/]+/[^/]+)/(.*)", path)
    if not m:
        return None
    repo, rest = m.group(1), m.group(2)
    if rest == "check-runs" and method == "POST":
        return _create_run(gh, request, repo, body)
    if (mm := re.fullmatch(r"check-runs/(\d+)", rest)) and method == "PATCH":
        return _update_run(gh, int(mm.group(1)), body)
    if mm := re.fullmatch(r"commits/([0-9a-f]+)/check-runs", rest):
        name = request.query_params.get("check_name")
        with gh.lock:
            runs = [
                r
                for r in gh.check_runs
                if r["head_sha"] == mm.group(1) and name in (None, r["name"]) and r["repo"] == repo
            ]
        return JSONResponse({"total_count": len(runs), "check_runs": runs})
    if (mm := re.fullmatch(r"pulls/(\d+)/reviews", rest)) and method == "POST":
        return _create_review(gh, repo, int(mm.group(1)), body)
    too_long = isinstance(body, dict) and len(str(body.get("body", ""))) > BODY_LIMIT
    if too_long and re.fullmatch(
        r"pulls/(\d+)/comments|pulls/comments/\d+|pulls/\d+/reviews/\d+", rest
    ):
        return _error(422, "Validation Failed", {"field": "body", "code": "too_long"})
    mm = re.fullmatch(r"compare/([0-9a-f]+)\.\.\.([0-9a-f]+)", rest)
    if mm and mm.group(1) in gh.commits and mm.group(2) in gh.commits:
        files = gh.files(mm.group(1), mm.group(2))
        return JSONResponse({"status": "ahead", "files": files[:COMPARE_LIMIT]})
    return None


def _app(gh: FakeGitHub, request: Request) -> Response:
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
    if gh.app_public_key is None:
        return _error(401, "A JSON web token could not be decoded")
    try:
        jwt.decode(bearer, gh.app_public_key, algorithms=["RS256"])
    except jwt.PyJWTError:
        return _error(401, "A JSON web token could not be decoded")
    return JSONResponse({"id": int(gh.app_id or 1), "slug": gh.app_slug, "name": gh.app_slug})


def _graphql(gh: FakeGitHub, body: Any) -> Response:
    query = str((body or {}).get("query", ""))
    variables = (body or {}).get("variables") or {}
    if "resolveReviewThread" in query:
        thread = str(variables.get("id"))
        with gh.lock:
            gh.resolved_threads.add(thread)
        node = {"id": thread, "isResolved": True}
        return JSONResponse({"data": {"resolveReviewThread": {"thread": node}}})
    if "reviewThreads" in query:
        repo = f"{variables.get('owner')}/{variables.get('name')}"
        with gh.lock:
            roots = [
                c
                for c in gh.comments.values()
                if c["repo"] == repo
                and c["number"] == variables.get("number")
                and c.get("in_reply_to_id") is None
            ]
            nodes = [
                {
                    "id": f"T_{c['id']}",
                    "isResolved": f"T_{c['id']}" in gh.resolved_threads,
                    "comments": {"nodes": [{"databaseId": c["id"]}]},
                }
                for c in roots
            ]
        page = {"hasNextPage": False, "endCursor": None}
        threads = {"pageInfo": page, "nodes": nodes}
        data = {"repository": {"pullRequest": {"reviewThreads": threads}}}
        return JSONResponse({"data": data})
    return JSONResponse({"errors": [{"message": "unknown query"}]})


def _output_error(output: Any) -> Response | None:
    if not isinstance(output, dict):
        return None
    for field in ("summary", "text"):
        if len(str(output.get(field, ""))) > CHECK_TEXT_LIMIT:
            return _error(
                422, "Validation Failed", {"field": f"output.{field}", "code": "too_long"}
            )
    if len(output.get("annotations", [])) > ANNOTATIONS_LIMIT:
        return _error(422, "Validation Failed", "only 50 annotations are allowed per request")
    return None


def _create_run(gh: FakeGitHub, request: Request, repo: str, body: Any) -> Response:
    header = request.headers.get("authorization", "")
    with gh.lock:
        installation = {f"Bearer {t}" for _, t in gh.issued_tokens}
    if header not in installation:
        return _error(403, "Resource not accessible by personal access token")
    refused = _output_error(body.get("output"))
    if refused is not None:
        return refused
    with gh.lock:
        run = {**body, "id": next(gh._ids), "repo": repo}
        run["annotations"] = list((body.get("output") or {}).get("annotations", []))
        gh.check_runs.append(run)
    return JSONResponse(run, status_code=201)


def _update_run(gh: FakeGitHub, run_id: int, body: Any) -> Response:
    refused = _output_error(body.get("output"))
    if refused is not None:
        return refused
    with gh.lock:
        for run in gh.check_runs:
            if run.get("id") == run_id:
                run["annotations"] += (body.get("output") or {}).get("annotations", [])
                run["output"] = {**run.get("output", {}), **(body.get("output") or {})}
                return JSONResponse(run)
    return _error(404, "Not Found")


def _create_review(gh: FakeGitHub, repo: str, number: int, body: Any) -> Response | str | None:
    """Refuse what GitHub refuses; with ``fail_after_create`` create, then answer 502."""
    if gh.too_quickly:
        gh.too_quickly -= 1
        return _error(422, "Validation Failed", "was submitted too quickly")
    if len(body.get("body", "")) > BODY_LIMIT:
        return _error(422, "Validation Failed", {"field": "body", "code": "too_long"})
    pr = gh.prs[(repo, number)]
    patches = {f["filename"]: f["patch"] for f in gh.files(pr.base, pr.head)}
    for c in body.get("comments", []):
        if len(c.get("body", "")) > BODY_LIMIT:
            return _error(422, "Validation Failed", {"field": "comments.body", "code": "too_long"})
        problem = position_error(patches, c)
        if problem is None and (c["path"], c["line"]) in gh.refuse_lines:
            problem = "pull_request_review_thread.line could not be resolved"
        if problem is not None:
            return _error(422, "Unprocessable Entity", problem)
    if gh.fail_after_create:
        gh.fail_after_create -= 1
        gh.created_then_failed += 1
        return FAIL_AFTER  # the lenient route creates it; dispatch then answers 502
    return None


def check_exchange(gh: FakeGitHub, request: Request, body: Any, response: Response) -> Response:
    """Check a request and its JSON answer against the description; overlay the examples."""
    spec = gh.spec
    if spec is None or not isinstance(response, JSONResponse):
        return response
    path, method = request.scope["path"], request.method
    errors = spec.check_request(method, path, body)
    data = json.loads(bytes(response.body))
    found = spec.operation(method, path)
    status = response.status_code
    if found is not None and 200 <= status < 300 and path != "/graphql":
        with contextlib.suppress(KeyError, StopIteration):  # no example: ours as it is
            data = overlay(spec.example(method, found[0], status), data)
        data = _normalise(data)
    errors += spec.check_response(method, path, status, data)
    with gh.lock:
        gh.spec_errors += errors
        gh.spec_checked += 1
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return JSONResponse(data, status_code=status, headers=headers)


def _normalise(data: Any) -> Any:
    """Fix what GitHub's own examples get wrong against its schemas; outdated comments
    lose the line the example lent them."""
    if isinstance(data, list):
        return [_normalise(item) for item in data]
    if isinstance(data, dict):
        if isinstance(data.get("requested_teams"), list):
            data["requested_teams"] = []
        if data.pop("_outdated", False):
            for key in ("line", "start_line", "original_start_line", "start_side"):
                data.pop(key, None)
            data.pop("position", None)
    return data
