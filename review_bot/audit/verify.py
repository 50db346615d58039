"""Check a transcript's hash chain and say where it breaks.

Record N (1-based, its expected sequence number) is broken when its line is not the
canonical JSON of a record whose hash matches its content, its ``seq`` is not N, or its
``prev`` is not record N-1's hash. That catches an edited byte, a deleted record (the next
one is out of sequence and points at a hash that is not its predecessor's), swapped records
and a forged ``prev``. A torn last line (a crash in the middle of a write) is not a break:
the transcript is reported intact but truncated after the last complete record.

A transcript is *complete* when its last record is ``review.finished`` or ``review.failed``
(followed, in a signed transcript, by its ``transcript.signature``); an intact prefix without
it is a review that did not finish, or whose last records were removed: :attr:`VerifyResult.ok`
requires both. Bytes after the final record, or anything after a signature, are a break, not
a torn line: a crash cannot leave them.

Signatures (:mod:`review_bot.audit.signing`) are checked against ``keyring``;
:attr:`VerifyResult.signature` says what was found, and whether that is enough is the
caller's policy (``review-bot audit verify`` requires a valid one once a key is configured).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from review_bot.audit.records import GENESIS, Record, parse_line
from review_bot.audit.signing import SIGNATURE_TYPE, SignatureStatus, check_signature
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
        signature: what the signature check found (see ``SignatureStatus``).
        key_id: the key id the transcript names in its signature, if signed.
    """

    location: str
    records: int
    broken: int | None = None
    reason: str = ""
    truncated: bool = False
    complete: bool = False
    head: str = GENESIS
    signature: SignatureStatus = "unsigned"
    key_id: str | None = None

    @property
    def intact(self) -> bool:
        """The chain holds for every stored record (a torn tail aside)."""
        return self.broken is None

    @property
    def ok(self) -> bool:
        """Intact and complete."""
        return self.intact and self.complete

    @property
    def signed(self) -> bool:
        """A signature record is present (checked or not)."""
        return self.signature != "unsigned"

    def message(self) -> str:
        """One line for a human."""
        if self.broken is not None:
            return f"broken at record {self.broken}: {self.reason}"
        text = f"intact: {self.records} records, head {self.head[:16]}; " + _SIGNATURE_TEXT[
            self.signature
        ].format(key_id=self.key_id)
        if self.truncated:
            text += f"; truncated after record {self.records} (a torn last line was ignored)"
        if not self.complete:
            text += (
                f"; incomplete: no review.finished after record {self.records} (the review "
                "did not finish, or its last records were removed)"
            )
        return text


_SIGNATURE_TEXT: dict[SignatureStatus, str] = {
    "valid": "signed with key {key_id!r} (valid)",
    "unsigned": "UNSIGNED (no key signed it: anyone who can write it could have rewritten it)",
    "unchecked": "signed with key {key_id!r}, NOT CHECKED (no audit key configured)",
    "unknown-key": "signed with key {key_id!r}, NOT CHECKED (that key id is not in the keyring)",
}


def _check(
    raw: RawTranscript, keyring: Mapping[str, bytes] | None = None
) -> tuple[list[Record], VerifyResult]:
    records: list[Record] = []
    prev = GENESIS
    lines = list(raw.lines)
    truncated = False
    if raw.torn is not None:
        if _is_whole_json(raw.torn):
            lines.append(raw.torn)  # a whole value without its newline: check it like the rest
        else:
            truncated = True
    signature: tuple[SignatureStatus, str | None] = ("unsigned", None)
    for index, line in enumerate(lines, start=1):
        if records and records[-1].type == SIGNATURE_TYPE:
            why = "data after the transcript's signature: records were appended to it"
            return records, _result(raw, records, prev, broken=index, reason=why)
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
        if record.type == SIGNATURE_TYPE:
            status, why = check_signature(record, prev, keyring)
            if why:
                return records, _result(raw, records, prev, broken=index, reason=why)
            signature = (status, str(record.data["key_id"]))
        records.append(record)
        prev = record.hash
    if truncated and records and records[-1].type in (*FINAL_TYPES, SIGNATURE_TYPE):
        why = "bytes after the final record: a crash cannot leave them, they were appended"
        return records, _result(raw, records, prev, broken=len(records) + 1, reason=why)
    return records, _result(raw, records, prev, truncated=truncated, signature=signature)


def _result(
    raw: RawTranscript,
    records: list[Record],
    head: str,
    *,
    broken: int | None = None,
    reason: str = "",
    truncated: bool = False,
    signature: tuple[SignatureStatus, str | None] = ("unsigned", None),
) -> VerifyResult:
    body = records[:-1] if records and records[-1].type == SIGNATURE_TYPE else records
    complete = bool(body) and body[-1].type in FINAL_TYPES and broken is None
    return VerifyResult(
        location=raw.location,
        records=len(records),
        broken=broken,
        reason=reason,
        truncated=truncated,
        complete=complete,
        head=head,
        signature=signature[0],
        key_id=signature[1],
    )


def _is_whole_json(text: str) -> bool:
    try:
        json.JSONDecoder().raw_decode(text)
    except ValueError:
        return False
    return True


def verify_raw(raw: RawTranscript, keyring: Mapping[str, bytes] | None = None) -> VerifyResult:
    """Verify stored lines (see the module docstring for what counts as broken)."""
    return _check(raw, keyring)[1]


def verify(
    transcript: str | RawTranscript | tuple[TranscriptStore, str],
    keyring: Mapping[str, bytes] | None = None,
) -> VerifyResult:
    """Verify a transcript given by location (path or URL), by store and id, or as lines;
    its signature, if any, against ``keyring`` (key id → key)."""
    return verify_raw(_raw(transcript), keyring)


def load_records(
    transcript: str | RawTranscript | tuple[TranscriptStore, str],
    keyring: Mapping[str, bytes] | None = None,
) -> tuple[list[Record], VerifyResult]:
    """The intact records of a transcript and the verification result."""
    return _check(_raw(transcript), keyring)


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
