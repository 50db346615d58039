"""Whose data a review is: the repository it reviewed and the subject who asked for it.

A review's owner is written into its transcript (``review.started``'s ``owner``) and tags its
cache entries (``repo:<owner/name>``), so that an operator can later erase one repository's
or one subject's data everywhere it is kept (``review-bot erase``) without reading any of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["REPO_PATTERN", "Owner", "current_owner", "is_repo", "owning"]

REPO_PATTERN = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"
_REPO = re.compile(REPO_PATTERN)


class Owner(BaseModel):
    """``repo`` is ``owner/name``; ``subject`` who asked (a GitHub login, an API subject)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repo: str | None = Field(None, pattern=REPO_PATTERN)
    subject: str | None = Field(None, min_length=1, max_length=200)

    def labels(self) -> dict[str, str]:
        """The fields that are set, as a transcript keeps them."""
        return {k: v for k, v in (("repo", self.repo), ("subject", self.subject)) if v}


def is_repo(name: str) -> bool:
    """True when ``name`` is ``owner/name``."""
    return bool(_REPO.match(name))


_CURRENT: ContextVar[Owner | None] = ContextVar("review_bot_owner", default=None)


@contextmanager
def owning(owner: Owner) -> Iterator[None]:
    """Reviews started inside belong to ``owner`` (an API job names its subject this way;
    a webhook job's owner comes from the job itself)."""
    token = _CURRENT.set(owner)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current_owner() -> Owner | None:
    """The owner set by the innermost :func:`owning`, if any."""
    return _CURRENT.get()
