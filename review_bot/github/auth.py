"""Credentials for the GitHub API: a plain token, or a GitHub App's installation tokens.

An App signs a short JWT (RS256) with its private key and trades it for an installation
token, which is cached until shortly before it expires. Tokens never appear in reprs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

import jwt

from review_bot.errors import ConfigError, GitHubError

__all__ = ["AppAuth", "Auth", "TokenAuth", "app_jwt"]

# GitHub accepts App JWTs of at most 10 minutes; backdating iat covers clock drift.
_JWT_LIFETIME_S = 540
_JWT_BACKDATE_S = 60
# Renew an installation token this long before GitHub says it expires.
_TOKEN_MARGIN_S = 120.0

TokenExchange = Callable[[str, int], Awaitable[tuple[str, float]]]
"""``(app_jwt, installation_id) -> (token, expires_at_epoch)``: the HTTP call, injected."""


class Auth(Protocol):
    """Gives the Authorization header value for a request on behalf of an installation."""

    async def header(self, installation_id: int | None) -> str:
        """The ``Authorization`` header value."""


class TokenAuth:
    """A fixed token (PAT, Actions token, or an installation token made elsewhere)."""

    def __init__(self, token: str, login: str | None = None) -> None:
        self._token = token
        self.login = login  # whose token it is: the bot's login on GitHub

    def __repr__(self) -> str:
        return f"TokenAuth(token=***, login={self.login!r})"

    async def header(self, installation_id: int | None) -> str:
        """``Bearer <token>`` whatever the installation."""
        return f"Bearer {self._token}"


def app_jwt(app_id: str, private_key_pem: str, now: float | None = None) -> str:
    """The App's JWT: RS256 over ``iss``/``iat``/``exp``, valid for nine minutes."""
    issued = int(now if now is not None else time.time()) - _JWT_BACKDATE_S
    try:
        return jwt.encode(
            {"iss": app_id, "iat": issued, "exp": issued + _JWT_LIFETIME_S},
            private_key_pem,
            algorithm="RS256",
        )
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise ConfigError(
            f"GITHUB_APP_PRIVATE_KEY for app {app_id!r} is not a usable RSA private key "
            f"({exc.__class__.__name__}); download a new key from the App's settings"
        ) from exc


class AppAuth:
    """Installation tokens of a GitHub App, fetched on demand and cached until expiry."""

    def __init__(
        self,
        app_id: str,
        private_key_pem: str,
        exchange: TokenExchange,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app_id = app_id
        self._key = private_key_pem
        self._exchange = exchange
        self._clock = clock
        self._tokens: dict[int, tuple[str, float]] = {}
        self._lock = asyncio.Lock()
        self.bot_login: str | None = None  # ``<slug>[bot]``, from GET /app once known

    def __repr__(self) -> str:
        return f"AppAuth(app_id={self._app_id!r}, private_key=***)"

    def jwt(self) -> str:
        """A fresh App JWT (for ``/app`` endpoints)."""
        return app_jwt(self._app_id, self._key, self._clock())

    async def header(self, installation_id: int | None) -> str:
        """``Bearer <installation token>``, exchanging a new one when the cached one is old."""
        if installation_id is None:
            raise GitHubError(
                "a GitHub App needs the installation id of the repository; the webhook "
                "payload had none (is the App installed on it?)"
            )
        async with self._lock:
            cached = self._tokens.get(installation_id)
            if cached is None or cached[1] - _TOKEN_MARGIN_S <= self._clock():
                cached = await self._exchange(self.jwt(), installation_id)
                self._tokens[installation_id] = cached
        return f"Bearer {cached[0]}"


def parse_expiry(value: object) -> float:
    """GitHub's ``expires_at`` (ISO 8601, ``Z`` suffix) as epoch seconds."""
    if not isinstance(value, str):
        raise GitHubError(f"installation token response has no expires_at: {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise GitHubError(f"installation token expires_at {value!r} is not ISO 8601") from exc
