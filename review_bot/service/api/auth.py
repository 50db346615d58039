"""Who is calling: a JWT (HS256, ``API_SECRET_KEY``) or an API key, and what their role allows.

Tokens carry ``sub``, ``role``, ``plan`` and ``exp`` (all required but ``plan``); only HS256
is accepted, so a token claiming ``alg: none`` or any other algorithm is refused before its
signature is even looked at. API keys (``rbk_<id>_<secret>``) are looked up by id and compared
by hash (:mod:`review_bot.service.api.keys`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import get_args

import jwt

from review_bot.config.api import Plan, Role
from review_bot.service.api.errors import ApiError

__all__ = [
    "ALGORITHM",
    "KEY_PREFIX",
    "Principal",
    "authenticate",
    "decode_token",
    "mint_token",
    "require",
]

ALGORITHM = "HS256"
KEY_PREFIX = "rbk_"
ROLES: tuple[str, ...] = get_args(Role)
PLANS: tuple[str, ...] = get_args(Plan)

# what each role may do; a review that is not the caller's is only visible with "read_any"
PERMISSIONS: dict[str, frozenset[str]] = {
    "submitter": frozenset({"submit", "read_own"}),
    "auditor": frozenset({"read_own", "read_any", "transcript", "verify"}),
    "admin": frozenset({"submit", "read_own", "read_any", "transcript", "verify", "keys"}),
}

KeyLookup = Callable[[str], Awaitable["Principal | None"]]
"""An API key → its principal, or None when unknown or revoked."""


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    sub: str
    role: str
    plan: str = "standard"
    via: str = "token"  # "token" or "key"

    def can(self, permission: str) -> bool:
        """True when the caller's role grants ``permission``."""
        return permission in PERMISSIONS.get(self.role, frozenset())

    def sees(self, owner: str) -> bool:
        """True when a review owned by ``owner`` is visible to the caller."""
        return self.can("read_any") or (self.can("read_own") and owner == self.sub)


def mint_token(
    secret: bytes, *, sub: str, role: str, plan: str, ttl_s: int, now: float | None = None
) -> str:
    """A signed token for ``sub`` (operators: ``review-bot token``)."""
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if plan not in PLANS:
        raise ValueError(f"plan {plan!r} is not one of {', '.join(PLANS)}")
    if not sub:
        raise ValueError("the subject is empty; name who the token is for")
    issued = int(time.time() if now is None else now)
    claims = {"sub": sub, "role": role, "plan": plan, "iat": issued, "exp": issued + ttl_s}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: bytes, leeway_s: int) -> Principal:
    """The principal of a valid token; :class:`ApiError` 401 naming what was wrong."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=leeway_s,
            options={"require": ["exp", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _unauthenticated("the token has expired; get a new one") from exc
    except jwt.InvalidAlgorithmError as exc:
        raise _unauthenticated(f"the token is not signed with {ALGORITHM}") from exc
    except jwt.InvalidSignatureError as exc:
        raise _unauthenticated("the token's signature does not verify") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise _unauthenticated(f"the token has no {exc.claim!r} claim") from exc
    except jwt.InvalidTokenError as exc:
        raise _unauthenticated(f"the token is malformed ({exc.__class__.__name__})") from exc
    role, plan, sub = claims.get("role"), claims.get("plan", "standard"), claims.get("sub")
    if role not in ROLES:
        raise _unauthenticated(f"the token's role {role!r} is not one of {', '.join(ROLES)}")
    if plan not in PLANS:
        raise _unauthenticated(f"the token's plan {plan!r} is not one of {', '.join(PLANS)}")
    if not isinstance(sub, str) or not sub:
        raise _unauthenticated("the token's subject is empty")
    return Principal(sub=sub, role=str(role), plan=str(plan))


async def authenticate(
    authorization: str | None,
    api_key: str | None,
    *,
    secret: bytes,
    leeway_s: int,
    keys: KeyLookup | None,
) -> Principal:
    """The caller from ``Authorization: Bearer <token or key>`` or ``X-API-Key``."""
    credential = api_key
    if credential is None and authorization is not None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _unauthenticated("use 'Authorization: Bearer <token>' or 'X-API-Key: <key>'")
        credential = value.strip()
    if not credential:
        raise _unauthenticated(
            "no credentials: send 'Authorization: Bearer <token>' or 'X-API-Key: <key>'"
        )
    if credential.startswith(KEY_PREFIX):
        if keys is None:
            raise _unauthenticated("API keys are not enabled on this server; use a token")
        principal = await keys(credential)
        if principal is None:
            raise _unauthenticated("the API key is unknown or revoked")
        return principal
    return decode_token(credential, secret, leeway_s)


def require(principal: Principal, permission: str) -> None:
    """Raise 403 unless the caller's role grants ``permission``."""
    if not principal.can(permission):
        raise ApiError(
            403,
            "forbidden",
            f"role {principal.role!r} may not {permission.replace('_', ' ')}",
        )


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, "unauthenticated", message, headers={"WWW-Authenticate": "Bearer"})
