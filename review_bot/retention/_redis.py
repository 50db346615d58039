"""The Redis side of retention and erasure: TTL caps and deletions by key pattern (SCAN,
never KEYS, so a large keyspace is walked without blocking the server)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import redis
from redis.exceptions import RedisError

from review_bot.errors import DependencyUnavailable

__all__ = [
    "cap_ttls",
    "client",
    "delete_keys",
    "delete_matching",
    "drop_queued",
    "drop_tag",
    "glob_escape",
    "values_matching",
]

_BATCH = 500
_GLOB = re.compile(r"([*?\[\]\\])")


def glob_escape(text: str) -> str:
    """``text`` as a literal inside a SCAN MATCH pattern."""
    return _GLOB.sub(r"\\\1", text)


def client(url: str) -> redis.Redis:
    """A client for an operator command: patient timeouts (it is not on a request path)."""
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)


def _keys(r: redis.Redis, pattern: str) -> Iterator[bytes]:
    try:
        yield from r.scan_iter(match=pattern, count=_BATCH)
    except RedisError as exc:
        raise _unavailable(exc) from exc


def _chunks(keys: Iterator[bytes]) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    for key in keys:
        chunk.append(key)
        if len(chunk) >= _BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def cap_ttls(r: redis.Redis, pattern: str, max_ms: int, *, dry_run: bool = False) -> int:
    """Give every key matching ``pattern`` a TTL of at most ``max_ms`` (keys without one
    included); how many keys were (or would be) shortened."""
    capped = 0
    try:
        for chunk in _chunks(_keys(r, pattern)):
            ttls = r.pipeline(transaction=False)
            for key in chunk:
                ttls.pttl(key)
            over = [k for k, t in zip(chunk, ttls.execute(), strict=True) if t == -1 or t > max_ms]
            capped += len(over)
            if over and not dry_run:
                pipe = r.pipeline(transaction=False)
                for key in over:
                    pipe.pexpire(key, max_ms)
                pipe.execute()
    except RedisError as exc:
        raise _unavailable(exc) from exc
    return capped


def delete_matching(r: redis.Redis, pattern: str, *, dry_run: bool = False) -> int:
    """Delete every key matching ``pattern``; how many."""
    deleted = 0
    try:
        for chunk in _chunks(_keys(r, pattern)):
            deleted += len(chunk) if dry_run else int(r.delete(*chunk))
    except RedisError as exc:
        raise _unavailable(exc) from exc
    return deleted


def values_matching(r: redis.Redis, pattern: str) -> Iterator[tuple[str, bytes]]:
    """``(key, value)`` of every string key matching ``pattern`` (keys gone meanwhile, or
    of another type, are left out: MGET answers nil for them)."""
    try:
        for chunk in _chunks(_keys(r, pattern)):
            values: list[Any] = r.mget(chunk)  # bytes or None: no decoded responses
            for key, value in zip(chunk, values, strict=True):
                if isinstance(value, bytes):
                    yield key.decode("utf-8", "replace"), value
    except RedisError as exc:
        raise _unavailable(exc) from exc


def delete_keys(r: redis.Redis, keys: Sequence[str], *, dry_run: bool = False) -> int:
    """Delete ``keys``; how many existed."""
    counted = 0
    try:
        for start in range(0, len(keys), _BATCH):
            chunk = keys[start : start + _BATCH]
            counted += int(r.exists(*chunk)) if dry_run else int(r.delete(*chunk))
    except RedisError as exc:
        raise _unavailable(exc) from exc
    return counted


def drop_tag(r: redis.Redis, tag_key: str, *, dry_run: bool = False) -> int:
    """Delete every key in the tag set ``tag_key``, then the set; how many keys existed."""
    try:
        members = list(r.smembers(tag_key))
        existing = 0
        for start in range(0, len(members), _BATCH):
            chunk = members[start : start + _BATCH]
            existing += int(r.exists(*chunk)) if dry_run else int(r.delete(*chunk))
        if not dry_run:
            r.delete(tag_key)
    except RedisError as exc:
        raise _unavailable(exc) from exc
    return existing


def _job_of(message: bytes) -> dict[str, Any] | None:
    """The review job a queued Celery message carries (kombu's envelope, protocol 2)."""
    try:
        envelope = json.loads(message)
        args = json.loads(base64.b64decode(envelope["body"]))[0]
    except (ValueError, KeyError, IndexError, TypeError):
        return None  # not one of our messages: never touched
    job = args[0] if isinstance(args, list) and args else None
    return job if isinstance(job, dict) else None


def drop_queued(
    r: redis.Redis,
    lists: Sequence[str],
    match: Callable[[dict[str, Any]], bool],
    *,
    dry_run: bool = False,
) -> int:
    """Remove the queued jobs ``match`` picks from the broker ``lists``; how many.

    LREM removes the exact message, so a job a worker took meanwhile is simply not found.
    """
    dropped = 0
    try:
        for name in lists:
            for message in r.lrange(name, 0, -1):
                raw: Any = message  # bytes: this client does not decode responses
                job = _job_of(raw)
                if job is None or not match(job):
                    continue
                dropped += 1 if dry_run else int(r.lrem(name, 1, raw))
    except RedisError as exc:
        raise _unavailable(exc) from exc
    return dropped


def _unavailable(exc: RedisError) -> DependencyUnavailable:
    return DependencyUnavailable(
        f"redis: {exc.__class__.__name__}: {exc}; check REDIS_URL and that Redis is up"
    )
