"""Transcript records and their hash chain.

A record is ``{seq, ts, type, data, prev, hash}``: ``prev`` is the previous record's hash
(64 zeros for the first), and ``hash`` is the sha256 of the record's canonical JSON without
``hash``. A record is stored as one line holding the canonical JSON of the whole record, so
the stored bytes are a pure function of the record: any edited byte either breaks the JSON,
makes the line non-canonical, or changes the content the hash covers.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from review_bot.errors import TranscriptTampered

__all__ = ["GENESIS", "Record", "canonical_json", "parse_line", "record_hash", "seal"]

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, ASCII only (lone surrogates survive as escapes)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def record_hash(seq: int, ts: str, type_: str, data: Any, prev: str) -> str:
    """sha256 over the canonical JSON of the record without its hash."""
    body = {"seq": seq, "ts": ts, "type": type_, "data": data, "prev": prev}
    return hashlib.sha256(canonical_json(body).encode("ascii")).hexdigest()


class Record(BaseModel):
    """One transcript record; ``line()`` is exactly what a store keeps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = Field(ge=0)
    ts: str
    type: str
    data: dict[str, Any]
    prev: str
    hash: str

    def expected_hash(self) -> str:
        """The hash this record's content should have."""
        return record_hash(self.seq, self.ts, self.type, self.data, self.prev)

    def line(self) -> str:
        """The canonical JSON line of the record (no trailing newline)."""
        return canonical_json(self.model_dump(mode="python"))


def seal(seq: int, ts: str, type_: str, data: dict[str, Any], prev: str) -> Record:
    """A new record whose hash covers its content and its predecessor."""
    # round-trip through JSON so what we hash is what a reader will parse back
    data = json.loads(canonical_json(data))
    return Record(
        seq=seq,
        ts=ts,
        type=type_,
        data=data,
        prev=prev,
        hash=record_hash(seq, ts, type_, data, prev),
    )


def parse_line(line: str, position: int) -> Record:
    """Parse one stored line; raise TranscriptTampered naming ``position`` if it is not a
    canonical record whose hash matches its content."""
    try:
        raw = json.loads(line)
    except ValueError as exc:
        raise TranscriptTampered(
            f"record {position} is not valid JSON ({exc}): the transcript was edited or damaged",
            record=position,
        ) from exc
    try:
        record = Record.model_validate(raw)
    except ValueError as exc:
        raise TranscriptTampered(
            f"record {position} does not have the record fields (seq, ts, type, data, prev, "
            f"hash): {exc}",
            record=position,
        ) from exc
    if record.line() != line:
        raise TranscriptTampered(
            f"record {position} is not stored in canonical form: its bytes were edited",
            record=position,
        )
    if record.expected_hash() != record.hash:
        raise TranscriptTampered(
            f"record {position} does not match its hash {record.hash[:12]!r}: its content "
            "was edited",
            record=position,
        )
    return record
