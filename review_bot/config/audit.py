"""Audit configuration: where transcripts go, how long they are kept, when they are synced.

Transcripts live in the user's state directory, never in the reviewed repository:
``$XDG_STATE_HOME/review-bot/transcripts``, else ``~/.local/state/review-bot/transcripts``.
``REVIEW_BOT_TRANSCRIPTS`` (a directory, a ``postgresql://`` URL, or ``off``) still chooses.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DEFAULT_FSYNC_ON",
    "DEFAULT_MAX_TOTAL_MB",
    "DEFAULT_RETENTION_DAYS",
    "TRANSCRIPTS_ENV",
    "AuditConfig",
    "default_transcripts",
]

DEFAULT_FSYNC_ON: tuple[str, ...] = ("review.started", "review.finished", "review.failed", "error")
DEFAULT_RETENTION_DAYS = 30.0
DEFAULT_MAX_TOTAL_MB = 512.0
TRANSCRIPTS_ENV = "REVIEW_BOT_TRANSCRIPTS"
_OFF = frozenset({"off", "none", "0", "false", "no"})
_STATE_SUBDIR = Path("review-bot") / "transcripts"


def default_transcripts(env: Mapping[str, str] | None = None) -> str:
    """``$XDG_STATE_HOME/review-bot/transcripts`` or ``~/.local/state/review-bot/transcripts``.

    Relative ``XDG_STATE_HOME`` values are ignored, as the XDG spec says.
    """
    env = os.environ if env is None else env
    state = env.get("XDG_STATE_HOME", "")
    if state and Path(state).is_absolute():
        return str(Path(state) / _STATE_SUBDIR)
    home = env.get("HOME") or str(Path.home())
    return str(Path(home) / ".local" / "state" / _STATE_SUBDIR)


class AuditConfig(BaseModel):
    """Transcripts of reviews.

    Attributes:
        enabled: record a transcript for every review.
        transcripts: a directory, or a ``postgresql://user@host:port/db[?schema=&table=]`` URL.
        fsync_on: record types after which the transcript is synced to disk (it always is
            at the end of the review).
        retention_days: transcripts older than this are deleted when a new one is started
            (directory stores; 0 keeps them).
        max_total_mb: the directory's transcripts are kept under this many MB, oldest deleted
            first, when a new one is started (0: no bound).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    transcripts: str = Field(default_factory=default_transcripts, min_length=1)
    fsync_on: tuple[str, ...] = DEFAULT_FSYNC_ON
    retention_days: float = Field(DEFAULT_RETENTION_DAYS, ge=0)
    max_total_mb: float = Field(DEFAULT_MAX_TOTAL_MB, ge=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str], base: AuditConfig | None = None) -> AuditConfig:
        """``REVIEW_BOT_TRANSCRIPTS`` overrides ``transcripts`` (``off`` disables recording);
        without either, the state directory of ``env`` is used."""
        base = base or cls()
        if "transcripts" not in base.model_fields_set:
            base = base.model_copy(update={"transcripts": default_transcripts(env)})
        value = env.get(TRANSCRIPTS_ENV, "").strip()
        if not value:
            return base
        if value.lower() in _OFF:
            return base.model_copy(update={"enabled": False})
        return base.model_copy(update={"transcripts": value, "enabled": True})
