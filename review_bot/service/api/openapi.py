"""The OpenAPI 3.1 document of ``/v1``: paths written here, bodies from the pydantic models.

Written by hand on purpose: the routes are few, and the document says what the contract is
(statuses, error codes, headers), not what a framework could infer from signatures.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from review_bot import __version__
from review_bot.service.api.models import (
    ErrorBody,
    ReviewAccepted,
    ReviewRecord,
    ReviewRequest,
    VerifyBody,
)

__all__ = ["openapi_document"]

_MODELS: tuple[type[BaseModel], ...] = (
    ReviewRequest,
    ReviewAccepted,
    ReviewRecord,
    VerifyBody,
    ErrorBody,
)
_REF = "#/components/schemas/{model}"


def _schemas() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model in _MODELS:
        schema = model.model_json_schema(ref_template=_REF)
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF.format(model=name)}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    what = {
        400: "malformed request (invalid_json)",
        401: "no or bad credentials (unauthenticated)",
        403: "the role may not do this (forbidden)",
        404: "no such review, or not the caller's (not_found)",
        409: "the review has not finished (not_ready)",
        413: "body over the size limit (payload_too_large)",
        415: "not application/json (unsupported_media)",
        422: "a field is wrong; `field` names it (invalid_request, invalid_change)",
        429: "rate or quota exceeded (rate_limited, quota_exceeded); see Retry-After",
        503: "a dependency is unavailable (unavailable, queue_full)",
    }
    return {str(s): _json("ErrorBody", what[s]) for s in statuses}


_ID = {"name": "review_id", "in": "path", "required": True, "schema": {"type": "string"}}
_READ_ERRORS = (401, 404, 429, 503)


def _paths() -> dict[str, Any]:
    return {
        "/v1/reviews": {
            "post": {
                "operationId": "submitReview",
                "summary": "Submit a change (a unified diff and its new-side files, or a "
                "repository URL on an allowed forge with base and head)",
                "description": (
                    "Send `diff` with `files` or `tarball`, or `repo_url` with `base` and "
                    "`head`. A repository is fetched by the review's job, not the request: "
                    "a fetch that fails (unreachable, unknown ref, too big) makes the "
                    "review `failed` with the reason in `error`. A host not in the server's "
                    "forges, a URL with credentials, a query or a fragment, or a ref that is "
                    "neither a 40-hex commit id nor a plain ref name is a 422 naming the field."
                ),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("ReviewRequest")}},
                },
                "responses": {
                    "202": {
                        **_json("ReviewAccepted", "queued; Location names the review"),
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                    **_errors(400, 401, 403, 413, 415, 422, 429, 503),
                },
            }
        },
        "/v1/reviews/{review_id}": {
            "get": {
                "operationId": "getReview",
                "summary": "The review's status, then its result",
                "parameters": [
                    _ID,
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["json", "sarif", "markdown"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "the record (json), or the result as SARIF or Markdown",
                        "content": {
                            "application/json": {"schema": _ref("ReviewRecord")},
                            "application/sarif+json": {"schema": {"type": "object"}},
                            "text/markdown": {"schema": {"type": "string"}},
                        },
                    },
                    **_errors(409, 422, *_READ_ERRORS),
                },
            }
        },
        "/v1/reviews/{review_id}/change": {
            "get": {
                "operationId": "getReviewChange",
                "summary": "The files and hunks under review",
                "parameters": [_ID],
                "responses": {
                    "200": {
                        "description": "files and hunks",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **_errors(*_READ_ERRORS),
                },
            }
        },
        "/v1/reviews/{review_id}/transcript": {
            "get": {
                "operationId": "getTranscript",
                "summary": "The hash-chained audit record (auditor, admin)",
                "parameters": [_ID],
                "responses": {
                    "200": {
                        "description": "JSON lines, one record each",
                        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                    },
                    **_errors(403, 409, *_READ_ERRORS),
                },
            }
        },
        "/v1/reviews/{review_id}/verify": {
            "post": {
                "operationId": "verifyTranscript",
                "summary": "Check the transcript's chain and signature (auditor, admin)",
                "parameters": [_ID],
                "responses": {
                    "200": _json("VerifyBody", "what verification found"),
                    **_errors(403, 409, *_READ_ERRORS),
                },
            }
        },
        "/v1/reviews/{review_id}/events": {
            "get": {
                "operationId": "followReview",
                "summary": "The review's events as Server-Sent Events (resume: Last-Event-ID)",
                "parameters": [
                    _ID,
                    {"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}},
                    {"name": "after", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "an event stream ending after review.finished/failed",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    **_errors(422, *_READ_ERRORS),
                },
            }
        },
    }


def openapi_document() -> dict[str, Any]:
    """The whole document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Review Bot API",
            "version": __version__,
            "description": "Submit changes for review, read results and transcripts, follow "
            "reviews live. The WebSocket twin of /events is /v1/reviews/{review_id}/ws.",
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
        "security": [{"bearer": []}, {"apiKey": []}],
    }
