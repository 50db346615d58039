"""How a long-running process (serve, worker) writes its logs: text for people, JSON for machines.

``REVIEW_BOT_LOG_FORMAT`` is ``text`` (the default) or ``json``; ``REVIEW_BOT_LOG_LEVEL`` is a
logging level name (default INFO).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from review_bot.config.loader import validation_message
from review_bot.errors import ConfigError

__all__ = ["DEFAULT_LOG_FORMAT", "DEFAULT_LOG_LEVEL", "LogConfig"]

LogFormat = Literal["text", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
DEFAULT_LOG_FORMAT: LogFormat = "text"
DEFAULT_LOG_LEVEL: LogLevel = "INFO"


class LogConfig(BaseModel):
    """The log format and level of a service or worker process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: LogFormat = DEFAULT_LOG_FORMAT
    level: LogLevel = DEFAULT_LOG_LEVEL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LogConfig:
        """The config from ``REVIEW_BOT_LOG_FORMAT`` and ``REVIEW_BOT_LOG_LEVEL``."""
        data: dict[str, str] = {}
        if env.get("REVIEW_BOT_LOG_FORMAT"):
            data["format"] = env["REVIEW_BOT_LOG_FORMAT"].strip().lower()
        if env.get("REVIEW_BOT_LOG_LEVEL"):
            data["level"] = env["REVIEW_BOT_LOG_LEVEL"].strip().upper()
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(
                validation_message(exc, "REVIEW_BOT_LOG_FORMAT / REVIEW_BOT_LOG_LEVEL")
                + "; the format is text or json, the level DEBUG, INFO, WARNING, ERROR or CRITICAL"
            ) from exc
