"""GitHub App auth: the App's JWT is accepted by GitHub, installation tokens are cached."""

from __future__ import annotations

import jwt
import pytest

from review_bot.errors import ConfigError
from review_bot.github.auth import AppAuth, app_jwt
from review_bot.github.client import GitHubClient, GitHubStatusError, make_auth
from tests.github.helpers import APP_ID, NOW, fake_github, rsa_key_pair

REPO = "acme/widgets"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return rsa_key_pair()


async def test_installation_token_is_cached_per_installation(keys) -> None:
    private, public = keys
    with fake_github(app_id=APP_ID, app_public_key=public) as (gh, url):
        gh.permissions[(REPO, "octo")] = "write"
        auth = make_auth(api_url=url, token=None, app_id=APP_ID, private_key_pem=private)
        for installation in (42, 42, 7, 42):
            async with GitHubClient(url, auth, installation_id=installation) as client:
                data = await client.get_json(f"/repos/{REPO}/collaborators/octo/permission")
                assert data == {"permission": "write"}
        # one exchange per installation; the later clients reuse the cached tokens
        assert [i for i, _ in gh.issued_tokens] == [42, 7]


async def test_a_token_close_to_expiry_is_renewed(keys) -> None:
    private, public = keys
    # GitHub says the token expires in 60 s: too close to trust for another call
    with fake_github(app_id=APP_ID, app_public_key=public, token_ttl_s=60) as (gh, url):
        auth = make_auth(api_url=url, token=None, app_id=APP_ID, private_key_pem=private)
        async with GitHubClient(url, auth, installation_id=42) as client:
            await client.get_json(f"/repos/{REPO}/collaborators/octo/permission")
            await client.get_json(f"/repos/{REPO}/collaborators/octo/permission")
        assert len(gh.issued_tokens) == 2


async def test_cached_token_is_kept_until_its_expiry_margin(keys) -> None:
    private, _ = keys
    now = [NOW]
    exchanged: list[tuple[str, int]] = []

    async def exchange(app_token: str, installation: int) -> tuple[str, float]:
        exchanged.append((app_token, installation))
        return f"token-{len(exchanged)}", now[0] + 3600

    auth = AppAuth(APP_ID, private, exchange, clock=lambda: now[0])
    assert await auth.header(42) == "Bearer token-1"
    now[0] += 3000  # 10 minutes left: still good
    assert await auth.header(42) == "Bearer token-1"
    now[0] += 500  # under two minutes left: renew
    assert await auth.header(42) == "Bearer token-2"
    assert len(exchanged) == 2


def test_the_app_jwt_is_rs256_signed_short_lived_and_backdated(keys) -> None:
    private, public = keys
    token = app_jwt(APP_ID, private, now=NOW)
    claims = jwt.decode(
        token, public, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False}
    )
    assert claims["iss"] == APP_ID
    assert claims["iat"] < NOW  # backdated for clock drift
    assert claims["exp"] - claims["iat"] <= 600  # GitHub's limit is ten minutes


async def test_a_jwt_signed_with_another_key_is_refused(keys) -> None:
    _, public = keys
    other, _ = rsa_key_pair()
    with fake_github(app_id=APP_ID, app_public_key=public) as (gh, url):
        auth = make_auth(api_url=url, token=None, app_id=APP_ID, private_key_pem=other)
        async with GitHubClient(url, auth, installation_id=42) as client:
            with pytest.raises(GitHubStatusError, match="401") as info:
                await client.get_json(f"/repos/{REPO}/collaborators/octo/permission")
        assert info.value.status == 401
        assert gh.issued_tokens == []


def test_an_unusable_private_key_is_a_config_error_without_the_key(keys) -> None:
    with pytest.raises(ConfigError, match="GITHUB_APP_PRIVATE_KEY") as info:
        app_jwt(APP_ID, "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----")
    assert "not a key" not in str(info.value)


def test_secrets_stay_out_of_reprs(keys) -> None:
    private, _ = keys

    async def exchange(app_token: str, installation: int) -> tuple[str, float]:
        raise AssertionError("not called")

    auth = AppAuth(APP_ID, private, exchange)
    assert "PRIVATE" not in repr(auth)
    assert APP_ID in repr(auth)
