"""Everything a process needs to run reviews: the review config plus the dependencies' configs.

``ReviewConfig`` is what one review depends on (it is recorded in transcripts and part of cache
identities); the rest (model endpoint, cache, resilience, transcripts, tracing) is how this
process reaches the outside world.

File sections: ``[review]``, ``[model]``, ``[cache]``, ``[resilience]``, ``[audit]``,
``[retention]``; the
environment overrides the file (``REVIEW_BOT_MODEL``, ``OPENAI_*``, ``REDIS_URL``,
``REVIEW_BOT_TRANSCRIPTS``, ``REVIEW_BOT_CACHE_DIR``, ``LANGFUSE_*``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from review_bot.config.audit import AuditConfig
from review_bot.config.cache import CacheConfig
from review_bot.config.evals import LangfuseConfig
from review_bot.config.loader import config_file_data, load_review_config, validation_message
from review_bot.config.model import ModelConfig
from review_bot.config.models import ReviewConfig
from review_bot.config.resilience import ResilienceConfig
from review_bot.config.retention import RetentionConfig
from review_bot.config.tracing import TracingConfig
from review_bot.errors import ConfigError

__all__ = ["Settings", "debug_enabled", "environment", "load_settings"]


class Settings(BaseModel):
    """The process's configuration, loaded once per entry point."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    review: ReviewConfig = ReviewConfig()
    model: ModelConfig | None = None
    cache: CacheConfig = CacheConfig()
    resilience: ResilienceConfig = ResilienceConfig()
    audit: AuditConfig = AuditConfig()
    langfuse: LangfuseConfig = LangfuseConfig()
    tracing: TracingConfig = TracingConfig()
    retention: RetentionConfig = RetentionConfig()


def _section(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{name}] in the configuration must be a table, got {value!r}")
    return dict(value)


def load_settings(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    tools_only: bool = False,
) -> Settings:
    """Settings from ``path`` (or ``$REVIEW_BOT_CONFIG``) and ``env`` (default os.environ).

    ``overrides`` apply to ``[review]`` (command-line flags); ``tools_only`` drops the model.
    """
    env = os.environ if env is None else env
    data = config_file_data(path, env)
    where = str(path) if path else "the configuration"
    review = load_review_config(path, env, overrides, data=data)
    model = (
        None
        if tools_only or review.tools_only
        else ModelConfig.from_env(env, _section(data, "model"))
    )
    try:
        cache = CacheConfig.from_env(env, **_section(data, "cache"))
        resilience = ResilienceConfig.from_env(env, **_section(data, "resilience"))
        retention = RetentionConfig.from_env(env, **_section(data, "retention"))
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, where)) from exc
    try:
        audit = AuditConfig.from_env(env, AuditConfig.model_validate(_section(data, "audit")))
    except ValidationError as exc:  # [audit] holds keys: never echo its values
        raise ConfigError(validation_message(exc, where, show_input=False)) from exc
    # no cache entry outlives the cache's retention period, whatever its TTL says
    cache = cache.model_copy(
        update={
            "tool_ttl_s": min(cache.tool_ttl_s, retention.cache_s),
            "completion_ttl_s": min(cache.completion_ttl_s, retention.cache_s),
        }
    )
    if review.tools.cache_dir is None and cache.local_dir is not None:
        # analyzers' build caches (Go) beside the local store: without them every Go review
        # compiles the standard library's export data again (tens of CPU seconds)
        tools = review.tools.model_copy(update={"cache_dir": cache.local_dir / "tools"})
        review = review.model_copy(update={"tools": tools})
    return Settings(
        review=review,
        model=model,
        cache=cache,
        resilience=resilience,
        audit=audit,
        langfuse=LangfuseConfig.from_env(env),
        tracing=_tracing(env),
        retention=retention,
    )


def _tracing(env: Mapping[str, str]) -> TracingConfig:
    try:
        return TracingConfig.from_env(env)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, "OTEL_EXPORTER_OTLP_ENDPOINT")) from exc


def debug_enabled(env: Mapping[str, str] | None = None) -> bool:
    """``REVIEW_BOT_DEBUG`` set: the CLI prints tracebacks of internal errors."""
    env = os.environ if env is None else env
    return env.get("REVIEW_BOT_DEBUG", "") not in ("", "0", "false", "no")


def environment(**overrides: str) -> dict[str, str]:
    """This process's environment with ``overrides`` on top: what a command that sets one
    variable for its own settings (``eval --model``) loads them from."""
    return {**os.environ, **overrides}
