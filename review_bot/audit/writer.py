"""Append records to a transcript, and turn pipeline events into records.

:class:`TranscriptWriter` owns the chain: it numbers records, links each to its predecessor's
hash and hands the sealed record to a store. Opening an existing transcript for append
verifies it first and continues from its last intact record; old records are never
rewritten (a torn last line left by a crash is cut off, it was never a record).

:class:`TranscriptRecorder` is an :class:`~review_bot.events.EventSink`: every event becomes
one record of the same type, its data redacted before it is written.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python

from review_bot.audit.records import GENESIS, Record, seal
from review_bot.audit.signing import SIGNATURE_TYPE, Signer
from review_bot.audit.stores import TranscriptStore
from review_bot.audit.verify import verify
from review_bot.errors import TranscriptError, TranscriptTampered
from review_bot.events import EventKind
from review_bot.redaction import Redactor

__all__ = [
    "DEFAULT_FSYNC_ON",
    "TranscriptRecorder",
    "TranscriptWriter",
    "new_transcript_id",
    "utc_now",
]

DEFAULT_FSYNC_ON = frozenset({"review.started", "review.finished", "review.failed", "error"})


def utc_now() -> str:
    """The current UTC time, ISO 8601 with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_transcript_id(now: Callable[[], datetime] | None = None) -> str:
    """A new, sortable, unique id: ``YYYYmmddTHHMMSSZ-<12 hex>``."""
    moment = (now or (lambda: datetime.now(UTC)))()
    return f"{moment:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:12]}"


class TranscriptWriter:
    """Appends hash-chained records to one transcript of a store.

    Args:
        store: where the records go.
        transcript_id: which transcript.
        now: the timestamp of each record (injectable for tests).
        fsync_on: record types after which the store is synced to disk.
    """

    def __init__(
        self,
        store: TranscriptStore,
        transcript_id: str,
        *,
        now: Callable[[], str] = utc_now,
        fsync_on: Iterable[str] = DEFAULT_FSYNC_ON,
        _seq: int = 0,
        _head: str = GENESIS,
    ) -> None:
        self.store = store
        self.transcript_id = transcript_id
        self._now = now
        self._fsync_on = frozenset(fsync_on)
        self._seq = _seq
        self._head = _head
        self._lock = threading.Lock()

    @classmethod
    def create(cls, store: TranscriptStore, transcript_id: str, **options: Any) -> TranscriptWriter:
        """Start a new transcript; refuse one that exists (it would be a second chain)."""
        if store.exists(transcript_id):
            raise TranscriptError(
                f"transcript {store.location(transcript_id)!r} already exists: open it with "
                "TranscriptWriter.resume to append, or pick a new id"
            )
        return cls(store, transcript_id, **options)

    @classmethod
    def resume(cls, store: TranscriptStore, transcript_id: str, **options: Any) -> TranscriptWriter:
        """Continue an existing transcript after its last intact record."""
        result = verify((store, transcript_id))
        if not result.intact:
            raise TranscriptTampered(
                f"cannot append to {result.location!r}: {result.message()}",
                record=result.broken,
            )
        if result.signed:
            raise TranscriptError(
                f"cannot append to {result.location!r}: it is signed, and a signed transcript "
                "is closed; start a new transcript"
            )
        if result.truncated:
            store.drop_torn_tail(transcript_id)
        return cls(store, transcript_id, _seq=result.records, _head=result.head, **options)

    @property
    def location(self) -> str:
        """Where the transcript is stored."""
        return self.store.location(self.transcript_id)

    @property
    def records(self) -> int:
        """How many records the transcript holds."""
        return self._seq

    @property
    def head(self) -> str:
        """The hash of the last record written (GENESIS before the first)."""
        return self._head

    def sign(self, signer: Signer) -> Record:
        """Close the transcript with a signature over its head; nothing may follow it."""
        with self._lock:
            head = self._head
        return self.append(SIGNATURE_TYPE, signer.signature(head))

    def append(self, type_: str, data: Mapping[str, Any]) -> Record:
        """Seal and store one record; fsync when its type asks for it."""
        payload = to_jsonable_python(dict(data), fallback=repr)
        with self._lock:
            record = seal(self._seq + 1, self._now(), type_, payload, self._head)
            self.store.append(self.transcript_id, record)
            self._seq = record.seq
            self._head = record.hash
            if type_ in self._fsync_on:
                self.store.sync(self.transcript_id)
        return record

    def close(self) -> None:
        """Sync what was written."""
        self.store.sync(self.transcript_id)


class TranscriptRecorder:
    """An EventSink writing each event as a redacted record.

    ``enrich`` maps an event type to extra data merged into that event's record (the
    recorder of a review adds versions, hashes and the redacted change to
    ``review.started``). A failed write raises :class:`TranscriptError`: an audited review
    that cannot be recorded must not pretend to succeed.
    """

    def __init__(
        self,
        writer: TranscriptWriter,
        redactor: Redactor | None = None,
        *,
        enrich: Mapping[str, Callable[[], Mapping[str, Any]]] | None = None,
    ) -> None:
        self.writer = writer
        self.redactor = redactor or Redactor(remember=True)
        self._enrich = dict(enrich or {})

    def emit(self, kind: EventKind, /, **data: Any) -> None:
        """Redact and append the event."""
        extra = self._enrich.get(kind)
        payload: dict[str, Any] = {**data, **(extra() if extra else {})}
        self.writer.append(
            kind, self.redactor.redact_obj(to_jsonable_python(payload, fallback=repr))
        )
