"""Cache settings: L1 in-process, L2 Redis (``REDIS_URL``) or a local store on disk."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from review_bot.config._redis import RedisUrl

__all__ = [
    "DEFAULT_COMPLETION_TTL_S",
    "DEFAULT_L1_MAX_BYTES",
    "DEFAULT_LEASE_TTL_S",
    "DEFAULT_LEASE_WAIT_S",
    "DEFAULT_MAX_VALUE_BYTES",
    "DEFAULT_REDIS_TIMEOUT_S",
    "DEFAULT_TOOL_TTL_S",
    "CacheConfig",
]

DEFAULT_L1_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_VALUE_BYTES = 2 * 1024 * 1024
DEFAULT_COMPLETION_TTL_S = 14 * 24 * 3600.0
DEFAULT_TOOL_TTL_S = 14 * 24 * 3600.0
DEFAULT_REDIS_TIMEOUT_S = 0.25
DEFAULT_LEASE_TTL_S = 30.0
DEFAULT_LEASE_WAIT_S = 60.0

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class CacheConfig(BaseModel):
    """Where cached completions and tool outputs live, and for how long.

    Attributes:
        enabled: False turns every lookup into a miss and stores nothing.
        redis_url: L2 in Redis; None uses ``local_dir`` instead.
        local_dir: the persistent local store when there is no Redis (None: no L2).
        namespace: prefix of every Redis key (the schema version is appended to it).
        l1_max_bytes: bound of the in-process LRU, in bytes of values.
        max_value_bytes: values larger than this are not stored in L2.
        completion_ttl_s / tool_ttl_s: how long entries live in L2.
        redis_timeout_s: each Redis operation gives up after this (socket and overall).
        breaker_fail_max / breaker_reset_s: Redis failures in a row that stop using it,
            and for how long.
        lease_ttl_s: how long a computing process holds the lease (takeover after it).
        lease_wait_s: how long a waiter polls for another process's value before computing.
        lease_poll_s: the polling interval.
    """

    model_config = _FROZEN

    enabled: bool = True
    redis_url: RedisUrl | None = None
    local_dir: Path | None = None
    namespace: str = "review-bot"
    l1_max_bytes: int = Field(DEFAULT_L1_MAX_BYTES, ge=0)
    max_value_bytes: int = Field(DEFAULT_MAX_VALUE_BYTES, gt=0)
    completion_ttl_s: float = Field(DEFAULT_COMPLETION_TTL_S, gt=0)
    tool_ttl_s: float = Field(DEFAULT_TOOL_TTL_S, gt=0)
    redis_timeout_s: float = Field(DEFAULT_REDIS_TIMEOUT_S, gt=0)
    breaker_fail_max: int = Field(5, ge=1)
    breaker_reset_s: float = Field(10.0, gt=0)
    lease_ttl_s: float = Field(DEFAULT_LEASE_TTL_S, gt=0)
    lease_wait_s: float = Field(DEFAULT_LEASE_WAIT_S, ge=0)
    lease_poll_s: float = Field(0.05, gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str], **values: object) -> CacheConfig:
        """Defaults, ``REDIS_URL``, and a local dir from ``REVIEW_BOT_CACHE_DIR``,
        ``$XDG_CACHE_HOME/review-bot`` or ``~/.cache/review-bot``; explicit ``values`` win."""
        data: dict[str, object] = dict(values)
        if env.get("REDIS_URL") and "redis_url" not in data:
            data["redis_url"] = env["REDIS_URL"]
        if "local_dir" not in data:
            if env.get("REVIEW_BOT_CACHE_DIR"):
                data["local_dir"] = Path(env["REVIEW_BOT_CACHE_DIR"])
            elif env.get("XDG_CACHE_HOME"):
                data["local_dir"] = Path(env["XDG_CACHE_HOME"]) / "review-bot"
            elif env.get("HOME"):
                data["local_dir"] = Path(env["HOME"]) / ".cache" / "review-bot"
        return cls.model_validate(data)
