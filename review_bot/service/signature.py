"""GitHub's ``X-Hub-Signature-256``: HMAC-SHA256 of the raw body, compared in constant time.

Several secrets may be accepted at once, so a secret can be rotated without dropping the
deliveries signed with the old one. Every secret is checked, match or not, so the time taken
does not tell which one (if any) matched.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Literal

__all__ = ["SignatureCheck", "sign", "verify_signature"]

SignatureCheck = Literal["valid", "missing", "malformed", "mismatch"]
_PREFIX = "sha256="
_HEX = frozenset("0123456789abcdefABCDEF")
_DIGEST_HEX_LEN = 64


def sign(body: bytes, secret: bytes) -> str:
    """The header value GitHub sends for ``body`` signed with ``secret``."""
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secrets: Sequence[bytes]) -> SignatureCheck:
    """Check ``header`` against ``body`` for any of ``secrets``.

    Returns ``missing`` (no header), ``malformed`` (wrong prefix, length, non-hex or
    non-ASCII), ``mismatch`` (well-formed but signed with none of the secrets), or ``valid``.
    """
    if header is None or header == "":
        return "missing"
    if not header.startswith(_PREFIX):
        return "malformed"
    digest = header[len(_PREFIX) :]
    if len(digest) != _DIGEST_HEX_LEN or not set(digest) <= _HEX:
        return "malformed"
    given = bytes.fromhex(digest)
    matched = False
    for secret in secrets:
        expected = hmac.new(secret, body, hashlib.sha256).digest()
        matched |= hmac.compare_digest(expected, given)
    return "valid" if matched else "mismatch"
