"""A small async GitHub REST client on httpx that honours GitHub's rate limits.

This layer owns retries for GitHub calls: primary limits (``X-RateLimit-Remaining: 0`` until
``X-RateLimit-Reset``), secondary limits (403/429 with ``Retry-After`` or the documented
message, or a 422 "submitted too quickly") and transient 5xx/connection errors are retried a
bounded number of times, never waiting longer than ``max_wait_s``. A POST creates something:
after a 5xx or a lost connection GitHub may have created it anyway (large reviews often are,
then answered 502), so a POST is not retried blindly; :class:`GitHubWriteUncertain` tells the
caller to look for what it posted before posting again. Writes take a unit of the
installation's write budget first (``budget``). Logs name the method, path and status,
never headers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import httpx

from review_bot.errors import (
    ConfigError,
    GitHubError,
    GitHubRateLimited,
    GitHubStatusError,
    GitHubWriteUncertain,
)
from review_bot.github.auth import AppAuth, Auth, TokenAuth, parse_expiry

__all__ = [
    "Budget",
    "GitHubClient",
    "GitHubRateLimited",
    "GitHubStatusError",
    "GitHubWriteUncertain",
    "make_auth",
]

log = logging.getLogger(__name__)

_API_VERSION = "2022-11-28"
_SECONDARY_DEFAULT_WAIT_S = 60.0
_TRANSIENT = frozenset({500, 502, 503, 504})
_USER_AGENT = "review-bot"
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_TOO_QUICKLY = "too quickly"  # 422 "was submitted too quickly": a secondary limit, not a bad body

Sleep = Callable[[float], Awaitable[None]]


class Budget(Protocol):
    """The installation's write budget (:class:`review_bot.github.pacing.WriteBudget`)."""

    async def take(self, installation_id: int | None) -> None:
        """Take one write; wait, or raise GitHubRateLimited."""


