"""The API's error boundary: every failure is JSON ``{code, message, field}`` with a stable code.

Codes are part of the contract (clients branch on them, not on messages):

=====================  ======  =====================================================
code                   status  meaning
=====================  ======  =====================================================
unauthenticated        401     no credentials, or a bad, expired or revoked one
forbidden              403     the caller's role may not do this
not_found              404     no such review, or not the caller's
method_not_allowed     405     the path exists, the method does not
payload_too_large      413     the body is over the configured limit
unsupported_media      415     the body is not ``application/json``
invalid_request        422     a field is missing or wrong (``field`` names it)
invalid_change         422     the diff and files do not make a reviewable change
rate_limited           429     per-minute rate exceeded (``Retry-After`` says when)
quota_exceeded         429     daily review quota used up (``Retry-After`` says when)
not_ready              409     the review has not finished (no result, no transcript yet)
no_transcript          404     the review kept no transcript (audit off)
unavailable            503     a dependency (Redis, PostgreSQL, the queue) failed
=====================  ======  =====================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from starlette.responses import JSONResponse

__all__ = ["ApiError", "error_response", "validation_error"]


class ApiError(Exception):
    """An answer other than success, raised anywhere under a route and sent as JSON."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})


def error_response(error: ApiError) -> JSONResponse:
    """The JSON body and headers of ``error``."""
    body: dict[str, Any] = {"code": error.code, "message": error.message, "field": error.field}
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def validation_error(exc: ValidationError, prefix: Sequence[str] = ()) -> ApiError:
    """A 422 naming the first bad field as a dotted path (``options.fail_on``)."""
    first = exc.errors()[0]
    loc = [*prefix, *(str(part) for part in first["loc"])]
    field = ".".join(loc) or None
    count = len(exc.errors())
    more = f" (and {count - 1} more problem(s))" if count > 1 else ""
    return ApiError(422, "invalid_request", f"{field or 'body'}: {first['msg']}{more}", field=field)
