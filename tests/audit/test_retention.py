"""Transcript retention: old transcripts go first, the directory stays under its size bound."""

from __future__ import annotations

import os
from pathlib import Path

from review_bot.audit.retention import Retention, prune
from review_bot.audit.stores import FileStore
from review_bot.audit.writer import TranscriptWriter

NOW = 1_800_000_000.0
DAY = 24 * 3600.0


def make(directory: Path, name: str, size: int, age_days: float) -> Path:
    path = directory / f"{name}.jsonl"
    path.write_bytes(b"x" * size)
    os.utime(path, (NOW - age_days * DAY, NOW - age_days * DAY))
    return path


def test_transcripts_older_than_the_age_bound_are_deleted(tmp_path: Path) -> None:
    old, young = make(tmp_path, "old", 10, 40), make(tmp_path, "young", 10, 1)
    other = tmp_path / "notes.txt"
    other.write_text("not a transcript")
    deleted = prune(tmp_path, Retention(max_age_days=30), now=lambda: NOW)
    assert deleted == [old]
    assert young.exists()
    assert other.exists()
    assert not old.exists()


def test_the_oldest_go_first_until_under_the_size_bound(tmp_path: Path) -> None:
    mb = 1024 * 1024
    a, b, c = (make(tmp_path, n, mb, age) for n, age in (("a", 3), ("b", 2), ("c", 1)))
    deleted = prune(tmp_path, Retention(max_total_mb=2.5), now=lambda: NOW)
    assert deleted == [a]
    assert b.exists()
    assert c.exists()


def test_open_transcripts_are_kept_and_no_bound_deletes_nothing(tmp_path: Path) -> None:
    live = make(tmp_path, "live", 10, 400)
    assert prune(tmp_path, Retention(max_age_days=1), keep=[live], now=lambda: NOW) == []
    assert prune(tmp_path, Retention(), now=lambda: NOW) == []
    assert live.exists()


def test_a_file_store_prunes_when_it_starts_a_new_transcript(tmp_path: Path) -> None:
    stale = make(tmp_path, "20200101T000000Z-000000000000", 10, 3650)
    store = FileStore(tmp_path, Retention(max_age_days=30))
    writer = TranscriptWriter.create(store, "20260101T000000Z-111111111111")
    writer.append("review.started", {"x": 1})
    writer.close()
    assert not stale.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["20260101T000000Z-111111111111.jsonl"]
    assert isinstance(store.read("20260101T000000Z-111111111111").lines[0], str)
