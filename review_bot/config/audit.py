"""Audit configuration: where transcripts go and when they are synced to disk."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DEFAULT_FSYNC_ON", "DEFAULT_TRANSCRIPTS", "TRANSCRIPTS_ENV", "AuditConfig"]

DEFAULT_TRANSCRIPTS = "./.review-bot/transcripts"
DEFAULT_FSYNC_ON: tuple[str, ...] = ("review.started", "review.finished", "review.failed", "error")
TRANSCRIPTS_ENV = "REVIEW_BOT_TRANSCRIPTS"
_OFF = frozenset({"off", "none", "0", "false", "no"})


class AuditConfig(BaseModel):
    """Transcripts of reviews.

    Attributes:
        enabled: record a transcript for every review.
        transcripts: a directory, or a ``postgresql://user@host:port/db[?schema=&table=]`` URL.
        fsync_on: record types after which the transcript is synced to disk (it always is
            at the end of the review).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    transcripts: str = Field(DEFAULT_TRANSCRIPTS, min_length=1)
    fsync_on: tuple[str, ...] = DEFAULT_FSYNC_ON

    @classmethod
    def from_env(cls, env: Mapping[str, str], base: AuditConfig | None = None) -> AuditConfig:
        """``REVIEW_BOT_TRANSCRIPTS`` overrides ``transcripts`` (``off`` disables recording)."""
        base = base or cls()
        value = env.get(TRANSCRIPTS_ENV, "").strip()
        if not value:
            return base
        if value.lower() in _OFF:
            return base.model_copy(update={"enabled": False})
        return base.model_copy(update={"transcripts": value, "enabled": True})
