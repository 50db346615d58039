"""Audit configuration: where transcripts go, how long they are kept, when they are synced,
and the keys that sign them.

Transcripts live in the user's state directory, never in the reviewed repository:
``$XDG_STATE_HOME/review-bot/transcripts``, else ``~/.local/state/review-bot/transcripts``.
``REVIEW_BOT_TRANSCRIPTS`` (a directory, a ``postgresql://`` URL, or ``off``) still chooses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from review_bot.errors import ConfigError

__all__ = [
    "AUDIT_KEYS_ENV",
    "AUDIT_KEY_ENV",
    "AUDIT_KEY_ID_ENV",
    "DEFAULT_FSYNC_ON",
    "DEFAULT_KEY_ID",
    "DEFAULT_MAX_TOTAL_MB",
    "DEFAULT_RETENTION_DAYS",
    "MIN_KEY_LENGTH",
    "TRANSCRIPTS_ENV",
    "AuditConfig",
    "default_transcripts",
    "parse_keyring",
]

DEFAULT_RETENTION_DAYS = 365.0  # an audit trail: longer than the reviews it explains
DEFAULT_MAX_TOTAL_MB = 512.0
_STATE_SUBDIR = Path("review-bot") / "transcripts"
DEFAULT_FSYNC_ON: tuple[str, ...] = ("review.started", "review.finished", "review.failed", "error")
DEFAULT_KEY_ID = "default"
MIN_KEY_LENGTH = 16  # characters; shorter keys are guessable
TRANSCRIPTS_ENV = "REVIEW_BOT_TRANSCRIPTS"
AUDIT_KEY_ENV = "REVIEW_BOT_AUDIT_KEY"
AUDIT_KEY_ID_ENV = "REVIEW_BOT_AUDIT_KEY_ID"
AUDIT_KEYS_ENV = "REVIEW_BOT_AUDIT_KEYS"
_OFF = frozenset({"off", "none", "0", "false", "no"})
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


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


def _check_key(key_id: str, key: str) -> None:
    if not _KEY_ID_RE.match(key_id):
        raise ValueError(
            f"audit key id {key_id!r} is not allowed: use letters, digits, '.', '_', '-' "
            "(at most 64)"
        )
    if len(key) < MIN_KEY_LENGTH:
        raise ValueError(
            f"audit key {key_id!r} is {len(key)} characters long: use at least "
            f"{MIN_KEY_LENGTH} random characters (for example `openssl rand -hex 32`)"
        )


def parse_keyring(text: str) -> dict[str, SecretStr]:
    """``id=key,id2=key2`` (as in ``REVIEW_BOT_AUDIT_KEYS``) as ``{id: key}``."""
    ring: dict[str, SecretStr] = {}
    for entry in text.split(","):
        item = entry.strip()
        if not item:
            continue
        key_id, sep, key = item.partition("=")
        if not sep:
            raise ConfigError(
                f"{AUDIT_KEYS_ENV} entry {key_id[:8]!r}... has no '=': write id=key,id2=key2"
            )
        try:
            _check_key(key_id.strip(), key.strip())
        except ValueError as exc:
            raise ConfigError(f"{AUDIT_KEYS_ENV}: {exc}") from exc
        ring[key_id.strip()] = SecretStr(key.strip())
    return ring


class AuditConfig(BaseModel):
    """Transcripts of reviews.

    Attributes:
        enabled: record a transcript for every review.
        transcripts: a directory, or a ``postgresql://user@host:port/db[?schema=&table=]`` URL.
        fsync_on: record types after which the transcript is synced to disk (it always is
            at the end of the review).
        key: the HMAC-SHA256 key new transcripts are signed with (None: unsigned).
        key_id: the name of ``key``, recorded in the signature so verification picks the
            right key after a rotation.
        keys: older keys (by id) that verification still accepts; ``key`` is always accepted.
        retention_days: transcripts older than this are deleted: from a directory when a
            new one is started, and from either store by ``review-bot retention run``
            (0 keeps them). Longer than the reviews' retention by default: an audit trail.
        max_total_mb: the directory's transcripts are kept under this many MB, oldest deleted
            first, when a new one is started (0: no bound).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    transcripts: str = Field(default_factory=default_transcripts, min_length=1)
    retention_days: float = Field(DEFAULT_RETENTION_DAYS, ge=0)
    max_total_mb: float = Field(DEFAULT_MAX_TOTAL_MB, ge=0)
    fsync_on: tuple[str, ...] = DEFAULT_FSYNC_ON
    key: SecretStr | None = None
    key_id: str = DEFAULT_KEY_ID
    keys: dict[str, SecretStr] = {}

    @model_validator(mode="after")
    def _key_valid(self) -> AuditConfig:
        for key_id, retired in self.keys.items():
            _check_key(key_id, retired.get_secret_value())
        if self.key is not None:
            _check_key(self.key_id, self.key.get_secret_value())
            other = self.keys.get(self.key_id)
            if other is not None and other.get_secret_value() != self.key.get_secret_value():
                raise ValueError(
                    f"audit key id {self.key_id!r} names two different keys ([audit] key and "
                    "keys): give the new key a new id"
                )
        return self

    def keyring(self) -> dict[str, bytes]:
        """Every key verification accepts, by id, as bytes."""
        ring = {k: v.get_secret_value().encode("utf-8") for k, v in self.keys.items()}
        if self.key is not None:
            ring[self.key_id] = self.key.get_secret_value().encode("utf-8")
        return ring

    def signing_key(self) -> tuple[str, bytes] | None:
        """``(key id, key)`` new transcripts are signed with, or None."""
        if self.key is None:
            return None
        return self.key_id, self.key.get_secret_value().encode("utf-8")

    @classmethod
    def from_env(cls, env: Mapping[str, str], base: AuditConfig | None = None) -> AuditConfig:
        """``REVIEW_BOT_TRANSCRIPTS`` overrides ``transcripts`` (``off`` disables recording);
        ``REVIEW_BOT_AUDIT_KEY`` / ``_KEY_ID`` the signing key, ``REVIEW_BOT_AUDIT_KEYS``
        (``id=key,...``) adds verification keys."""
        base = base or cls()
        update: dict[str, object] = {}
        if "transcripts" not in base.model_fields_set:  # the state dir of this environment
            update["transcripts"] = default_transcripts(env)
        value = env.get(TRANSCRIPTS_ENV, "").strip()
        if value.lower() in _OFF:
            update["enabled"] = False
        elif value:
            update.update(transcripts=value, enabled=True)
        key = env.get(AUDIT_KEY_ENV, "").strip()
        if key:
            update["key"] = SecretStr(key)
            update["key_id"] = env.get(AUDIT_KEY_ID_ENV, "").strip() or base.key_id
        ring = env.get(AUDIT_KEYS_ENV, "").strip()
        if ring:
            update["keys"] = {**base.keys, **parse_keyring(ring)}
        if not update:
            return base
        # validate again: the environment's key must meet the same rules as the file's
        current = {name: getattr(base, name) for name in cls.model_fields}
        return cls.model_validate({**current, **update})
