"""Store fixtures: every store test runs against the file store and the real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from review_bot.audit.postgres import PostgresStore
from review_bot.audit.stores import FileStore, TranscriptStore

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A schema of our own for this test run, dropped at the end (fails if PG is down)."""
    schema = f"rb_audit_test_{uuid.uuid4().hex[:10]}"
    yield schema
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["file", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TranscriptStore]:
    """A fresh store of each kind."""
    if request.param == "file":
        made: TranscriptStore = FileStore(tmp_path / "transcripts")
    else:
        schema = request.getfixturevalue("pg_schema")
        made = PostgresStore.from_url(f"{PG_URL}?schema={schema}&table=t_{uuid.uuid4().hex[:8]}")
    yield made
    made.close()


class Tamper:
    """Edits a stored transcript behind the writer's back, for either store."""

    def __init__(self, store: TranscriptStore, transcript_id: str) -> None:
        self.store = store
        self.id = transcript_id

    def lines(self) -> list[str]:
        return list(self.store.read(self.id).lines)

    def replace(self, lines: list[str]) -> None:
        if isinstance(self.store, FileStore):
            self.store.path(self.id).write_text("".join(line + "\n" for line in lines))
            return
        assert isinstance(self.store, PostgresStore)
        conn = self.store._conn
        name = f'"{self.store.schema}"."{self.store.table}"'
        conn.execute(f"DELETE FROM {name} WHERE transcript_id = %s", (self.id,))
        for position, line in enumerate(lines, start=1):
            conn.execute(
                f"INSERT INTO {name} (transcript_id, seq, ts, type, prev, hash, body)"
                " VALUES (%s, %s, '', '', '', '', %s)",
                (self.id, position, line),
            )


@pytest.fixture
def tamper() -> type[Tamper]:
    """The Tamper class (tests have no package to import it from)."""
    return Tamper
