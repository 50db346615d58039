"""How long the service keeps what it stores, and where erasures are recorded.

Reviews (the per-PR state the service store keeps: the last head reviewed and its
findings), events (webhook delivery records: delivery ids, queued heads, posted markers) and
cache entries (tool outputs, model completions) each have a retention period. Transcripts
keep theirs in ``[audit] retention_days``: longer by default (an audit trail outlives the
data it explains). ``review-bot retention run`` enforces all four; Redis TTLs and the local
stores' own expiry do so in between.

``[retention]`` in the config file, or ``REVIEW_BOT_RETENTION_REVIEWS_DAYS``,
``REVIEW_BOT_RETENTION_EVENTS_DAYS``, ``REVIEW_BOT_RETENTION_CACHE_DAYS`` and
``REVIEW_BOT_ERASURE_LOG`` (a file path or a ``postgresql://`` URL; default beside the
transcripts: ``erasures.log`` in their directory, or the ``review_bot_erasures`` table of
their database).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DAY_S",
    "DEFAULT_CACHE_DAYS",
    "DEFAULT_EVENTS_DAYS",
    "DEFAULT_REVIEWS_DAYS",
    "RetentionConfig",
]

DAY_S = 24 * 3600.0
DEFAULT_REVIEWS_DAYS = 30.0
DEFAULT_EVENTS_DAYS = 7.0
DEFAULT_CACHE_DAYS = 14.0
_ENV = {
    "REVIEW_BOT_RETENTION_REVIEWS_DAYS": "reviews_days",
    "REVIEW_BOT_RETENTION_EVENTS_DAYS": "events_days",
    "REVIEW_BOT_RETENTION_CACHE_DAYS": "cache_days",
    "REVIEW_BOT_ERASURE_LOG": "erasure_log",
}


class RetentionConfig(BaseModel):
    """Retention periods, in days (fractions allowed), and the erasure log's place.

    Attributes:
        reviews_days: per-PR review state in the service store.
        events_days: webhook delivery records (dedup keys, posted markers).
        cache_days: the longest any cache entry lives (caps ``[cache]`` TTLs).
        erasure_log: where ``review-bot erase`` records what it erased (None: beside the
            transcripts).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    reviews_days: float = Field(DEFAULT_REVIEWS_DAYS, gt=0)
    events_days: float = Field(DEFAULT_EVENTS_DAYS, gt=0)
    cache_days: float = Field(DEFAULT_CACHE_DAYS, gt=0)
    erasure_log: str | None = None

    @property
    def reviews_s(self) -> float:
        """``reviews_days`` in seconds."""
        return self.reviews_days * DAY_S

    @property
    def events_s(self) -> float:
        """``events_days`` in seconds."""
        return self.events_days * DAY_S

    @property
    def cache_s(self) -> float:
        """``cache_days`` in seconds."""
        return self.cache_days * DAY_S

    @classmethod
    def from_env(cls, env: Mapping[str, str], **values: object) -> RetentionConfig:
        """``values`` (the file's ``[retention]``) with the environment's variables over them."""
        data: dict[str, object] = dict(values)
        for name, field in _ENV.items():
            if env.get(name, "").strip():
                data[field] = env[name].strip()
        return cls.model_validate(data)
