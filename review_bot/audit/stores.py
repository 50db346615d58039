"""Where transcripts live: one small interface, a file store and a PostgreSQL store.

A store keeps, per transcript id, an ordered list of record lines. It never interprets them
(that is :mod:`review_bot.audit.verify`'s job), so a tampered store is read back as it is.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from review_bot.audit.records import Record
from review_bot.audit.retention import Retention, prune
from review_bot.audit.store_protocol import RawTranscript, TranscriptStore, check_transcript_id
from review_bot.errors import InputError, TranscriptError

__all__ = [
    "FileStore",
    "RawTranscript",
    "TranscriptStore",
    "check_transcript_id",
    "open_location",
    "open_store",
]


class FileStore:
    """One JSONL file per transcript, ``<directory>/<id>.jsonl``.

    Each record is written with a single ``write`` of its line and newline on an unbuffered
    file, so a crash leaves at most one torn line at the end, never a hole.
    """

    suffix = ".jsonl"

    def __init__(self, directory: Path | str, retention: Retention | None = None) -> None:
        self.directory = Path(directory)
        self.retention = retention or Retention()
        self._files: dict[str, int] = {}
        self._lock = threading.Lock()

    def path(self, transcript_id: str) -> Path:
        """The file of ``transcript_id`` (any name is read; only safe ids are created)."""
        if "/" in transcript_id or transcript_id in ("", ".", ".."):
            raise InputError(f"transcript id {transcript_id!r} is not a file name")
        return self.directory / f"{transcript_id}{self.suffix}"

    def location(self, transcript_id: str) -> str:
        """The file path."""
        return str(self.path(transcript_id))

    def _fd(self, transcript_id: str) -> int:
        fd = self._files.get(transcript_id)
        if fd is None:
            check_transcript_id(transcript_id)
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                if not self.path(transcript_id).exists():  # a new transcript: enforce retention
                    open_paths = [self.path(t) for t in self._files]
                    prune(self.directory, self.retention, suffix=self.suffix, keep=open_paths)
                fd = os.open(
                    self.path(transcript_id), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600
                )
            except OSError as exc:
                raise TranscriptError(
                    f"cannot open transcript file {self.location(transcript_id)!r}: "
                    f"{exc.strerror}; check the transcripts directory is writable"
                ) from exc
            self._files[transcript_id] = fd
        return fd

    def append(self, transcript_id: str, record: Record) -> None:
        """Append the record's line with one write (flushed: the file is unbuffered)."""
        data = (record.line() + "\n").encode("ascii")
        with self._lock:
            fd = self._fd(transcript_id)
            try:
                written = os.write(fd, data)
            except OSError as exc:
                raise TranscriptError(
                    f"cannot append to transcript {self.location(transcript_id)!r}: {exc.strerror}"
                ) from exc
            if written != len(data):
                raise TranscriptError(
                    f"short write to transcript {self.location(transcript_id)!r} "
                    f"({written} of {len(data)} bytes): the disk may be full"
                )

    def sync(self, transcript_id: str) -> None:
        """fsync the transcript's file."""
        with self._lock:
            fd = self._files.get(transcript_id)
            if fd is not None:
                os.fsync(fd)

    def exists(self, transcript_id: str) -> bool:
        """True when the file exists."""
        return self.path(transcript_id).exists()

    def read(self, transcript_id: str) -> RawTranscript:
        """The file's lines; a last line without its newline is returned as ``torn``."""
        path = self.path(transcript_id)
        try:
            blob = path.read_bytes()
        except FileNotFoundError as exc:
            raise TranscriptError(
                f"transcript {str(path)!r} does not exist: check the path"
            ) from exc
        except OSError as exc:
            raise TranscriptError(f"cannot read transcript {str(path)!r}: {exc.strerror}") from exc
        parts = blob.split(b"\n")
        torn_bytes = parts.pop()  # b"" when the file ends with a newline
        lines = tuple(p.decode("utf-8", "surrogateescape") for p in parts)
        torn = torn_bytes.decode("utf-8", "surrogateescape") if torn_bytes else None
        return RawTranscript(location=str(path), lines=lines, torn=torn)

    def drop_torn_tail(self, transcript_id: str) -> None:
        """Cut the file after its last newline."""
        path = self.path(transcript_id)
        blob = path.read_bytes()
        keep = blob.rfind(b"\n") + 1
        if keep < len(blob):
            os.truncate(path, keep)

    def close(self) -> None:
        """Close every open file (fsynced first)."""
        with self._lock:
            for fd in self._files.values():
                os.fsync(fd)
                os.close(fd)
            self._files.clear()


def open_store(where: str | Path, retention: Retention | None = None) -> TranscriptStore:
    """The store a configuration names: a ``postgresql://`` URL or a directory.

    ``retention`` bounds a directory store (PostgreSQL stores are not pruned here).
    """
    text = str(where)
    if text.startswith(("postgresql://", "postgres://")):
        from review_bot.audit.postgres import PostgresStore

        return PostgresStore.from_url(text)
    return FileStore(Path(text), retention)


def open_location(location: str | Path) -> tuple[TranscriptStore, str]:
    """The store and id of a transcript named by its location (a file path or a
    ``postgresql://.../<id>`` URL), as written in a Review's ``transcript`` field."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        from review_bot.audit.postgres import PostgresStore

        return PostgresStore.from_location(text)
    path = Path(text)
    if path.suffix != FileStore.suffix:
        raise InputError(
            f"transcript {text!r} is neither a .jsonl file nor a postgresql:// URL: "
            "pass the value of the review's 'transcript' field"
        )
    return FileStore(path.parent), path.stem
