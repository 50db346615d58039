"""The local persistent store (sqlite3 in a cache dir): a second CLI run of the same change
costs nothing even without Redis. Failures (locked, full disk, corrupt file) read as misses."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import TypeVar

from review_bot.cache.envelope import open_envelope, seal
from review_bot.cache.keys import SCHEMA_VERSION
from review_bot.cache.store import CacheStats, Lease

__all__ = ["SqliteStore", "erase_tag", "local_path", "sweep"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at REAL);
CREATE TABLE IF NOT EXISTS tags (tag TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (tag, key));
CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, token TEXT NOT NULL, expires_at REAL);
"""


def local_path(directory: Path) -> Path:
    """The local store's database file in ``directory``."""
    return directory / f"cache-v{SCHEMA_VERSION}.sqlite3"


def sweep(path: Path, *, now: float, max_ttl_s: float, dry_run: bool = False) -> int:
    """Delete expired entries and cap the others' expiry at ``now + max_ttl_s`` (entries
    without one included); returns how many entries were (or would be) deleted."""
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path, timeout=5)) as db, db:
        (expired,) = db.execute(
            "SELECT count(*) FROM entries WHERE expires_at <= ?", (now,)
        ).fetchone()
        if not dry_run:
            db.execute("DELETE FROM entries WHERE expires_at <= ?", (now,))
            db.execute(
                "UPDATE entries SET expires_at = ? WHERE expires_at IS NULL OR expires_at > ?",
                (now + max_ttl_s, now + max_ttl_s),
            )
            db.execute("DELETE FROM tags WHERE key NOT IN (SELECT key FROM entries)")
            db.execute("DELETE FROM leases WHERE expires_at <= ?", (now,))
    return int(expired)


def erase_tag(path: Path, tag: str, *, dry_run: bool = False) -> int:
    """Delete every entry stored under ``tag`` (and the tag); how many entries."""
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path, timeout=5)) as db, db:
        (count,) = db.execute(
            "SELECT count(*) FROM entries WHERE key IN (SELECT key FROM tags WHERE tag = ?)",
            (tag,),
        ).fetchone()
        if not dry_run:
            db.execute(
                "DELETE FROM entries WHERE key IN (SELECT key FROM tags WHERE tag = ?)", (tag,)
            )
            db.execute("DELETE FROM tags WHERE key NOT IN (SELECT key FROM entries)")
    return int(count)


class SqliteStore:
    """The CacheStore in ``<directory>/cache-v<schema>.sqlite3`` (WAL, shared by processes).

    Expiry uses wall-clock time (entries outlive the process); ``clock`` is injectable.
    """

    def __init__(
        self,
        directory: Path,
        max_value_bytes: int,
        stats: CacheStats | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = local_path(directory)
        self.max_value_bytes = max_value_bytes
        self.stats = stats or CacheStats()
        self._clock = clock
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=0.25, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            db.execute("DELETE FROM entries WHERE expires_at < ?", (self._clock(),))
            db.commit()
            self._db = db
        return self._db

    async def _run(self, what: str, op: Callable[[sqlite3.Connection], T], default: T) -> T:
        def locked() -> T:
            with self._lock:
                db = self._connect()
                with db:
                    return op(db)

        try:
            return await asyncio.to_thread(locked)
        except (sqlite3.Error, OSError) as exc:
            self.stats.errors += 1
            log.warning(
                "local cache %s failed (%s): treated as a miss",
                what,
                exc,
                extra={"event": "cache.error", "op": what, "path": str(self.path)},
            )
            return default

    async def get(self, key: str) -> bytes | None:
        """The value if present, fresh and intact."""
        now = self._clock()

        def op(db: sqlite3.Connection) -> bytes | None:
            row = db.execute(
                "SELECT value FROM entries"
                " WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
                (key, now),
            ).fetchone()
            return None if row is None else bytes(row[0])

        raw = await self._run("get", op, None)
        if raw is None:
            return None
        value = open_envelope(raw)
        if value is None:
            self.stats.corrupt += 1
        return value

    async def set(
        self, key: str, value: bytes, ttl_s: float | None, tags: Sequence[str] = ()
    ) -> None:
        """Store (replacing) unless over the size cap."""
        if len(value) > self.max_value_bytes:
            self.stats.oversize += 1
            return
        expires = self._clock() + ttl_s if ttl_s is not None else None

        def op(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO entries (key, value, expires_at) VALUES (?, ?, ?)",
                (key, seal(value), expires),
            )
            db.executemany(
                "INSERT OR IGNORE INTO tags (tag, key) VALUES (?, ?)", [(t, key) for t in tags]
            )

        await self._run("set", op, None)

    async def invalidate_tag(self, tag: str) -> int:
        """Delete the entries under ``tag``."""

        def op(db: sqlite3.Connection) -> int:
            cur = db.execute(
                "DELETE FROM entries WHERE key IN (SELECT key FROM tags WHERE tag = ?)", (tag,)
            )
            db.execute("DELETE FROM tags WHERE tag = ?", (tag,))
            return cur.rowcount

        return await self._run("invalidate_tag", op, 0)

    async def acquire_lease(self, key: str, ttl_s: float) -> Lease:
        """A lease row; an expired one is taken over."""
        token = uuid.uuid4().hex
        now = self._clock()

        def op(db: sqlite3.Connection) -> bool:
            db.execute("DELETE FROM leases WHERE key = ? AND expires_at <= ?", (key, now))
            cur = db.execute(
                "INSERT OR IGNORE INTO leases (key, token, expires_at) VALUES (?, ?, ?)",
                (key, token, now + ttl_s),
            )
            return cur.rowcount == 1

        got = await self._run("lease", op, None)
        if got is None:
            return Lease()
        return Lease(token=token) if got else Lease(held_elsewhere=True)

    async def release_lease(self, key: str, token: str) -> None:
        """Delete the lease if it is still ours."""
        await self._run(
            "release",
            lambda db: db.execute("DELETE FROM leases WHERE key = ? AND token = ?", (key, token)),
            None,
        )

    async def close(self) -> None:
        """Close the database file."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
