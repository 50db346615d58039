"""The erasure log: one hash-chained entry per erasure, holding no erased data.

An entry names the target only by its sha256 (an auditor holding the name can check it was
erased; the log itself does not disclose it), says who ran the erasure and why, how much was
erased where, and which transcripts (opaque ids) went. Each entry's ``hash`` covers its
content and the previous entry's hash, so removing or editing an entry shows.

The log is a JSON-lines file (``erasures.log`` beside file transcripts) or a table
(``review_bot_erasures``) in the transcripts' PostgreSQL database.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg import sql

from review_bot.audit.records import GENESIS, canonical_json
from review_bot.errors import TranscriptError
from review_bot.retention.places import ERASURE_TABLE, is_postgres

__all__ = [
    "ErasureLog",
    "FileErasureLog",
    "PostgresErasureLog",
    "first_broken",
    "open_erasure_log",
    "seal",
]


def seal(entry: dict[str, Any], prev: str) -> dict[str, Any]:
    """``entry`` with ``prev`` and its ``hash`` (sha256 of its canonical JSON with ``prev``)."""
    body = {**entry, "prev": prev}
    digest = hashlib.sha256(canonical_json(body).encode("ascii")).hexdigest()
    return {**body, "hash": digest}


def first_broken(entries: list[dict[str, Any]]) -> int | None:
    """The index of the first entry whose hash or link does not hold (None: all intact)."""
    prev = GENESIS
    for index, entry in enumerate(entries):
        body = {k: v for k, v in entry.items() if k != "hash"}
        if entry.get("prev") != prev or seal(
            {k: v for k, v in body.items() if k != "prev"}, prev
        ) != entry:
            return index
        prev = str(entry["hash"])
    return None


class ErasureLog(Protocol):
    """Where erasure entries are appended and read back."""

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Seal ``entry`` after the last one and store it; the sealed entry."""

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, oldest first."""


class FileErasureLog:
    """Entries as JSON lines in one file (created with mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> list[dict[str, Any]]:
        """The file's entries ([] before the first erasure)."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("ascii").splitlines() if line]

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append one line, after the last entry's hash."""
        existing = self.entries()
        sealed = seal(entry, existing[-1]["hash"] if existing else GENESIS)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch(mode=0o600, exist_ok=True)
            with self.path.open("a", encoding="ascii") as handle:
                handle.write(canonical_json(sealed) + "\n")
        except OSError as exc:
            raise TranscriptError(
                f"cannot write the erasure log {str(self.path)!r}: {exc.strerror}; "
                "set REVIEW_BOT_ERASURE_LOG to a writable place"
            ) from exc
        return sealed


class PostgresErasureLog:
    """Entries as rows of ``review_bot_erasures`` (in the transcripts' schema)."""

    def __init__(self, url: str) -> None:
        from review_bot.audit.postgres import split_url

        conninfo, ours = split_url(url)
        self._conninfo = conninfo
        schema = ours.get("schema")
        self._name = (
            sql.Identifier(schema, ERASURE_TABLE) if schema else sql.Identifier(ERASURE_TABLE)
        )
        self._schema = schema

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self._conninfo)
            with conn.transaction():
                if self._schema:
                    conn.execute(
                        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                            sql.Identifier(self._schema)
                        )
                    )
                conn.execute(
                    sql.SQL(
                        "CREATE TABLE IF NOT EXISTS {} (seq bigserial PRIMARY KEY,"
                        " body text NOT NULL, hash text NOT NULL)"
                    ).format(self._name)
                )
        except psycopg.Error as exc:
            raise TranscriptError(f"cannot open the erasure log table: {exc}") from exc
        return conn

    def entries(self) -> list[dict[str, Any]]:
        """Every row's entry, by sequence."""
        with self._connect() as conn:
            rows = conn.execute(
                sql.SQL("SELECT body FROM {} ORDER BY seq").format(self._name)
            ).fetchall()
        return [json.loads(str(r[0])) for r in rows]

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Insert one row after the last, the table locked so two erasures chain in turn."""
        try:
            with self._connect() as conn, conn.transaction():
                conn.execute(
                    sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(self._name)
                )
                last = conn.execute(
                    sql.SQL("SELECT hash FROM {} ORDER BY seq DESC LIMIT 1").format(self._name)
                ).fetchone()
                sealed = seal(entry, str(last[0]) if last else GENESIS)
                conn.execute(
                    sql.SQL("INSERT INTO {} (body, hash) VALUES (%s, %s)").format(self._name),
                    (canonical_json(sealed), sealed["hash"]),
                )
        except psycopg.Error as exc:
            raise TranscriptError(f"cannot write the erasure log: {exc}") from exc
        return sealed


def open_erasure_log(where: str) -> ErasureLog:
    """The log ``where`` names: a ``postgresql://`` URL or a file path."""
    return PostgresErasureLog(where) if is_postgres(where) else FileErasureLog(Path(where))
