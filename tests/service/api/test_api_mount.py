"""The API is served by ``review-bot serve``'s app beside the webhook, and only when configured."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from review_bot.config.api import ApiConfig
from review_bot.config.service import ServiceConfig
from review_bot.config.settings import Settings
from review_bot.errors import ConfigError
from review_bot.service.api.auth import mint_token
from review_bot.service.server import build_app
from tests.service.api.apistack import BODY, SECRET, api_config

SERVICE = ServiceConfig(
    webhook_secrets=(SecretStr("hook"),), github_token=SecretStr("t"), github_bot_login="bot"
)
REVIEWER = "tests.service.fake_reviewer:review"


async def test_v1_and_ui_are_served_beside_the_webhook_and_health() -> None:
    app = build_app(SERVICE, Settings(), REVIEWER, api_config())
    token = mint_token(SECRET.encode(), sub="ci", role="submitter", plan="standard", ttl_s=60)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        assert (await client.get("/health")).json() == {"status": "ok"}
        assert (await client.get("/v1/openapi.json")).json()["openapi"] == "3.1.0"
        page = await client.get("/ui/reviews/rv_x")
        assert page.status_code == 200
        assert "review.js" in page.text
        refused = await client.post(
            "/webhooks/github", content=b"{}", headers={"content-type": "application/json"}
        )
        assert refused.status_code == 401  # the webhook's own checks still run first
        queued = await client.post(
            "/v1/reviews", json=BODY, headers={"Authorization": f"Bearer {token}"}
        )
        assert queued.status_code == 202  # (the embedded workers are not started here: no lifespan)


async def test_without_an_api_secret_there_is_no_v1() -> None:
    app = build_app(SERVICE, Settings(), REVIEWER, None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        assert (await client.get("/v1/openapi.json")).status_code == 404


def test_the_api_settings_come_from_the_environment() -> None:
    assert ApiConfig.from_env({}) is None
    env = {
        "API_SECRET_KEY": SECRET,
        "REVIEW_BOT_API_TOKEN_TTL_S": "120",
        "REVIEW_BOT_API_LEEWAY_S": "5",
        "REVIEW_BOT_API_CORS_ORIGINS": "https://a.example, https://b.example",
        "REVIEW_BOT_API_DAILY_QUOTA_ENTERPRISE": "5000",
        "REVIEW_BOT_API_MAX_BODY_BYTES": "1024",
    }
    config = ApiConfig.from_env(env)
    assert config is not None
    assert (config.token_ttl_s, config.leeway_s, config.max_body_bytes) == (120, 5, 1024)
    assert config.cors_origins == ("https://a.example", "https://b.example")
    assert (config.quota("enterprise"), config.quota("standard")) == (5000, 100)
    assert ApiConfig.model_validate_json(config.model_dump_json()).quota("enterprise") == 5000


def test_bad_api_settings_are_named() -> None:
    for env, named in [
        ({"API_SECRET_KEY": "short"}, "API_SECRET_KEY"),
        (
            {"API_SECRET_KEY": SECRET, "REVIEW_BOT_API_DAILY_QUOTA_STANDARD": "lots"},
            "REVIEW_BOT_API_DAILY_QUOTA_STANDARD",
        ),
        ({"API_SECRET_KEY": SECRET, "REVIEW_BOT_API_LEEWAY_S": "-1"}, "leeway_s"),
    ]:
        with pytest.raises(ConfigError, match=named):
            ApiConfig.from_env(env)
