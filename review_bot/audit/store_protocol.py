"""What every transcript store is: the interface, what a read returns, which ids are safe.

Its own module so that a store (``postgres``) and the module that picks one by location
(``stores.open_store``) both depend on it, not on each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from review_bot.audit.records import Record
from review_bot.errors import InputError

__all__ = ["RawTranscript", "TranscriptStore", "check_transcript_id"]

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def check_transcript_id(transcript_id: str) -> str:
    """Return ``transcript_id`` if it is safe as a file name and a URL segment."""
    if not _ID_RE.match(transcript_id) or ".." in transcript_id:
        raise InputError(
            f"transcript id {transcript_id!r} is not allowed: use letters, digits, '.', '_', "
            "'-' (at most 200, not starting with a dot)"
        )
    return transcript_id


@dataclass(frozen=True)
class RawTranscript:
    """The stored lines of one transcript, and a torn last line (a crash mid-write), if any."""

    location: str
    lines: tuple[str, ...]
    torn: str | None = None


class TranscriptStore(Protocol):
    """Keeps transcripts as ordered record lines."""

    def location(self, transcript_id: str) -> str:
        """Where the transcript is (a path or a URL), for the Review's ``transcript`` field."""

    def append(self, transcript_id: str, record: Record) -> None:
        """Add ``record`` after the last one, visible to readers when this returns."""

    def sync(self, transcript_id: str) -> None:
        """Make what was appended durable (fsync or commit)."""

    def read(self, transcript_id: str) -> RawTranscript:
        """Every stored line, in order; raise TranscriptError when there is no such transcript."""

    def drop_torn_tail(self, transcript_id: str) -> None:
        """Remove a torn last line before a resumed writer appends after it."""

    def exists(self, transcript_id: str) -> bool:
        """True when the transcript has been started."""

    def close(self) -> None:
        """Release files and connections."""