class GitHubClient:
    """REST calls on behalf of one installation (or a token), with rate-limit handling."""

    def __init__(
        self,
        base_url: str,
        auth: Auth,
        *,
        installation_id: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_retries: int = 3,
        max_wait_s: float = 120.0,
        timeout_s: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        budget: Budget | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=timeout_s,
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": _API_VERSION,
                "User-Agent": _USER_AGENT,
            },
        )
        self._auth = auth
        self._installation_id = installation_id
        self._max_retries = max_retries
        self._max_wait_s = max_wait_s
        self._sleep = sleep
        self._clock = clock
        self._exhausted_until = 0.0
        self._budget = budget

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        accept: str | None = None,
        authorization: str | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one call; retry rate limits and transient failures; raise on error status.

        Args:
            idempotent: whether sending it twice is harmless (default: every method but
                POST). A non-idempotent call is not retried after a 5xx or transport error.
        """
        safe = method != "POST" if idempotent is None else idempotent
        attempt = 0
        while True:
            await self._wait_for_primary_reset()
            if self._budget is not None and method in _WRITES and authorization is None:
                await self._budget.take(self._installation_id)
            headers = {
                "Authorization": authorization or await self._auth.header(self._installation_id)
            }
            if accept:
                headers["Accept"] = accept
            try:
                response = await self._http.request(
                    method, path, json=json, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                self._no_answer(method, path, exc, safe=safe, attempt=attempt)
                attempt += 1
                await self._sleep(min(2.0**attempt, self._max_wait_s))
                continue
            self._note_limits(response)
            log.debug("github %s %s -> %s", method, path, response.status_code)
            if response.is_success:
                return response
            if not safe and response.status_code >= 500:
                raise _status_error(method, path, response, None, uncertain=True)
            wait = self._retry_wait(response)
            if wait is None or attempt >= self._max_retries:
                raise _status_error(method, path, response, wait)
            if wait > self._max_wait_s:
                raise GitHubRateLimited(
                    f"{method} {path}: rate limited for {wait:.0f}s, more than the "
                    f"{self._max_wait_s:.0f}s we wait; retry later",
                    response.status_code,
                    wait,
                )
            attempt += 1
            log.info(
                "github %s %s: %s, retrying in %.1fs", method, path, response.status_code, wait
            )
            await self._sleep(wait)

    def _no_answer(
        self, method: str, path: str, exc: httpx.TransportError, *, safe: bool, attempt: int
    ) -> None:
        """Raise unless the call may be sent again after a transport error."""
        if not safe:
            raise GitHubWriteUncertain(
                f"{method} {path}: no answer ({exc.__class__.__name__}); it may "
                "have been created: look before posting again",
                0,
            ) from exc
        if attempt >= self._max_retries:
            raise GitHubError(
                f"{method} {path} failed after {attempt + 1} attempts: "
                f"{exc.__class__.__name__}; check GITHUB_API_URL and the network"
            ) from exc

    @property
    def graphql_url(self) -> str:
        """GitHub's GraphQL endpoint: ``/graphql`` on github.com, ``/api/graphql`` on GHES
        (whose REST root is ``/api/v3``)."""
        base = str(self._http.base_url).rstrip("/")
        if base.endswith("/api/v3"):
            return base.removesuffix("/v3") + "/graphql"
        return base + "/graphql"

    @property
    def is_app(self) -> bool:
        """True with App auth (check runs and their annotations are available)."""
        return isinstance(self._auth, AppAuth)

    async def bot_login(self) -> str:
        """The login our reviews and comments are posted under.

        An App's is ``<slug>[bot]``, read once from ``GET /app`` (with the App's JWT); a
        token's must be configured (``GITHUB_BOT_LOGIN``), since a foreign comment carrying
        our marker must never be taken for ours.
        """
        auth = self._auth
        if isinstance(auth, AppAuth):
            if auth.bot_login is None:
                data = (
                    await self.request("GET", "/app", authorization=f"Bearer {auth.jwt()}")
                ).json()
                slug = data.get("slug") if isinstance(data, dict) else None
                if not isinstance(slug, str) or not slug:
                    raise GitHubError("GET /app: the answer has no slug")
                auth.bot_login = f"{slug}[bot]"
            return auth.bot_login
        login = getattr(auth, "login", None)
        if not login:
            raise ConfigError(
                "the bot's GitHub login is unknown: set GITHUB_BOT_LOGIN to the token's login"
            )
        return str(login)

    async def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET ``path`` and decode its JSON."""
        return (await self.request("GET", path, params=params)).json()

    async def paginate(
        self, path: str, params: Mapping[str, str | int] | None = None, max_items: int = 10_000
    ) -> list[Any]:
        """Every item of a list endpoint, following ``Link: rel=next`` (100 per page)."""
        items: list[Any] = []
        query: Mapping[str, str | int] | None = {"per_page": 100, **(params or {})}
        url = path
        while url and len(items) < max_items:
            response = await self.request("GET", url, params=query)
            page = response.json()
            if not isinstance(page, list):
                raise GitHubError(f"GET {path}: expected a JSON list, got {type(page).__name__}")
            items.extend(page)
            next_link = response.links.get("next", {}).get("url")
            url, query = (next_link, None) if next_link else ("", None)
        return items[:max_items]

    async def _wait_for_primary_reset(self) -> None:
        remaining = self._exhausted_until - self._clock()
        if remaining > 0:
            if remaining > self._max_wait_s:
                raise GitHubRateLimited(
                    f"GitHub rate limit exhausted for another {remaining:.0f}s; retry later",
                    403,
                    remaining,
                )
            await self._sleep(remaining)

    def _note_limits(self, response: httpx.Response) -> None:
        if response.headers.get("x-ratelimit-remaining") == "0":
            reset = _float(response.headers.get("x-ratelimit-reset"))
            if reset is not None:
                self._exhausted_until = reset

    def _retry_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying this response, or None if it is not retryable."""
        status = response.status_code
        retry_after = _float(response.headers.get("retry-after"))
        if status in (403, 429):
            if retry_after is not None:
                return max(retry_after, 0.0)
            if response.headers.get("x-ratelimit-remaining") == "0":
                reset = _float(response.headers.get("x-ratelimit-reset")) or self._clock()
                self._exhausted_until = 0.0  # we wait here instead
                return max(reset - self._clock(), 0.0) + 1.0
            if status == 429 or "secondary rate limit" in response.text.lower():
                return _SECONDARY_DEFAULT_WAIT_S
            return None
        if status == 422 and _TOO_QUICKLY in response.text.lower():
            return retry_after if retry_after is not None else _SECONDARY_DEFAULT_WAIT_S
        if status in _TRANSIENT:
            return retry_after if retry_after is not None else 1.0
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _status_error(
    method: str,
    path: str,
    response: httpx.Response,
    wait: float | None,
    *,
    uncertain: bool = False,
) -> GitHubStatusError:
    errors: object = None
    try:
        body = response.json()
        message = body.get("message", "") if isinstance(body, dict) else ""
        errors = body.get("errors") if isinstance(body, dict) else None
    except ValueError:
        message = response.text[:200]
    detail = f"{message} {errors}" if errors else str(message)
    text = f"{method} {path} -> {response.status_code}: {message!r}"
    if uncertain:
        text += "; it may have been created: look before posting again"
        return GitHubWriteUncertain(text, response.status_code, detail)
    if wait is not None:
        return GitHubRateLimited(text + "; retries exhausted", response.status_code, wait)
    return GitHubStatusError(text, response.status_code, detail)


def make_auth(
    *,
    api_url: str,
    token: str | None,
    app_id: str | None,
    private_key_pem: str | None,
    transport: httpx.AsyncBaseTransport | None = None,
    bot_login: str | None = None,
) -> Auth:
    """A token auth, or App auth whose token exchange calls ``api_url`` (one pool)."""
    if token:
        return TokenAuth(token, login=bot_login)
    if not (app_id and private_key_pem):
        raise GitHubError(
            "no GitHub credentials: set GITHUB_TOKEN, or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY"
        )

    async def exchange(app_jwt: str, installation_id: int) -> tuple[str, float]:
        async with GitHubClient(api_url, TokenAuth(""), transport=transport) as http:
            response = await http.request(
                "POST",
                f"/app/installations/{installation_id}/access_tokens",
                authorization=f"Bearer {app_jwt}",
                idempotent=True,  # a second token is harmless
            )
        data = response.json()
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str):
            raise GitHubError(f"installation {installation_id}: token response has no token")
        return token, parse_expiry(data.get("expires_at"))

    app = AppAuth(app_id, private_key_pem, exchange)
    app.bot_login = bot_login
    return app
