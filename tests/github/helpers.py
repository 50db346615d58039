"""Shared pieces of the GitHub client tests: an RSA App key, a recording sleep, a fake server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.github_server import FakeGitHub, serve_fake_github

APP_ID = "31337"
NOW = 1_800_000_000.0


def rsa_key_pair() -> tuple[str, str]:
    """A fresh 2048-bit RSA key: (private PEM, public PEM), as a GitHub App gets them."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class Sleeps:
    """A sleep that only records how long the client wanted to wait."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@contextmanager
def fake_github(**state: object) -> Iterator[tuple[FakeGitHub, str]]:
    """A FakeGitHub with ``state`` on a loopback port: (state, base URL)."""
    gh = FakeGitHub(**state)  # type: ignore[arg-type]
    with serve_fake_github(gh) as url:
        yield gh, url
