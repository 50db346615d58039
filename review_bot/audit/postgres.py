"""The PostgreSQL transcript store: one row per record, keyed by (transcript_id, seq).

The record's canonical line is stored verbatim in ``body`` (text, not jsonb: jsonb would
reorder keys and normalise numbers, and verification needs the exact bytes); ``seq``,
``type``, ``prev`` and ``hash`` are copied into columns for querying. The primary key makes
it impossible for a writer to overwrite a record.

URL: ``postgresql://user@host:port/dbname?schema=S&table=T`` (``schema`` and ``table`` are
ours and optional; other query parameters go to libpq). A transcript's location is the URL
with ``/<transcript_id>`` after the database name and without any password.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from review_bot.audit.records import Record
from review_bot.audit.retention import OWNER_FIELDS, OwnerField
from review_bot.audit.store_protocol import RawTranscript, check_transcript_id
from review_bot.errors import InputError, TranscriptError

__all__ = ["DEFAULT_TABLE", "PostgresStore", "split_url"]

DEFAULT_TABLE = "review_bot_transcript_records"
_OURS = ("schema", "table")


class PostgresStore:
    """Transcripts as rows of one table (created if missing)."""

    def __init__(
        self,
        conninfo: str,
        *,
        table: str = DEFAULT_TABLE,
        schema: str | None = None,
        public_url: str | None = None,
    ) -> None:
        self._conninfo = conninfo
        self._public = public_url or _without_password(conninfo)
        self.table = table
        self.schema = schema
        self._lock = threading.Lock()
        try:
            self._conn = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise TranscriptError(
                f"cannot connect to the transcript database {self._public!r}: {exc}; "
                "check REVIEW_BOT_TRANSCRIPTS and that PostgreSQL is running"
            ) from exc
        self._name = sql.Identifier(schema, table) if schema else sql.Identifier(table)
        self._create()

    @classmethod
    def from_url(cls, url: str) -> PostgresStore:
        """A store from ``postgresql://...?schema=&table=``."""
        conninfo, ours = split_url(url)
        return cls(conninfo, table=ours.get("table", DEFAULT_TABLE), schema=ours.get("schema"))

    @classmethod
    def from_location(cls, location: str) -> tuple[PostgresStore, str]:
        """The store and transcript id of ``postgresql://host/db/<id>?...``."""
        conninfo, ours = split_url(location)
        parts = urlsplit(conninfo)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) != 2:
            raise InputError(
                f"transcript location {location!r} should be postgresql://HOST/DATABASE/ID"
            )
        database, transcript_id = segments
        base = urlunsplit(parts._replace(path=f"/{database}"))
        store = cls(base, table=ours.get("table", DEFAULT_TABLE), schema=ours.get("schema"))
        return store, transcript_id

    def _execute(
        self, query: sql.Composed, params: tuple[object, ...] = ()
    ) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                with self._conn.cursor() as cur:
                    cur.execute(query, params)
                    return cur.fetchall() if cur.description else []
            except psycopg.errors.UniqueViolation as exc:
                raise TranscriptError(
                    f"a record with this sequence number already exists in {self._public!r}: "
                    "another writer is appending to the same transcript"
                ) from exc
            except psycopg.Error as exc:
                raise TranscriptError(
                    f"transcript database {self._public!r} failed: {exc}"
                ) from exc

    def _create(self) -> None:
        if self.schema:
            self._execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
            )
        self._execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " transcript_id text NOT NULL, seq bigint NOT NULL, ts text NOT NULL,"
                " type text NOT NULL, prev text NOT NULL, hash text NOT NULL, body text NOT NULL,"
                " PRIMARY KEY (transcript_id, seq))"
            ).format(self._name)
        )

    def location(self, transcript_id: str) -> str:
        """``postgresql://host/db/<id>?schema=&table=`` without the password."""
        parts = urlsplit(self._public)
        query = [*parse_qsl(parts.query)]
        if self.schema:
            query.append(("schema", self.schema))
        if self.table != DEFAULT_TABLE:
            query.append(("table", self.table))
        path = f"{parts.path.rstrip('/')}/{transcript_id}"
        return urlunsplit(parts._replace(path=path, query=urlencode(query)))

    def append(self, transcript_id: str, record: Record) -> None:
        """Insert the record (autocommit: visible and durable when this returns)."""
        check_transcript_id(transcript_id)
        self._execute(
            sql.SQL(
                "INSERT INTO {} (transcript_id, seq, ts, type, prev, hash, body)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)"
            ).format(self._name),
            (
                transcript_id,
                record.seq,
                record.ts,
                record.type,
                record.prev,
                record.hash,
                record.line(),
            ),
        )

    def sync(self, transcript_id: str) -> None:
        """Nothing to do: every insert is committed."""

    def exists(self, transcript_id: str) -> bool:
        """True when the transcript has at least one record."""
        rows = self._execute(
            sql.SQL("SELECT 1 FROM {} WHERE transcript_id = %s LIMIT 1").format(self._name),
            (transcript_id,),
        )
        return bool(rows)

    def read(self, transcript_id: str) -> RawTranscript:
        """The stored lines ordered by ``seq``."""
        rows = self._execute(
            sql.SQL("SELECT body FROM {} WHERE transcript_id = %s ORDER BY seq").format(self._name),
            (transcript_id,),
        )
        if not rows:
            raise TranscriptError(
                f"transcript {self.location(transcript_id)!r} does not exist: check the id"
            )
        return RawTranscript(
            location=self.location(transcript_id), lines=tuple(str(r[0]) for r in rows)
        )

    def drop_torn_tail(self, transcript_id: str) -> None:
        """Nothing to do: a row is written whole or not at all."""

    def started_before(self, ts: str) -> list[str]:
        """Ids of the transcripts whose first record is older than ``ts`` (ISO 8601 UTC,
        as records carry it), oldest first."""
        rows = self._execute(
            sql.SQL(
                "SELECT transcript_id FROM {} GROUP BY transcript_id"
                " HAVING min(ts) < %s ORDER BY min(ts)"
            ).format(self._name),
            (ts,),
        )
        return [str(r[0]) for r in rows]

    def owned_by(self, field: OwnerField, value: str) -> list[str]:
        """Ids of the transcripts whose ``review.started`` names ``value`` as its owner's
        ``repo`` or ``subject``."""
        if field not in OWNER_FIELDS:
            raise InputError(f"owner field {field!r} is not one of {OWNER_FIELDS}")
        rows = self._execute(
            sql.SQL(
                "SELECT transcript_id FROM {} WHERE type = 'review.started'"
                " AND (body::jsonb #>> %s) = %s ORDER BY transcript_id"
            ).format(self._name),
            (["data", "owner", field], value),
        )
        return [str(r[0]) for r in rows]

    def delete(self, transcript_ids: Sequence[str]) -> int:
        """Delete every record of these transcripts; how many transcripts had any."""
        if not transcript_ids:
            return 0
        rows = self._execute(
            sql.SQL(
                "WITH gone AS (DELETE FROM {} WHERE transcript_id = ANY(%s)"
                " RETURNING transcript_id) SELECT count(DISTINCT transcript_id) FROM gone"
            ).format(self._name),
            (list(transcript_ids),),
        )
        return int(str(rows[0][0]))

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """The libpq URL and our own parameters (``schema``, ``table``) of a store URL."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    ours = {k: v for k, v in query if k in _OURS}
    rest = [(k, v) for k, v in query if k not in _OURS]
    return urlunsplit(parts._replace(query=urlencode(rest))), ours


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}@{host}{port}"))
