"""Erase one repository's or one subject's data everywhere the deployment keeps it.

What is attributable, and so erased:

* service store: a repository's PR review state (``pr:<repo>#<n>``: last head, findings)
  and its review-slot semaphore. Delivery records, queued-head and posted markers are keyed
  by hashes and hold no data (``queued``, ``1``); they expire with the events' retention.
  Nothing in the service store is keyed by subject.
* queue: jobs still waiting in the Celery broker's lists for the repository, or ``/review``
  commands the subject asked for. A job a worker already holds finishes (its results are
  then in the places above).
* cache: every entry a review of the repository stored is tagged ``repo:<repo>``. Entries
  are content-addressed, so an entry another repository's review also stored goes too (it
  is recomputed on its next miss). Entries are not tagged by subject: a subject's reviews
  leave cache entries that name no subject. The in-process L1 of running servers and
  workers cannot be reached from here: restart them to drop it (see docs/operations.md).
* transcripts: every transcript whose ``review.started`` names the repository or subject
  as its owner, in a directory or in PostgreSQL.

The erasure is then recorded in the erasure log (``log.py``) unless it was a dry run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from review_bot.audit.retention import OwnerField, owned_transcripts
from review_bot.cache import local
from review_bot.cache.keys import repo_tag
from review_bot.errors import InputError
from review_bot.ownership import is_repo
from review_bot.retention import _redis
from review_bot.retention.log import open_erasure_log
from review_bot.retention.places import Places, is_postgres

__all__ = ["ErasureReport", "Target", "erase"]


@dataclass(frozen=True)
class Target:
    """Whose data: ``kind`` is ``repo`` (``owner/name``) or ``subject``."""

    kind: OwnerField
    value: str

    def __post_init__(self) -> None:
        if self.kind == "repo" and not is_repo(self.value):
            raise InputError(f"--repo {self.value!r} is not OWNER/NAME (e.g. acme/widgets)")
        if not self.value.strip():
            raise InputError(f"--{self.kind} is empty: name the {self.kind} to erase")

    @property
    def digest(self) -> str:
        """sha256 of ``kind:value``: what the erasure log keeps instead of the name."""
        return hashlib.sha256(f"{self.kind}:{self.value}".encode()).hexdigest()


@dataclass
class ErasureReport:
    """What was (or, dry, would be) erased where, and what could not be attributed."""

    target: Target
    dry_run: bool
    erased: dict[str, int] = field(default_factory=dict)
    transcripts: list[str] = field(default_factory=list)
    not_attributable: list[str] = field(default_factory=list)
    record: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, object]:
        """The report as JSON data (the target by digest only)."""
        return {
            "target": {"kind": self.target.kind, "sha256": self.target.digest},
            "dry_run": self.dry_run,
            "erased": self.erased,
            "transcripts": self.transcripts,
            "not_attributable": self.not_attributable,
            "recorded": None if self.record is None else self.record["hash"],
        }


def _service_store(places: Places, target: Target, report: ErasureReport) -> None:
    if places.service_redis is None:
        report.not_attributable.append(
            "service store: in the serve process's memory (no REDIS_URL); restart it to drop it"
        )
        return
    field = "requested_by" if target.kind == "subject" else "repo"
    r = _redis.client(places.service_redis)
    try:
        queued = _redis.drop_queued(
            r, places.queue_lists, lambda job: job.get(field) == target.value,
            dry_run=report.dry_run,
        )  # fmt: skip
        count = 0
        if target.kind == "repo":
            prefix = _redis.glob_escape(places.service_prefix)
            repo = _redis.glob_escape(target.value)
            count += _redis.delete_matching(r, f"{prefix}pr:{repo}#*", dry_run=report.dry_run)
            count += _redis.delete_matching(r, f"{prefix}sem:repo:{repo}", dry_run=report.dry_run)
        else:
            count += _api_reviews(r, places.service_prefix, target.value, dry_run=report.dry_run)
    finally:
        r.close()
    report.erased["queued_jobs"] = queued
    report.erased["service_store"] = count
    if target.kind == "repo":
        report.not_attributable.append(
            "API reviews: a submitted diff names no repository; erase them by --subject"
        )


def _api_reviews(r: redis.Redis, prefix: str, subject: str, *, dry_run: bool) -> int:
    """Delete the API reviews ``subject`` submitted: record, change and event stream."""
    records = _redis.values_matching(r, f"{_redis.glob_escape(prefix)}api:review:*")
    keys: list[str] = []
    for key, raw in records:
        try:
            owner = json.loads(raw).get("owner")
        except (ValueError, AttributeError):
            continue  # not a record this version wrote: leave it to its TTL
        if owner == subject:
            review_id = key.removeprefix(f"{prefix}api:review:")
            keys += [f"{prefix}api:{kind}:{review_id}" for kind in ("review", "change", "events")]
    return _redis.delete_keys(r, keys, dry_run=dry_run)


def _cache(places: Places, target: Target, report: ErasureReport) -> None:
    if target.kind == "subject":
        report.not_attributable.append(
            "cache: entries are content-addressed and tagged by repository, never by subject"
        )
        return
    tag = repo_tag(target.value)
    count = 0
    if places.cache_redis is not None:
        r = _redis.client(places.cache_redis)
        try:
            count += _redis.drop_tag(r, f"{places.cache_prefix}:tag:{tag}", dry_run=report.dry_run)
        finally:
            r.close()
    if places.cache_local is not None:
        count += local.erase_tag(places.cache_local, tag, dry_run=report.dry_run)
    report.erased["cache"] = count


def _transcripts(places: Places, target: Target, report: ErasureReport) -> None:
    if is_postgres(places.transcripts):
        from review_bot.audit.postgres import PostgresStore

        store = PostgresStore.from_url(places.transcripts)
        try:
            ids = store.owned_by(target.kind, target.value)
            if not report.dry_run:
                store.delete(ids)
        finally:
            store.close()
    else:
        paths = owned_transcripts(Path(places.transcripts), target.kind, target.value)
        if not report.dry_run:
            for path in paths:
                path.unlink(missing_ok=True)
        ids = [p.stem for p in paths]
    report.transcripts = ids
    report.erased["transcripts"] = len(ids)


def erase(
    places: Places,
    target: Target,
    *,
    operator: str,
    reason: str | None = None,
    dry_run: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ErasureReport:
    """Erase ``target``'s data from every place, then record the erasure (not when dry).

    ``reason`` is kept in the record with any occurrence of the target's name masked.
    """
    report = ErasureReport(target=target, dry_run=dry_run)
    _service_store(places, target, report)
    _cache(places, target, report)
    _transcripts(places, target, report)
    if dry_run:
        return report
    entry = {
        "ts": now().isoformat(timespec="microseconds"),
        "operator": operator.replace(target.value, "[erased]"),
        "reason": None if reason is None else reason.replace(target.value, "[erased]"),
        "target": {"kind": target.kind, "sha256": target.digest},
        "erased": dict(report.erased),
        "transcripts": list(report.transcripts),
        "not_attributable": list(report.not_attributable),
    }
    report.record = open_erasure_log(places.erasure_log).append(entry)
    return report
