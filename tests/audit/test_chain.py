"""Writing and verifying hash-chained transcripts, on both stores."""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

import pytest

from review_bot.audit.records import GENESIS, canonical_json, record_hash
from review_bot.audit.stores import FileStore, TranscriptStore
from review_bot.audit.verify import verify
from review_bot.audit.writer import TranscriptRecorder, TranscriptWriter
from review_bot.errors import TranscriptError, TranscriptTampered

SECRET = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"


def _write(store: TranscriptStore, tid: str = "t1", n: int = 5) -> TranscriptWriter:
    writer = TranscriptWriter.create(store, tid)
    writer.append("review.started", {"change_hash": "abc", "files": ["a.py"]})
    for i in range(n - 2):
        writer.append("tool.run", {"tool": f"tool{i}", "exit_code": 0, "ratio": 0.5 + i})
    writer.append("review.finished", {"review": {"findings": [], "summary": "ok"}})
    writer.close()
    return writer


def test_records_chain_from_genesis_and_verify(store: TranscriptStore, tamper: Any) -> None:
    _write(store)
    lines = store.read("t1").lines
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert records[0]["prev"] == GENESIS
    for before, after in itertools.pairwise(records):
        assert after["prev"] == before["hash"]
    for r in records:
        body = {k: r[k] for k in ("seq", "ts", "type", "data", "prev")}
        digest = hashlib.sha256(canonical_json(body).encode()).hexdigest()
        assert r["hash"] == digest
        assert canonical_json(r) in lines
    result = verify((store, "t1"))
    assert result.ok, result.message()
    assert result.records == 5


@pytest.mark.parametrize("position", [1, 3, 5])
def test_any_edited_byte_is_reported_at_its_record(
    store: TranscriptStore, position: int, tamper: Any
) -> None:
    _write(store)
    tamper = tamper(store, "t1")
    lines = tamper.lines()
    original = lines[position - 1]
    for offset in range(len(original)):
        if not isinstance(store, FileStore) and offset % 7:
            continue  # every byte on the file store; a sample on PostgreSQL is enough
        edited = list(lines)
        char = original[offset]
        edited[position - 1] = (
            original[:offset] + ("x" if char != "x" else "y") + original[offset + 1 :]
        )
        tamper.replace(edited)
        result = verify((store, "t1"))
        assert result.broken == position, (offset, result.message())
    tamper.replace(lines)
    assert verify((store, "t1")).ok


def test_edited_final_newline_is_not_taken_for_a_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = FileStore(tmp_path)
    _write(store)
    path = store.path("t1")
    blob = path.read_bytes()
    path.write_bytes(blob[:-1] + b"x")
    result = verify((store, "t1"))
    assert result.broken == 5


@pytest.mark.parametrize("deleted", [1, 3, 5])
def test_a_deleted_record_is_reported(store: TranscriptStore, deleted: int, tamper: Any) -> None:
    _write(store)
    tamper = tamper(store, "t1")
    lines = tamper.lines()
    del lines[deleted - 1]
    tamper.replace(lines)
    result = verify((store, "t1"))
    assert not result.ok
    if deleted == 5:  # the tail is gone: the chain holds but the review never finished
        assert result.intact
        assert not result.complete
        assert "incomplete" in result.message()
    else:
        assert result.broken == deleted
        assert f"broken at record {deleted}" in result.message()


def test_swapped_records_are_reported(store: TranscriptStore, tamper: Any) -> None:
    _write(store)
    tamper = tamper(store, "t1")
    lines = tamper.lines()
    lines[1], lines[3] = lines[3], lines[1]
    tamper.replace(lines)
    result = verify((store, "t1"))
    assert result.broken == 2
    assert "sequence number 4, expected 2" in result.reason


def test_a_forged_prev_is_reported(store: TranscriptStore, tamper: Any) -> None:
    _write(store)
    tamper = tamper(store, "t1")
    lines = tamper.lines()
    third = json.loads(lines[2])
    third["prev"] = "f" * 64
    body = {k: third[k] for k in ("seq", "ts", "data", "prev")}
    third["hash"] = record_hash(type_=third["type"], **body)  # a consistent, re-hashed forgery
    lines[2] = canonical_json(third)
    tamper.replace(lines)
    result = verify((store, "t1"))
    assert result.broken == 3
    assert "prev" in result.reason


def test_resume_continues_the_chain_without_rewriting(store: TranscriptStore, tamper: Any) -> None:
    writer = TranscriptWriter.create(store, "t2")
    writer.append("review.started", {"n": 1})
    writer.append("tool.run", {"n": 2})
    before = store.read("t2").lines
    resumed = TranscriptWriter.resume(store, "t2")
    assert resumed.records == 2
    resumed.append("review.finished", {"review": {}})
    after = store.read("t2").lines
    assert after[:2] == before
    assert verify((store, "t2")).ok


def test_create_refuses_an_existing_transcript(store: TranscriptStore, tamper: Any) -> None:
    _write(store)
    with pytest.raises(TranscriptError, match="already exists"):
        TranscriptWriter.create(store, "t1")


def test_resume_refuses_a_tampered_transcript(store: TranscriptStore, tamper: Any) -> None:
    _write(store)
    tamper = tamper(store, "t1")
    lines = tamper.lines()
    del lines[1]
    tamper.replace(lines)
    with pytest.raises(TranscriptTampered, match="broken at record 2"):
        TranscriptWriter.resume(store, "t1")


def test_torn_last_line_is_ignored_and_cut_on_resume(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = FileStore(tmp_path)
    writer = TranscriptWriter.create(store, "t3")
    writer.append("review.started", {"n": 1})
    writer.append("tool.run", {"n": 2})
    writer.close()
    store.close()
    with store.path("t3").open("a") as handle:
        handle.write('{"data":{"n":3},"hash":"ab')
    result = verify((store, "t3"))
    assert result.intact
    assert result.truncated
    assert "truncated after record 2" in result.message()
    resumed = TranscriptWriter.resume(store, "t3")
    resumed.append("review.finished", {})
    assert verify((store, "t3")).ok


def test_recorder_redacts_every_record(store: TranscriptStore, tamper: Any) -> None:
    writer = TranscriptWriter.create(store, "t4")
    recorder = TranscriptRecorder(writer)
    recorder.emit("review.started", change={"content": f'token = "{SECRET}"'})
    recorder.emit("agent.message", text=f"I saw {SECRET}")
    recorder.emit("review.finished", review={"summary": "done"})
    blob = "\n".join(store.read("t4").lines)
    assert SECRET not in blob
    assert "[REDACTED:github-token:" in blob
    assert verify((store, "t4")).ok


def test_postgres_location_names_the_transcript_without_password() -> None:
    from review_bot.audit.postgres import _without_password

    assert _without_password("postgresql://u:pw@h:5432/db") == "postgresql://u@h:5432/db"
