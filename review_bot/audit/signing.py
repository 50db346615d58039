"""Keyed transcripts: an HMAC-SHA256 over the chain head, written as the last record.

The hash chain alone proves only that the records agree with each other: anyone who can
write the file can edit a record and recompute every hash after it. A signed transcript ends
with one ``transcript.signature`` record whose ``mac`` is HMAC-SHA256(key, domain + head),
where ``head`` is the hash of the record before it. The head covers every earlier record, so
a forger without the key can neither edit, delete nor re-chain a record, nor append one after
the signature, without the MAC failing or the transcript becoming unsigned (which a verifier
holding a key refuses).

Keys rotate by id: the signature names its ``key_id`` and verification looks the key up in
a keyring (the current key plus retired ones), so transcripts signed before a rotation still
verify.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from review_bot.audit.records import Record

__all__ = [
    "ALGORITHM",
    "SIGNATURE_TYPE",
    "SignatureStatus",
    "Signer",
    "check_signature",
    "transcript_mac",
]

SIGNATURE_TYPE = "transcript.signature"
ALGORITHM = "hmac-sha256"
_DOMAIN = b"review-bot transcript signature v1\n"

# valid: the MAC matches a key of the ring; unsigned: no signature record; unchecked: signed,
# but no keyring was given; unknown-key: signed by a key id the ring does not hold
SignatureStatus = Literal["valid", "unsigned", "unchecked", "unknown-key"]


def transcript_mac(key: bytes, head: str) -> str:
    """HMAC-SHA256 of the chain head (hex), domain-separated from any other use of the key."""
    return hmac.new(key, _DOMAIN + head.encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Signer:
    """Signs a transcript's head with one key of the keyring."""

    key_id: str
    key: bytes = field(repr=False)

    def signature(self, head: str) -> dict[str, Any]:
        """The data of the signature record for a chain ending in ``head``."""
        return {
            "alg": ALGORITHM,
            "key_id": self.key_id,
            "head": head,
            "mac": transcript_mac(self.key, head),
        }


def check_signature(
    record: Record, prev: str, keyring: Mapping[str, bytes] | None
) -> tuple[SignatureStatus, str]:
    """Check a signature record that follows a chain ending in ``prev``.

    Returns the status and, when the signature is forged or malformed, the reason (the
    caller reports the record as broken); the reason is empty otherwise.
    """
    data = record.data
    key_id = data.get("key_id")
    mac = data.get("mac")
    if data.get("alg") != ALGORITHM or not isinstance(key_id, str) or not isinstance(mac, str):
        return "unsigned", f"its signature is not an {ALGORITHM} signature with a key id"
    if data.get("head") != prev:
        return "unsigned", "its signature covers another chain head: records were changed"
    if not keyring:
        return "unchecked", ""
    key = keyring.get(key_id)
    if key is None:
        return "unknown-key", ""
    if not hmac.compare_digest(transcript_mac(key, prev), mac):
        return "unsigned", (
            f"its signature does not match key {key_id!r}: the transcript was rewritten "
            "or re-chained without the key"
        )
    return "valid", ""
