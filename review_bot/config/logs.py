"""How a long-running process (serve, worker) writes its logs: text for people, JSON for machines.

``REVIEW_BOT_LOG_FORMAT`` is ``text`` (the default) or ``json``; ``REVIEW_BOT_LOG_LEVEL`` is a
logging level name (default INFO); ``REVIEW_BOT_ACCESS_LOG=off`` drops the access log of
``serve`` (one line per request, on by default).
"""

from __future__ import annotations

import os
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
_SWITCH = {"on": True, "true": True, "1": True, "yes": True,
           "off": False, "false": False, "0": False, "no": False}  # fmt: skip


class LogConfig(BaseModel):
    """The log format and level of a service or worker process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: LogFormat = DEFAULT_LOG_FORMAT
    level: LogLevel = DEFAULT_LOG_LEVEL
    access_log: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LogConfig:
        """The config from ``REVIEW_BOT_LOG_FORMAT``, ``_LEVEL`` and ``REVIEW_BOT_ACCESS_LOG``."""
        env = os.environ if env is None else env
        data: dict[str, str | bool] = {}
        access = env.get("REVIEW_BOT_ACCESS_LOG", "").strip().lower()
        if access:
            if access not in _SWITCH:
                raise ConfigError(
                    f"REVIEW_BOT_ACCESS_LOG={env['REVIEW_BOT_ACCESS_LOG']!r} is not a switch; "
                    "use on or off"
                )
            data["access_log"] = _SWITCH[access]
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
