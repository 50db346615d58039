"""Check a transcript's hash chain and say where it breaks.

Record N (1-based, its expected sequence number) is broken when its line is not the
canonical JSON of a record whose hash matches its content, its ``seq`` is not N, or its
``prev`` is not record N-1's hash. That catches an edited byte, a deleted record (the next
one is out of sequence and points at a hash that is not its predecessor's), swapped records
and a forged ``prev``. A torn last line (a crash in the middle of a write) is not a break:
the transcript is reported intact but truncated after the last complete record.

A transcript is *complete* when its last record is ``review.finished`` or ``review.failed``;
an intact prefix without it is a review that did not finish, or whose last records were
removed: :attr:`VerifyResult.ok` requires both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from review_bot.audit.records import GENESIS, Record, parse_line
from review_bot.audit.stores import RawTranscript, TranscriptStore, open_location
from review_bot.errors import TranscriptTampered

__all__ = ["FINAL_TYPES", "VerifyResult", "load_records", "verify", "verify_raw"]

FINAL_TYPES = frozenset({"review.finished", "review.failed"})


@dataclass(frozen=True)
class VerifyResult:
    """What verification found.

    Attributes:
        location: the transcript checked.
        records: how many records verified, from the first (the intact prefix).
        broken: the sequence number of the first broken record, None when the chain holds.
        reason: why that record is broken.
        truncated: a torn last line was ignored (a crash mid-write).
        complete: the last intact record ends the review.
        head: the hash of the last intact record (GENESIS for none).
    """

    location: str
    records: int
    broken: int | None = None
    reason: str = ""
    truncated: bool = False
    complete: bool = False
    head: str = GENESIS

    @property
    def intact(self) -> bool:
        """The chain holds for every stored record (a torn tail aside)."""
        return self.broken is None

    @property
    def ok(self) -> bool:
        """Intact and complete."""
        return self.intact and self.complete

    def message(self) -> str:
        """One line for a human."""
        if self.broken is not None:
            return f"broken at record {self.broken}: {self.reason}"
        text = f"intact: {self.records} records, head {self.head[:16]}"
        if self.truncated:
            text += f"; truncated after record {self.records} (a torn last line was ignored)"
        if not self.complete:
            text += (
                f"; incomplete: no review.finished after record {self.records} (the review "
                "did not finish, or its last records were removed)"
            )
        return text


def _check(raw: RawTranscript) -> tuple[list[Record], VerifyResult]:
    records: list[Record] = []
    prev = GENESIS
    lines = list(raw.lines)
    truncated = False
    if raw.torn is not None:
        if _is_whole_json(raw.torn):
            lines.append(raw.torn)  # a whole value without its newline: check it like the rest
        else:
            truncated = True
    for index, line in enumerate(lines, start=1):
        try:
            record = parse_line(line, index)
        except TranscriptTampered as exc:
            return records, _result(raw, records, prev, broken=index, reason=str(exc))
        if record.seq != index:
            why = (
                f"it carries sequence number {record.seq}, expected {index}: a record was "
                "deleted, inserted or moved"
            )
            return records, _result(raw, records, prev, broken=index, reason=why)
        if record.prev != prev:
            why = (
                f"its prev {record.prev[:16]!r} is not the hash of record {index - 1} "
                f"({prev[:16]!r}): the chain was altered"
            )
            return records, _result(raw, records, prev, broken=index, reason=why)
        records.append(record)
        prev = record.hash
    return records, _result(raw, records, prev, truncated=truncated)


def _result(
    raw: RawTranscript,
    records: list[Record],
    head: str,
    *,
    broken: int | None = None,
    reason: str = "",
    truncated: bool = False,
) -> VerifyResult:
    complete = bool(records) and records[-1].type in FINAL_TYPES and broken is None
    return VerifyResult(
        location=raw.location,
        records=len(records),
        broken=broken,
        reason=reason,
        truncated=truncated,
        complete=complete,
        head=head,
    )


def _is_whole_json(text: str) -> bool:
    try:
        json.JSONDecoder().raw_decode(text)
    except ValueError:
        return False
    return True


def verify_raw(raw: RawTranscript) -> VerifyResult:
    """Verify stored lines (see the module docstring for what counts as broken)."""
    return _check(raw)[1]


def verify(transcript: str | RawTranscript | tuple[TranscriptStore, str]) -> VerifyResult:
    """Verify a transcript given by location (path or URL), by store and id, or as lines."""
    return verify_raw(_raw(transcript))


def load_records(
    transcript: str | RawTranscript | tuple[TranscriptStore, str],
) -> tuple[list[Record], VerifyResult]:
    """The intact records of a transcript and the verification result."""
    return _check(_raw(transcript))


def _raw(transcript: str | RawTranscript | tuple[TranscriptStore, str]) -> RawTranscript:
    if isinstance(transcript, RawTranscript):
        return transcript
    if isinstance(transcript, tuple):
        store, transcript_id = transcript
        return store.read(transcript_id)
    store, transcript_id = open_location(transcript)
    try:
        return store.read(transcript_id)
    finally:
        store.close()
