"""API keys in PostgreSQL: shown once, hashed at rest, revocable, with a last-used time; the CLI."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator

import jwt
import psycopg
import pytest

from review_bot.service.api.keys import KeyStore
from tests.service.api.apistack import (
    BODY,
    SECRET,
    ApiStack,
    ScriptedReviewer,
    api_config,
    start_stack,
    stop_stack,
)

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def subject() -> Iterator[str]:
    name = f"svc-{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute("DELETE FROM review_bot_api_keys WHERE subject = %s", (name,))


@pytest.fixture
async def keyed() -> AsyncIterator[ApiStack]:
    running = await start_stack(api_config(database_url=PG_URL), ScriptedReviewer())
    yield running[0]
    await stop_stack(*running)


def test_a_key_is_stored_as_a_hash_and_found_by_its_secret(subject: str) -> None:
    store = KeyStore(PG_URL)
    try:
        key, row = store.create(subject, "submitter", "enterprise")
        assert key.startswith(f"rbk_{row.id}_")
        with psycopg.connect(PG_URL) as conn:
            (stored,) = conn.execute(
                "SELECT secret_sha256 FROM review_bot_api_keys WHERE id = %s", (row.id,)
            ).fetchone() or (None,)
        secret = key.split("_", 2)[2]
        assert bytes(stored) == hashlib.sha256(secret.encode()).digest()
        assert secret.encode() not in bytes(stored)
        principal = store.lookup(key)
        assert principal is not None
        assert (principal.sub, principal.role, principal.plan, principal.via) == (
            subject,
            "submitter",
            "enterprise",
            "key",
        )
        assert store.lookup(key[:-2] + "zz") is None  # same id, wrong secret
        assert store.lookup("rbk_short_x") is None
        (listed,) = [k for k in store.list() if k.id == row.id]
        assert listed.last_used_at is not None
        assert store.revoke(row.id)
        assert store.lookup(key) is None
        assert not store.revoke(row.id)  # already revoked
    finally:
        store.close()


async def test_a_key_authenticates_until_it_is_revoked(keyed: ApiStack, subject: str) -> None:
    store = KeyStore(PG_URL)
    try:
        key, row = store.create(subject, "submitter")
        accepted = await keyed.client.post("/v1/reviews", json=BODY, headers={"X-API-Key": key})
        assert accepted.status_code == 202, accepted.text
        bearer = await keyed.client.get(
            accepted.headers["location"], headers={"Authorization": f"Bearer {key}"}
        )
        assert bearer.json()["owner"] == subject
        store.revoke(row.id)
        refused = await keyed.client.get(accepted.headers["location"], headers={"X-API-Key": key})
        assert (refused.status_code, refused.json()["code"]) == (401, "unauthenticated")
        assert "revoked" in refused.json()["message"]
    finally:
        store.close()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "review_bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_the_cli_creates_lists_and_revokes_keys_and_mints_tokens(
    subject: str, tmp_path: object
) -> None:
    import os

    env = {**os.environ, "REVIEW_BOT_API_DATABASE_URL": PG_URL, "API_SECRET_KEY": SECRET}
    created = _cli("api-key", "create", "--subject", subject, "--role", "auditor", env=env)
    assert created.returncode == 0, created.stderr
    key, note = created.stdout.splitlines()
    assert "not shown again" in note
    key_id = key.split("_")[1]
    listed = _cli("api-key", "list", env=env)
    line = next(line for line in listed.stdout.splitlines() if line.startswith(key_id))
    assert subject in line
    assert "live" in line
    assert key.split("_", 2)[2] not in listed.stdout  # the secret is never listed
    assert _cli("api-key", "revoke", key_id, env=env).returncode == 0
    again = _cli("api-key", "revoke", key_id, env=env)
    assert again.returncode == 2
    assert "no live key" in again.stderr
    assert "revoked" in next(
        row
        for row in _cli("api-key", "list", env=env).stdout.splitlines()
        if row.startswith(key_id)
    )
    token = _cli(
        "token",
        "--subject",
        "ci",
        "--role",
        "submitter",
        "--plan",
        "enterprise",
        "--ttl",
        "90",
        env=env,
    )
    claims = jwt.decode(token.stdout.strip(), SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["role"], claims["plan"], claims["exp"] - claims["iat"]) == (
        "ci",
        "submitter",
        "enterprise",
        90,
    )
    bad_role = _cli("token", "--subject", "ci", "--role", "root", env=env)
    assert bad_role.returncode == 2
    no_key = _cli(
        "token",
        "--subject",
        "ci",
        "--role",
        "admin",
        env={k: v for k, v in env.items() if k != "API_SECRET_KEY"},
    )
    assert no_key.returncode == 2
    assert "API_SECRET_KEY" in no_key.stderr
