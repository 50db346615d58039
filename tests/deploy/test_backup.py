"""The runbook's backup and restore of the PostgreSQL transcript store, done for real."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

from review_bot.audit.postgres import PostgresStore
from review_bot.audit.writer import TranscriptWriter
from tests.deploy.conftest import need

PG = "postgresql://postgres@127.0.0.1:5432/test"


def _verify(location: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "review_bot.cli", "audit", "verify", location],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def test_pg_dump_and_restore_round_trip(tmp_path: Path) -> None:
    schema = f"rb_backup_{uuid.uuid4().hex[:10]}"
    store = PostgresStore.from_url(f"{PG}?schema={schema}&table=records")
    try:
        writer = TranscriptWriter.create(store, "review-1")
        writer.append("review.started", {"change_hash": "abc", "files": ["a.py"]})
        writer.append("tool.run", {"tool": "ruff", "exit_code": 0})
        writer.append("review.finished", {"review": {"findings": [], "summary": "ok"}})
        writer.close()
        location = store.location("review-1")
    finally:
        store.close()
    dump = tmp_path / "transcripts.dump"
    try:
        # docs/operations.md, "Back up and restore the transcript store"
        subprocess.run([need("pg_dump"), "--format=custom", f"--schema={schema}",
                        f"--file={dump}", PG], check=True)  # fmt: skip
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        gone = _verify(location)
        assert gone.returncode != 0  # the check can fail: nothing there any more
        # (and a running service recreates the empty table: restore replaces it)
        subprocess.run([need("pg_restore"), "--clean", "--if-exists", "--exit-on-error",
                        f"--dbname={PG}", str(dump)],
                       check=True)  # fmt: skip
        restored = _verify(location)
        assert restored.returncode == 0, restored.stdout + restored.stderr
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
