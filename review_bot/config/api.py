"""Settings of the review API under ``/v1`` (served by ``review-bot serve``).

``from_env`` is the only place these settings are read from the environment. The API is off
unless ``API_SECRET_KEY`` is set: without a key no token can be checked, and an API that
accepts anyone is worse than none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from review_bot.config.loader import validation_message
from review_bot.errors import ConfigError

__all__ = [
    "DEFAULT_DAILY_QUOTA",
    "DEFAULT_FETCH_MAX_BYTES",
    "DEFAULT_FETCH_TIMEOUT_S",
    "DEFAULT_LEEWAY_S",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_PER_MINUTE",
    "DEFAULT_TOKEN_TTL_S",
    "MIN_SECRET_BYTES",
    "ApiConfig",
    "Plan",
    "Role",
]

Role = Literal["submitter", "auditor", "admin"]
Plan = Literal["standard", "enterprise"]

DEFAULT_TOKEN_TTL_S = 3600
DEFAULT_LEEWAY_S = 30  # clock skew between the token's issuer and us
DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024  # the seed's request size limit
DEFAULT_DAILY_QUOTA: dict[str, int] = {"standard": 100, "enterprise": 1000}
DEFAULT_PER_MINUTE: dict[str, int] = {"standard": 60, "enterprise": 600}
DEFAULT_RECORD_TTL_S = 30 * 24 * 3600  # how long a review's record and events are kept
MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash
DEFAULT_FORGES = ("github.com",)
DEFAULT_FETCH_TIMEOUT_S = 120  # a repo_url review's git fetch
DEFAULT_FETCH_MAX_BYTES = 1024 * 1024 * 1024  # what that fetch may write to disk

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ApiConfig(BaseModel):
    """Everything the ``/v1`` API and the live page need.

    Attributes:
        secret_key: the HS256 key tokens are signed with (``API_SECRET_KEY``).
        token_ttl_s / leeway_s: a minted token's lifetime; the clock skew allowed on ``exp``.
        database_url: PostgreSQL holding the API keys (hashed); None: API keys are off.
        daily_quota / per_minute: reviews a day and requests a minute, per plan.
        cors_origins: origins allowed to call the API from a browser (none by default);
            the same list is what a WebSocket's ``Origin`` may be, besides the API's own.
        max_body_bytes: the largest request body read.
        record_ttl_s: how long a review's record, result and event stream are kept.
        forges: hosts a repository URL may name (``POST /v1/reviews`` with ``repo_url``),
            ``host`` or ``host:port``.
        fetch_timeout_s / fetch_max_bytes: the time and the disk such a review's fetch may take.
    """

    model_config = _FROZEN

    secret_key: SecretStr
    token_ttl_s: int = Field(DEFAULT_TOKEN_TTL_S, gt=0)
    leeway_s: int = Field(DEFAULT_LEEWAY_S, ge=0)
    database_url: str | None = None
    daily_quota: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_DAILY_QUOTA))
    per_minute: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_PER_MINUTE))
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, gt=0)
    record_ttl_s: int = Field(DEFAULT_RECORD_TTL_S, gt=0)
    forges: tuple[str, ...] = DEFAULT_FORGES
    fetch_timeout_s: int = Field(DEFAULT_FETCH_TIMEOUT_S, gt=0)
    fetch_max_bytes: int = Field(DEFAULT_FETCH_MAX_BYTES, gt=0)

    def secret_bytes(self) -> bytes:
        """The signing key as bytes."""
        return self.secret_key.get_secret_value().encode("utf-8")

    def quota(self, plan: str) -> int:
        """Reviews a day for ``plan`` (an unknown plan gets the standard quota)."""
        return self.daily_quota.get(plan, self.daily_quota["standard"])

    def rate(self, plan: str) -> int:
        """Requests a minute for ``plan``."""
        return self.per_minute.get(plan, self.per_minute["standard"])

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApiConfig | None:
        """The API's settings, or None when ``API_SECRET_KEY`` is unset (the API is off)."""
        env = os.environ if env is None else env
        secret = env.get("API_SECRET_KEY", "")
        if not secret:
            return None
        if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"API_SECRET_KEY is {len(secret.encode('utf-8'))} bytes; an HS256 key needs at "
                f"least {MIN_SECRET_BYTES} (e.g. `openssl rand -hex 32`)"
            )
        data: dict[str, object] = {"secret_key": SecretStr(secret)}
        plain = {
            "REVIEW_BOT_API_TOKEN_TTL_S": "token_ttl_s",
            "REVIEW_BOT_API_LEEWAY_S": "leeway_s",
            "REVIEW_BOT_API_DATABASE_URL": "database_url",
            "REVIEW_BOT_API_MAX_BODY_BYTES": "max_body_bytes",
            "REVIEW_BOT_API_RECORD_TTL_S": "record_ttl_s",
            "REVIEW_BOT_API_FETCH_TIMEOUT_S": "fetch_timeout_s",
            "REVIEW_BOT_API_FETCH_MAX_BYTES": "fetch_max_bytes",
        }
        for var, name in plain.items():
            if env.get(var):
                data[name] = env[var].strip()
        lists = {"REVIEW_BOT_API_CORS_ORIGINS": "cors_origins", "REVIEW_BOT_API_FORGES": "forges"}
        for var, name in lists.items():
            if var in env:
                data[name] = tuple(o.strip() for o in env[var].split(",") if o.strip())
        data["daily_quota"] = _per_plan(env, "REVIEW_BOT_API_DAILY_QUOTA", DEFAULT_DAILY_QUOTA)
        data["per_minute"] = _per_plan(env, "REVIEW_BOT_API_PER_MINUTE", DEFAULT_PER_MINUTE)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(
                validation_message(exc, "the REVIEW_BOT_API_* settings", show_input=False)
            ) from exc


def _per_plan(env: Mapping[str, str], prefix: str, defaults: Mapping[str, int]) -> dict[str, int]:
    """``<prefix>_STANDARD`` / ``<prefix>_ENTERPRISE`` over the defaults."""
    out = dict(defaults)
    for plan in defaults:
        var = f"{prefix}_{plan.upper()}"
        raw = env.get(var, "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) <= 0:
            raise ConfigError(f"{var}={raw!r} is not a positive whole number; fix or unset it")
        out[plan] = int(raw)
    return out
