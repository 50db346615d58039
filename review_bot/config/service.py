"""Settings of the webhook service and its workers (``review-bot serve`` / ``worker``).

Secrets are held as :class:`pydantic.SecretStr` so that a logged or printed config never
shows them. ``from_env`` is the only place these settings are read from the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from review_bot.config._redis import RedisUrl
from review_bot.errors import ConfigError

__all__ = [
    "DEFAULT_DELIVERY_TTL_S",
    "DEFAULT_EMBEDDED_QUEUE_SIZE",
    "DEFAULT_EMBEDDED_WORKERS",
    "DEFAULT_GITHUB_API_URL",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_RATE_LIMIT_MAX_WAIT_S",
    "DEFAULT_REDIS_PREFIX",
    "DEFAULT_REPO_CONCURRENCY",
    "DEFAULT_REVIEW_TIMEOUT_S",
    "DEFAULT_VISIBILITY_TIMEOUT_S",
    "ForkPolicy",
    "QueueBackend",
    "ServiceConfig",
]

QueueBackend = Literal["embedded", "celery"]
ForkPolicy = Literal["tools-only", "skip"]
"""Pull requests from forks: reviewed by the tools only (no model sees the fork's text, so
nothing it plants can talk a model into leaking what the worker holds), or not at all."""

DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_REDIS_PREFIX = "review-bot:"
# GitHub caps webhook payloads at 25 MB; anything larger is not from GitHub.
DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024
# GitHub lets users redeliver for three days; remembering a delivery longer is pointless.
DEFAULT_DELIVERY_TTL_S = 3 * 24 * 3600
DEFAULT_EMBEDDED_WORKERS = 4
DEFAULT_EMBEDDED_QUEUE_SIZE = 1000
DEFAULT_REPO_CONCURRENCY = 2
DEFAULT_REVIEW_TIMEOUT_S = 900.0
# Longer than the longest review, so a slow review is not handed to a second worker;
# short enough that a job of a killed worker is redelivered within the hour.
DEFAULT_VISIBILITY_TIMEOUT_S = 2 * int(DEFAULT_REVIEW_TIMEOUT_S)
DEFAULT_RATE_LIMIT_MAX_WAIT_S = 120.0
DEFAULT_GITHUB_RETRIES = 3
DEFAULT_CHECK_RUN_NAME = "review-bot"
DEFAULT_CELERY_QUEUE = "review-bot"
# a job GitHub keeps rate limiting (or failing) is rescheduled for at most this long in total,
# then given up with a failing check run that says why
DEFAULT_MAX_RESCHEDULE_S = 3 * 3600.0
# GitHub's documented secondary limits are 80 content-creating requests a minute and 500 an
# hour; we stay under both, per installation, across every worker
DEFAULT_WRITES_PER_MINUTE = 60
DEFAULT_WRITES_PER_HOUR = 450

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ServiceConfig(BaseModel):
    """Everything ``serve`` and ``worker`` need besides the review config itself.

    Attributes:
        webhook_secrets: every accepted secret; more than one while a secret is rotated.
        github_token: a plain token (PAT or an installation token supplied from outside).
        github_app_id / github_app_private_key: GitHub App credentials (PEM text).
        github_api_url: the REST root (GitHub Enterprise: ``https://HOST/api/v3``).
        github_bot_login: the bot's login (only its own reviews and comments are edited);
            required with a token, read from ``GET /app`` (``<slug>[bot]``) for an App.
        fork_policy: how pull requests from forks are reviewed (:data:`ForkPolicy`).
        redis_url: Redis for dedup, markers, semaphores and the Celery broker.
        queue: ``embedded`` runs reviews in this process; ``celery`` sends them to workers.
    """

    model_config = _FROZEN

    webhook_secrets: tuple[SecretStr, ...] = ()
    github_token: SecretStr | None = None
    github_app_id: str | None = None
    github_app_private_key: SecretStr | None = None
    github_api_url: str = DEFAULT_GITHUB_API_URL
    github_bot_login: str | None = None
    redis_url: RedisUrl | None = None
    redis_prefix: str = DEFAULT_REDIS_PREFIX
    queue: QueueBackend = "embedded"
    celery_queue: str = DEFAULT_CELERY_QUEUE
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, gt=0)
    review_drafts: bool = False
    embedded_workers: int = Field(DEFAULT_EMBEDDED_WORKERS, gt=0)
    embedded_queue_size: int = Field(DEFAULT_EMBEDDED_QUEUE_SIZE, gt=0)
    repo_concurrency: int = Field(DEFAULT_REPO_CONCURRENCY, gt=0)
    delivery_ttl_s: int = Field(DEFAULT_DELIVERY_TTL_S, gt=0)
    review_timeout_s: float = Field(DEFAULT_REVIEW_TIMEOUT_S, gt=0)
    visibility_timeout_s: int = Field(DEFAULT_VISIBILITY_TIMEOUT_S, gt=0)
    rate_limit_max_wait_s: float = Field(DEFAULT_RATE_LIMIT_MAX_WAIT_S, ge=0)
    github_retries: int = Field(DEFAULT_GITHUB_RETRIES, ge=0)
    check_run_name: str = DEFAULT_CHECK_RUN_NAME
    fork_policy: ForkPolicy = "tools-only"
    max_reschedule_s: float = Field(DEFAULT_MAX_RESCHEDULE_S, ge=0)
    writes_per_minute: int = Field(DEFAULT_WRITES_PER_MINUTE, gt=0)
    writes_per_hour: int = Field(DEFAULT_WRITES_PER_HOUR, gt=0)

    @model_validator(mode="after")
    def _visibility_outlasts_review(self) -> ServiceConfig:
        """A job the broker hands to a second worker while the first still reviews it is
        reviewed (and posted) twice: the visibility timeout must be the longer one."""
        if self.visibility_timeout_s <= self.review_timeout_s:
            raise ConfigError(
                f"REVIEW_BOT_VISIBILITY_TIMEOUT_S={self.visibility_timeout_s} must be longer "
                f"than REVIEW_BOT_REVIEW_TIMEOUT_S={self.review_timeout_s:g}: a review still "
                "running when the visibility timeout passes is handed to a second worker; "
                f"raise it (e.g. to {2 * int(self.review_timeout_s)})"
            )
        return self

    @property
    def uses_app(self) -> bool:
        """True when the service authenticates as a GitHub App (installation tokens)."""
        return self.github_token is None and bool(self.github_app_id)

    def secret_bytes(self) -> tuple[bytes, ...]:
        """The webhook secrets as bytes, for HMAC."""
        return tuple(s.get_secret_value().encode("utf-8") for s in self.webhook_secrets)

    def require_webhook_secret(self) -> None:
        """Refuse to serve unsigned webhooks: raise ConfigError without a secret."""
        if not self.secret_bytes():
            raise ConfigError(
                "no webhook secret configured; set GITHUB_WEBHOOK_SECRET "
                "(comma-separated old,new while rotating)"
            )

    def require_github_credentials(self) -> None:
        """Raise ConfigError unless a token or complete App credentials are set."""
        if self.github_token is not None:
            if not self.github_bot_login:
                raise ConfigError(
                    "GITHUB_TOKEN is set but GITHUB_BOT_LOGIN is not: with a token the bot "
                    "cannot tell its own comments from another user's carrying its marker; "
                    "set GITHUB_BOT_LOGIN to the token's login"
                )
            return
        if self.github_app_id and self.github_app_private_key is not None:
            return
        raise ConfigError(
            "no GitHub credentials: set GITHUB_TOKEN, or GITHUB_APP_ID and "
            "GITHUB_APP_PRIVATE_KEY (PEM text or a path to the .pem file)"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceConfig:
        """Read the settings from environment variables (unknown ones are ignored)."""
        env = os.environ if env is None else env
        data: dict[str, object] = {}
        secrets = [s.strip() for s in env.get("GITHUB_WEBHOOK_SECRET", "").split(",")]
        data["webhook_secrets"] = tuple(SecretStr(s) for s in secrets if s)
        if env.get("GITHUB_TOKEN"):
            data["github_token"] = SecretStr(env["GITHUB_TOKEN"])
        if env.get("GITHUB_APP_ID"):
            data["github_app_id"] = env["GITHUB_APP_ID"].strip()
        if env.get("GITHUB_APP_PRIVATE_KEY"):
            data["github_app_private_key"] = SecretStr(_pem(env["GITHUB_APP_PRIVATE_KEY"]))
        plain = {
            "GITHUB_API_URL": "github_api_url",
            "GITHUB_BOT_LOGIN": "github_bot_login",
            "REDIS_URL": "redis_url",
            "REVIEW_BOT_REDIS_PREFIX": "redis_prefix",
            "REVIEW_BOT_QUEUE": "queue",
            "REVIEW_BOT_CELERY_QUEUE": "celery_queue",
            "REVIEW_BOT_MAX_BODY_BYTES": "max_body_bytes",
            "REVIEW_BOT_EMBEDDED_WORKERS": "embedded_workers",
            "REVIEW_BOT_EMBEDDED_QUEUE_SIZE": "embedded_queue_size",
            "REVIEW_BOT_REPO_CONCURRENCY": "repo_concurrency",
            "REVIEW_BOT_DELIVERY_TTL_S": "delivery_ttl_s",
            "REVIEW_BOT_REVIEW_TIMEOUT_S": "review_timeout_s",
            "REVIEW_BOT_VISIBILITY_TIMEOUT_S": "visibility_timeout_s",
            "GITHUB_RATE_LIMIT_MAX_WAIT_S": "rate_limit_max_wait_s",
            "GITHUB_RETRIES": "github_retries",
            "REVIEW_BOT_CHECK_RUN_NAME": "check_run_name",
            "REVIEW_BOT_FORK_POLICY": "fork_policy",
            "REVIEW_BOT_MAX_RESCHEDULE_S": "max_reschedule_s",
            "GITHUB_WRITES_PER_MINUTE": "writes_per_minute",
            "GITHUB_WRITES_PER_HOUR": "writes_per_hour",
        }
        for var, name in plain.items():
            if env.get(var):
                data[name] = env[var].strip()
        if "REVIEW_BOT_REVIEW_DRAFTS" in env:
            data["review_drafts"] = _flag(
                "REVIEW_BOT_REVIEW_DRAFTS", env["REVIEW_BOT_REVIEW_DRAFTS"]
            )
        if "github_api_url" in data:
            data["github_api_url"] = str(data["github_api_url"]).rstrip("/")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else "?"
            var = next((v for v, n in plain.items() if n == field), field)
            raise ConfigError(
                f"{var}={data.get(field)!r} is invalid: {first['msg']}; fix or unset it"
            ) from exc


def _flag(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean; use true or false")


def _pem(value: str) -> str:
    """Accept the key's PEM text (``\\n`` escapes allowed) or a path to the .pem file."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.replace("\\n", "\n")
    path = Path(text).expanduser()
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            "GITHUB_APP_PRIVATE_KEY is neither PEM text (-----BEGIN ...) nor a readable file "
            f"({exc.__class__.__name__}; the value is not shown, it may be secret); "
            "paste the key or point to the .pem file"
        ) from exc


_SERVE_WORKER_ARGS = "_REVIEW_BOT_SERVE_ARGS"


def export_serve_worker_args(args: Mapping[str, str | None]) -> None:
    """Hand ``serve``'s arguments to its uvicorn worker processes (``--workers`` > 1): each is
    a fresh interpreter that builds the app from a factory, and the environment is what it
    inherits."""
    os.environ[_SERVE_WORKER_ARGS] = json.dumps(dict(args))


def serve_worker_args() -> dict[str, str | None]:
    """In a uvicorn worker process: the arguments its ``serve`` parent exported."""
    data = json.loads(os.environ.get(_SERVE_WORKER_ARGS, "{}"))
    if not isinstance(data, dict):
        raise ConfigError(f"{_SERVE_WORKER_ARGS} is not a JSON object: {data!r}")
    return data
