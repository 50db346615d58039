"""Build the service's collaborators from a :class:`ServiceConfig` (one place, no globals)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

import httpx

from review_bot.config.service import ServiceConfig
from review_bot.errors import ConfigError
from review_bot.github.client import GitHubClient, make_auth
from review_bot.service.runner import Reviewer
from review_bot.service.store import MemoryStore, RedisStore, StateStore

__all__ = ["DEFAULT_REVIEWER", "github_factory", "load_reviewer", "make_store"]

DEFAULT_REVIEWER = "review_bot.pipeline:review"


def github_factory(
    config: ServiceConfig, transport: httpx.AsyncBaseTransport | None = None
) -> Callable[[int | None], GitHubClient]:
    """Clients per installation sharing one auth (so installation tokens are cached)."""
    config.require_github_credentials()
    key = config.github_app_private_key
    token = config.github_token
    auth = make_auth(
        api_url=config.github_api_url,
        token=token.get_secret_value() if token else None,
        app_id=config.github_app_id,
        private_key_pem=key.get_secret_value() if key else None,
        transport=transport,
    )

    def client(installation_id: int | None) -> GitHubClient:
        return GitHubClient(
            config.github_api_url,
            auth,
            installation_id=installation_id,
            transport=transport,
            max_retries=config.github_retries,
            max_wait_s=config.rate_limit_max_wait_s,
        )

    return client


def load_reviewer(spec: str | None) -> Reviewer:
    """The review function named ``module:attr`` (default: the library pipeline)."""
    spec = spec or DEFAULT_REVIEWER
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"reviewer {spec!r} is not 'module:function'; e.g. {DEFAULT_REVIEWER!r}")
    try:
        module = importlib.import_module(module_name)
        return cast(Reviewer, getattr(module, attr))
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load reviewer {spec!r}: {exc}; check the module path") from exc


def make_store(config: ServiceConfig) -> StateStore:
    """Redis when REDIS_URL is set, else an in-process store (single process only)."""
    if config.redis_url:
        return RedisStore.from_url(config.redis_url, config.redis_prefix)
    if config.queue == "celery":
        raise ConfigError("REVIEW_BOT_QUEUE='celery' needs REDIS_URL (the broker and shared state)")
    return MemoryStore()
