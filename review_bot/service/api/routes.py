"""The ``/v1`` review endpoints: submit, read, transcript, verify.

Every handler authenticates first (and counts the request against the caller's rate), then
checks the role. A review that is not the caller's, without the role to read any, answers 404
exactly like one that does not exist: its existence is not the caller's business.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from pydantic import ValidationError
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from review_bot._diffparse import parse_diff
from review_bot.change import ChangeSet, from_diff_files
from review_bot.config.api import ApiConfig
from review_bot.config.audit import AuditConfig
from review_bot.config.models import ReviewConfig
from review_bot.errors import BulkheadFull, DependencyUnavailable, InputError, ReviewError
from review_bot.findings import Review
from review_bot.render import render_markdown, render_sarif
from review_bot.service.api.auth import KeyLookup, Principal, authenticate, require
from review_bot.service.api.errors import ApiError, validation_error
from review_bot.service.api.forge import RepoSource, check_source
from review_bot.service.api.hygiene import read_body
from review_bot.service.api.jobs import ApiQueue, Records
from review_bot.service.api.models import ReviewAccepted, ReviewRecord, ReviewRequest, VerifyBody
from review_bot.service.api.quotas import Limits, Usage
from review_bot.service.api.tarball import files_from_tarball

__all__ = ["Handlers"]

FORMATS = ("json", "sarif", "markdown")
INLINE_PARSE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Handlers:
    """The endpoints, around the API's collaborators."""

    config: ApiConfig
    records: Records
    limits: Limits
    queue: ApiQueue
    base_config: ReviewConfig
    audit: AuditConfig
    keys: KeyLookup | None = None

    async def caller(self, conn: HTTPConnection) -> tuple[Principal, Usage]:
        """The authenticated caller, counted against its per-minute rate."""
        principal = await authenticate(
            conn.headers.get("authorization"),
            conn.headers.get("x-api-key"),
            secret=self.config.secret_bytes(),
            leeway_s=self.config.leeway_s,
            keys=self.keys,
        )
        usage = await self.limits.request(principal)
        conn.state.usage = usage  # every answer to it, errors too, says where it stands
        return principal, usage

    async def visible(self, principal: Principal, review_id: str) -> ReviewRecord:
        """The record, if the caller may see it; 404 otherwise (whether or not it exists)."""
        record = await self.records.get(review_id) if review_id.startswith("rv_") else None
        if record is None or not principal.sees(record.owner):
            raise ApiError(404, "not_found", f"no review {review_id!r} for {principal.sub!r}")
        return record

    async def submit(self, request: Request) -> Response:
        """``POST /v1/reviews``."""
        principal, usage = await self.caller(request)
        require(principal, "submit")
        body = await read_body(request, self.config.max_body_bytes)
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise ApiError(400, "invalid_json", f"the body is not JSON: {exc}") from exc
        try:
            submitted = ReviewRequest.model_validate(data)
        except ValidationError as exc:
            raise validation_error(exc) from exc
        change: ChangeSet | None = None
        source = _repo_source(submitted, self.config.forges)
        if source is not None:
            pass  # fetched by the job: a submission stays fast whatever the repository's size
        elif len(body) > INLINE_PARSE_BYTES:  # a big change is parsed off the event loop
            change = await asyncio.to_thread(_build_change, submitted, self.base_config)
        else:
            change = _build_change(submitted, self.base_config)
        quota = await self.limits.review(principal)
        record = await self.records.create(
            principal.sub, submitted.options, change, source=source
        )
        try:
            await self.queue(record.id)
        except BulkheadFull as exc:
            await self.records.forget(record.id)
            raise ApiError(503, "queue_full", str(exc), headers={"Retry-After": "30"}) from exc
        location = f"/v1/reviews/{record.id}"
        answer = ReviewAccepted(
            id=record.id,
            status=record.status,
            location=location,
            events=f"{location}/events",
            page=f"/ui/reviews/{record.id}",
        )
        headers = {"Location": location, **_tighter(usage, quota).headers()}
        return JSONResponse(answer.model_dump(), status_code=202, headers=headers)

    async def get(self, request: Request) -> Response:
        """``GET /v1/reviews/{id}``: the record; ``?format=sarif|markdown`` for the result."""
        principal, usage = await self.caller(request)
        record = await self.visible(principal, request.path_params["review_id"])
        fmt = request.query_params.get("format", "json")
        if fmt not in FORMATS:
            raise ApiError(
                422, "invalid_request", f"format {fmt!r} is not one of {', '.join(FORMATS)}",
                field="format",
            )  # fmt: skip
        if fmt == "json":
            return JSONResponse(record.public(), headers=usage.headers())
        review = _finished(record)
        if fmt == "sarif":
            return Response(
                render_sarif(review), media_type="application/sarif+json", headers=usage.headers()
            )
        change = await self.records.change(record.id)
        return PlainTextResponse(
            render_markdown(review, change),
            media_type="text/markdown; charset=utf-8",
            headers=usage.headers(),
        )

    async def change(self, request: Request) -> Response:
        """``GET /v1/reviews/{id}/change``: the files and hunks reviewed (the live page)."""
        principal, usage = await self.caller(request)
        record = await self.visible(principal, request.path_params["review_id"])
        change = await self.records.change(record.id)
        if change is None and record.status in ("queued", "running"):
            # a repo_url submission's change exists once the job has fetched it
            raise ApiError(
                409, "not_ready", f"the change of {record.id!r} is still being fetched"
            )
        if change is None:
            raise ApiError(404, "not_found", f"the change of {record.id!r} has expired")
        return JSONResponse(_change_view(change), headers=usage.headers())

    async def transcript(self, request: Request) -> Response:
        """``GET /v1/reviews/{id}/transcript``: the audit record, as JSON lines."""
        principal, usage = await self.caller(request)
        require(principal, "transcript")
        location = _transcript_of(await self.visible(principal, request.path_params["review_id"]))
        raw = await asyncio.to_thread(_read_transcript, location)
        text = "".join(line if line.endswith("\n") else line + "\n" for line in raw)
        return Response(text, media_type="application/x-ndjson", headers=usage.headers())

    async def verify(self, request: Request) -> Response:
        """``POST /v1/reviews/{id}/verify``: the transcript's hash chain and signature."""
        principal, usage = await self.caller(request)
        require(principal, "verify")
        location = _transcript_of(await self.visible(principal, request.path_params["review_id"]))
        result = await asyncio.to_thread(_verify, location, self.audit.keyring())
        return JSONResponse(result.model_dump(), headers=usage.headers())


