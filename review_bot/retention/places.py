"""Where a deployment keeps data, from its settings: one list for retention and erasure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from review_bot.cache.local import local_path
from review_bot.cache.redis_store import redis_key_prefix
from review_bot.config.service import ServiceConfig
from review_bot.config.settings import Settings
from review_bot.service.queue import PRIORITY_STEPS, QUEUE_KEY_SEP

__all__ = ["ERASURE_FILE", "ERASURE_TABLE", "Places", "is_postgres"]

ERASURE_FILE = "erasures.log"  # beside the transcripts; not *.jsonl, so never pruned
ERASURE_TABLE = "review_bot_erasures"


def is_postgres(where: str) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return where.startswith(("postgresql://", "postgres://"))


@dataclass(frozen=True)
class Places:
    """Every store a review leaves data in, as this process's configuration names them.

    Attributes:
        service_redis / service_prefix: the service store (dedup, PR review state), when it
            is in Redis (the embedded service keeps it in the serve process's memory).
        queue_lists: the Celery broker's lists of queued jobs (one per priority step).
        cache_redis / cache_prefix: the cache's L2 in Redis.
        cache_local: the local cache's database file (no Redis).
        transcripts: the transcripts' directory or PostgreSQL URL.
        erasure_log: the erasure log's file or PostgreSQL URL.
    """

    service_redis: str | None
    service_prefix: str
    queue_lists: tuple[str, ...]
    cache_redis: str | None
    cache_prefix: str
    cache_local: Path | None
    transcripts: str
    erasure_log: str

    @classmethod
    def from_settings(cls, settings: Settings, service: ServiceConfig) -> Places:
        """The places ``settings`` and the service's config name."""
        cache = settings.cache
        transcripts = settings.audit.transcripts
        log = settings.retention.erasure_log
        if log is None:
            log = transcripts if is_postgres(transcripts) else str(Path(transcripts) / ERASURE_FILE)
        return cls(
            service_redis=service.redis_url,
            service_prefix=service.redis_prefix,
            queue_lists=tuple(
                f"{service.redis_prefix}{service.celery_queue}{QUEUE_KEY_SEP}{step}"
                if step
                else f"{service.redis_prefix}{service.celery_queue}"
                for step in PRIORITY_STEPS
            ),
            cache_redis=cache.redis_url,
            cache_prefix=redis_key_prefix(cache),
            cache_local=(
                local_path(cache.local_dir)
                if cache.redis_url is None and cache.local_dir is not None
                else None
            ),
            transcripts=transcripts,
            erasure_log=log,
        )
