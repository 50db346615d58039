"""API keys in PostgreSQL: hashed at rest, shown once, revocable, with a last-used time.

A key is ``rbk_<id>_<secret>``: the id (public, the primary key) finds the row, the secret
(32 random bytes) is stored only as its SHA-256. A hash of that much entropy needs no slow
KDF: no dictionary reaches it. The comparison is constant-time anyway.

The store is synchronous (psycopg): the CLI uses it directly, the server through
:meth:`KeyStore.lookup_async`, which runs it on a thread so the event loop never waits on
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import cast

import psycopg

from review_bot.errors import DependencyUnavailable, InputError
from review_bot.service.api.auth import KEY_PREFIX, PLANS, ROLES, Principal

__all__ = ["ApiKey", "KeyStore"]

LAST_USED_RESOLUTION_S = 60.0  # last_used_at is written at most once a minute per key

_SCHEMA = """
CREATE TABLE IF NOT EXISTS review_bot_api_keys (
    id text PRIMARY KEY,
    subject text NOT NULL,
    role text NOT NULL,
    plan text NOT NULL,
    secret_sha256 bytea NOT NULL,
    created_at double precision NOT NULL,
    revoked_at double precision,
    last_used_at double precision
)
"""


@dataclass(frozen=True)
class ApiKey:
    """A key's row, without its secret."""

    id: str
    subject: str
    role: str
    plan: str
    created_at: float
    revoked_at: float | None
    last_used_at: float | None


class KeyStore:
    """The ``review_bot_api_keys`` table (created on first use)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._lock = threading.Lock()

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=5)
                self._conn.execute(_SCHEMA)
            except psycopg.Error as exc:
                self._conn = None
                raise _unavailable(exc) from exc
        return self._conn

    def _run(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            conn = self._connect()
            try:
                cur = conn.execute(sql, params)
                return cur.fetchall() if cur.description else []
            except psycopg.OperationalError as exc:
                conn.close()
                raise _unavailable(exc) from exc
            except psycopg.Error as exc:
                raise _unavailable(exc) from exc

    def create(self, subject: str, role: str, plan: str = "standard") -> tuple[str, ApiKey]:
        """A new key for ``subject``: the key text (shown once, never stored) and its row."""
        if role not in ROLES:
            raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}")
        if plan not in PLANS:
            raise InputError(f"plan {plan!r} is not one of {', '.join(PLANS)}")
        if not subject.strip():
            raise InputError("the subject is empty; name who or what the key is for")
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        now = time.time()
        self._run(
            "INSERT INTO review_bot_api_keys (id, subject, role, plan, secret_sha256, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (key_id, subject, role, plan, _digest(secret), now),
        )
        row = ApiKey(key_id, subject, role, plan, now, None, None)
        return f"{KEY_PREFIX}{key_id}_{secret}", row

    def list(self) -> list[ApiKey]:
        """Every key, newest first (revoked ones too, with their revocation time)."""
        rows = self._run(
            "SELECT id, subject, role, plan, created_at, revoked_at, last_used_at"
            " FROM review_bot_api_keys ORDER BY created_at DESC"
        )
        return [ApiKey(*row) for row in rows]  # type: ignore[arg-type]

    def revoke(self, key_id: str) -> bool:
        """Revoke ``key_id`` (an id or a whole key); False when there is no such live key."""
        ident = _split(key_id)[0] if key_id.startswith(KEY_PREFIX) else key_id
        rows = self._run(
            "UPDATE review_bot_api_keys SET revoked_at = %s"
            " WHERE id = %s AND revoked_at IS NULL RETURNING id",
            (time.time(), ident),
        )
        return bool(rows)

    def lookup(self, key: str, now: float | None = None) -> Principal | None:
        """The principal of a live key, or None; records when it was used."""
        key_id, secret = _split(key)
        if not key_id:
            return None
        rows = self._run(
            "SELECT subject, role, plan, secret_sha256, last_used_at FROM review_bot_api_keys"
            " WHERE id = %s AND revoked_at IS NULL",
            (key_id,),
        )
        if not rows:
            return None
        row = cast("tuple[str, str, str, bytes, float | None]", rows[0])
        subject, role, plan, digest, last_used = row
        if not hmac.compare_digest(bytes(digest), _digest(secret)):
            return None
        stamp = time.time() if now is None else now
        if last_used is None or stamp - float(last_used) >= LAST_USED_RESOLUTION_S:
            self._run(
                "UPDATE review_bot_api_keys SET last_used_at = %s WHERE id = %s", (stamp, key_id)
            )
        return Principal(sub=str(subject), role=str(role), plan=str(plan), via="key")

    async def lookup_async(self, key: str) -> Principal | None:
        """:meth:`lookup` on a thread."""
        return await asyncio.to_thread(self.lookup, key)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _split(key: str) -> tuple[str, str]:
    body = key.removeprefix(KEY_PREFIX)
    key_id, sep, secret = body.partition("_")
    if not key.startswith(KEY_PREFIX) or not sep or len(key_id) != 16:
        return "", ""
    return key_id, secret


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def _unavailable(exc: psycopg.Error) -> DependencyUnavailable:
    return DependencyUnavailable(
        f"the API key store (PostgreSQL) failed ({exc.__class__.__name__}); "
        "check REVIEW_BOT_API_DATABASE_URL"
    )