def _tighter(a: Usage, b: Usage) -> Usage:
    """The window closer to refusing (what a client should pace itself by)."""
    return a if a.remaining <= b.remaining else b


def _finished(record: ReviewRecord) -> Review:
    if record.status != "done" or record.review is None:
        raise ApiError(409, "not_ready", f"review {record.id!r} is {record.status}; no result yet")
    return Review.model_validate(record.review)


def _transcript_of(record: ReviewRecord) -> str:
    _finished(record)
    location = (record.review or {}).get("transcript")
    if not location:
        raise ApiError(404, "no_transcript", f"review {record.id!r} kept no transcript")
    return str(location)


def _read_transcript(location: str) -> tuple[str, ...]:
    from review_bot.audit.stores import open_location

    try:
        store, transcript_id = open_location(location)
        try:
            return store.read(transcript_id).lines
        finally:
            store.close()
    except (OSError, ReviewError) as exc:
        raise ApiError(503, "unavailable", f"the transcript cannot be read: {exc}") from exc


def _verify(location: str, keyring: Mapping[str, bytes]) -> VerifyBody:
    from review_bot.audit.verify import verify

    try:
        result = verify(location, keyring)
    except (OSError, ReviewError) as exc:
        raise ApiError(503, "unavailable", f"the transcript cannot be read: {exc}") from exc
    return VerifyBody(
        ok=result.ok,
        intact=result.intact,
        complete=result.complete,
        records=result.records,
        broken=result.broken,
        signature=result.signature,
        message=result.message(),
    )


def _safe_path(path: str) -> PurePosixPath:
    pure = PurePosixPath(path)
    if not path or "\x00" in path or pure.is_absolute() or ".." in pure.parts or "\\" in path:
        raise ApiError(
            422,
            "invalid_request",
            f"files: {path!r} is not a relative path inside the repository",
            field=f"files.{path}",
        )
    return pure


def _repo_source(submitted: ReviewRequest, forges: tuple[str, ...]) -> RepoSource | None:
    """The repository to fetch, when the submission names one (422 when it is not allowed)."""
    if submitted.repo_url is None:
        for field in ("base", "head"):
            if getattr(submitted, field) is not None:
                raise ApiError(
                    422, "invalid_request", f"{field} goes with repo_url; send both or neither",
                    field=field,
                )  # fmt: skip
        return None
    if submitted.diff is not None or submitted.files or submitted.tarball is not None:
        raise ApiError(
            422, "invalid_request", "send repo_url (with base and head) or diff, not both",
            field="repo_url",
        )  # fmt: skip
    return check_source(submitted.repo_url, submitted.base, submitted.head, forges)


def _build_change(submitted: ReviewRequest, base: ReviewConfig) -> ChangeSet:
    """Parse the diff against the submitted files; 422 when they disagree."""
    if submitted.diff is None:
        raise ApiError(
            422, "invalid_request", "diff is required (or repo_url with base and head)",
            field="diff",
        )  # fmt: skip
    diff = submitted.diff
    for name in submitted.files:
        _safe_path(name)
    files = submitted.files
    if submitted.tarball is not None and files:
        raise ApiError(422, "invalid_request", "send files or tarball, not both", field="tarball")
    if submitted.tarball is not None:
        try:
            wanted = {pf.path for pf in parse_diff(diff)}
        except InputError as exc:
            raise ApiError(422, "invalid_change", str(exc), field="diff") from exc
        files = files_from_tarball(submitted.tarball, wanted)
    try:
        change = from_diff_files(diff, files, limits=base.limits)
    except InputError as exc:
        raise ApiError(422, "invalid_change", str(exc), field="diff") from exc
    if not change.files and not change.skipped:
        raise ApiError(422, "invalid_change", "the diff changes no file", field="diff")
    return change


def _change_view(change: ChangeSet) -> dict[str, Any]:
    return {
        "files": [
            {
                "path": f.path,
                "status": f.status,
                "language": f.language,
                "hunks": [
                    {
                        "header": h.header,
                        "new_start": h.new_start,
                        "new_length": h.new_length,
                        "text": h.text,
                    }
                    for h in f.hunks
                ],
            }
            for f in change.files
        ],
        "skipped": [{"path": s.path, "reason": s.reason} for s in change.skipped],
    }


Endpoint = Callable[[Request], Awaitable[Response]]


def guarded(handler: Endpoint) -> Endpoint:
    """Map the error tree to JSON answers (this API's error boundary)."""

    async def run(request: Request) -> Response:
        from review_bot.service.api.errors import error_response

        try:
            response = await handler(request)
        except ApiError as exc:
            response = error_response(exc)
        except DependencyUnavailable as exc:
            response = error_response(ApiError(503, "unavailable", str(exc)))
        usage = getattr(request.state, "usage", None)
        if isinstance(usage, Usage):
            for name, value in usage.headers().items():
                response.headers.setdefault(name, value)
        return response

    return run
