"""The Redis URL setting, checked when the settings load (not when a client first connects)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

__all__ = ["RedisUrl"]

_SCHEMES = ("redis://", "rediss://", "unix://")


def _check(url: str) -> str:
    if not url.startswith(_SCHEMES):
        raise ValueError(
            f"a Redis URL starts with one of {', '.join(_SCHEMES)} "
            "(for example redis://127.0.0.1:6379/0)"
        )
    return url


RedisUrl = Annotated[str, AfterValidator(_check)]
"""A ``redis://``, ``rediss://`` or ``unix://`` URL (what redis-py's ``from_url`` accepts)."""
