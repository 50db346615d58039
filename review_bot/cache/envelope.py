"""Framing of values in shared stores, so corrupt or foreign bytes read as a miss."""

from __future__ import annotations

import hashlib

__all__ = ["open_envelope", "seal"]

_MAGIC = b"RBC1"
_DIGEST = 32


def seal(payload: bytes) -> bytes:
    """``payload`` prefixed by a magic and its sha256."""
    return _MAGIC + hashlib.sha256(payload).digest() + payload


def open_envelope(data: bytes | None) -> bytes | None:
    """The payload, or None when ``data`` is missing, truncated or altered."""
    if data is None or len(data) < len(_MAGIC) + _DIGEST or not data.startswith(_MAGIC):
        return None
    digest = data[len(_MAGIC) : len(_MAGIC) + _DIGEST]
    payload = data[len(_MAGIC) + _DIGEST :]
    if hashlib.sha256(payload).digest() != digest:
        return None
    return payload
