"""Enforce the retention periods over every place the deployment keeps data.

Redis keys already expire by their TTLs; the sweep caps any TTL longer than the period now
configured (a key written under an older, longer setting, or without a TTL at all). The
local cache loses its expired entries, and the others' expiry is capped likewise.
Transcripts older than ``[audit] retention_days`` are deleted, from a directory (also bounded
by ``max_total_mb``) or from PostgreSQL (by their first record's time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from review_bot.audit.retention import Retention, prune
from review_bot.cache import local
from review_bot.config.retention import DAY_S
from review_bot.config.settings import Settings
from review_bot.retention import _redis
from review_bot.retention.places import Places, is_postgres

__all__ = ["EVENT_KEYS", "REVIEW_KEYS", "RetentionReport", "run_retention"]

# per-PR review state (last head, config hash, findings); API reviews' records and changes
REVIEW_KEYS = ("pr:*", "api:review:*", "api:change:*")
# webhook deliveries and what became of them; API reviews' event streams
EVENT_KEYS = ("delivery:*", "job:*", "posted:*", "api:events:*")
CACHE_KEYS = ("tool:*", "completion:*", "tag:*")


@dataclass
class RetentionReport:
    """What one run did (or, dry, would do), per place; ``skipped`` says what it could not
    reach and why."""

    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    transcripts: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The report as JSON data."""
        return {"dry_run": self.dry_run, "counts": self.counts,
                "transcripts_deleted": self.transcripts, "skipped": self.skipped}  # fmt: skip


def _service_store(places: Places, settings: Settings, report: RetentionReport) -> None:
    if places.service_redis is None:
        report.skipped.append(
            "service store: in the serve process's memory (no REDIS_URL); it goes with it"
        )
        return
    r = _redis.client(places.service_redis)
    prefix = _redis.glob_escape(places.service_prefix)
    retention = settings.retention
    periods = (
        (REVIEW_KEYS, retention.reviews_s, "service_store.reviews_capped"),
        (EVENT_KEYS, retention.events_s, "service_store.events_capped"),
    )
    try:
        for patterns, seconds, name in periods:
            report.counts[name] = sum(
                _redis.cap_ttls(r, prefix + p, int(seconds * 1000), dry_run=report.dry_run)
                for p in patterns
            )
    finally:
        r.close()


def _cache(places: Places, settings: Settings, now: float, report: RetentionReport) -> None:
    max_s = settings.retention.cache_s
    if places.cache_redis is not None:
        r = _redis.client(places.cache_redis)
        prefix = _redis.glob_escape(places.cache_prefix) + ":"
        try:
            report.counts["cache.redis_capped"] = sum(
                _redis.cap_ttls(r, prefix + p, int(max_s * 1000), dry_run=report.dry_run)
                for p in CACHE_KEYS
            )
        finally:
            r.close()
    if places.cache_local is not None:
        report.counts["cache.local_expired"] = local.sweep(
            places.cache_local, now=now, max_ttl_s=max_s, dry_run=report.dry_run
        )


def _transcripts(places: Places, settings: Settings, now: float, report: RetentionReport) -> None:
    audit = settings.audit
    if is_postgres(places.transcripts):
        if not audit.retention_days:
            return
        from review_bot.audit.postgres import PostgresStore

        cutoff = datetime.fromtimestamp(now - audit.retention_days * DAY_S, UTC)
        store = PostgresStore.from_url(places.transcripts)
        try:
            old = store.started_before(cutoff.isoformat(timespec="microseconds"))
            if not report.dry_run:
                store.delete(old)
        finally:
            store.close()
        report.transcripts += old
    else:
        directory = Path(places.transcripts)
        retention = Retention(audit.retention_days or None, audit.max_total_mb or None)
        if report.dry_run:
            cutoff_s = (
                None if retention.max_age_days is None else now - retention.max_age_days * DAY_S
            )
            old_paths = [p for p in sorted(directory.glob("*.jsonl"))
                         if cutoff_s is not None and p.stat().st_mtime < cutoff_s]  # fmt: skip
        else:
            old_paths = prune(directory, retention, now=lambda: now)
        report.transcripts += [p.stem for p in old_paths]
    report.counts["transcripts.deleted"] = len(report.transcripts)


def run_retention(
    settings: Settings,
    places: Places,
    *,
    dry_run: bool = False,
    now: Callable[[], float] = time.time,
) -> RetentionReport:
    """Apply every retention period once; a dry run counts and changes nothing."""
    report = RetentionReport(dry_run=dry_run)
    moment = now()
    _service_store(places, settings, report)
    _cache(places, settings, moment, report)
    _transcripts(places, settings, moment, report)
    return report
