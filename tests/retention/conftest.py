"""Real Redis (6379) and PostgreSQL (5432, db test): a unique key prefix and schema per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

from review_bot.config.service import ServiceConfig
from review_bot.config.settings import Settings, load_settings

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Deployment:
    """A deployment's stores, all under this test's own names."""

    name: str
    tmp: Path
    redis: redis.Redis
    service: ServiceConfig
    transcripts: str

    def settings(self, *, transcripts: str | None = None, redis_cache: bool = True,
                 retention: str = "") -> Settings:  # fmt: skip
        config = self.tmp / "review-bot.toml"
        config.write_text(
            '[review.tools]\nenabled = ["ruff"]\n'
            f'[cache]\nnamespace = "{self.name}"\n'
            f"[retention]\n{retention}\n"
        )
        env = {
            "REVIEW_BOT_CACHE_DIR": str(self.tmp / "cache"),
            "REVIEW_BOT_TRANSCRIPTS": transcripts or self.transcripts,
        }
        if redis_cache:
            env["REDIS_URL"] = REDIS_URL
        return load_settings(config, env)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    name = f"t{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # fail loudly without Redis
    service = ServiceConfig(redis_url=REDIS_URL, redis_prefix=f"{name}:")
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield Deployment(name, tmp_path, client, service, f"{POSTGRES}?schema={name}")
    finally:
        for key in client.scan_iter(match=f"{name}*", count=500):
            client.delete(key)
        client.close()
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')
