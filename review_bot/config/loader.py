"""Read configuration from a TOML file and the environment (the only place that does).

File layout (every key optional)::

    [review]                 # ReviewConfig: filter_mode, fail_on, max_findings, tools_only
    [review.tools]           # ToolsConfig: enabled, disabled, timeout_s, memory_mb, ...
    [review.limits]          # ChangeLimits: max_file_bytes, max_files

Environment: ``REVIEW_BOT_CONFIG`` names a file when no path is given.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from review_bot.config.models import ReviewConfig
from review_bot.errors import ConfigError

__all__ = ["config_file_data", "load_review_config", "validation_message"]


def validation_message(exc: ValidationError, where: str, *, show_input: bool = True) -> str:
    """One readable line naming each bad key and why (and the value, unless it may be secret)."""
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        got = f" (got {error.get('input')!r})" if show_input else ""
        problems.append(f"{key}: {error['msg']}{got}")
    return f"invalid configuration in {where}: " + "; ".join(problems)


def config_file_data(path: Path | None, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The parsed TOML of ``path`` (or ``$REVIEW_BOT_CONFIG``), {} when there is none."""
    env = os.environ if env is None else env
    if path is None and env.get("REVIEW_BOT_CONFIG"):
        path = Path(env["REVIEW_BOT_CONFIG"])
    if path is None:
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {str(path)!r} does not exist: check --config") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror}") from exc


def load_review_config(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> ReviewConfig:
    """The review configuration: defaults, then the file's ``[review]``, then ``overrides``.

    Args:
        path: a TOML file; None falls back to ``$REVIEW_BOT_CONFIG``.
        env: the environment (default ``os.environ``).
        overrides: values from the command line (dotted keys not supported: pass nested dicts).
        data: already parsed file content (skips reading ``path``).
    """
    raw = dict(data if data is not None else config_file_data(path, env))
    where = str(path) if path else "the configuration"
    review = raw.get("review", {})
    if not isinstance(review, Mapping):
        raise ConfigError(f"[review] in {where} must be a table, got {review!r}")
    section = dict(review)
    for key, value in (overrides or {}).items():
        if isinstance(value, Mapping) and isinstance(section.get(key), Mapping):
            section[key] = {**section[key], **value}
        else:
            section[key] = value
    try:
        return ReviewConfig.model_validate(section)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, where)) from exc
