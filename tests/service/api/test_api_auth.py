"""Authentication (JWT HS256, API keys) and roles: who may do what, and what others see."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from review_bot.service.api.auth import Principal, decode_token, mint_token
from review_bot.service.api.errors import ApiError
from tests.service.api.apistack import BODY, SECRET, ApiStack

KEY = SECRET.encode()


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_minted_token_round_trips_its_claims() -> None:
    token = mint_token(KEY, sub="ci-bot", role="auditor", plan="enterprise", ttl_s=60)
    assert decode_token(token, KEY, leeway_s=0) == Principal("ci-bot", "auditor", "enterprise")
    claims = jwt.decode(token, KEY, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 60


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (
            mint_token(
                KEY, sub="a", role="admin", plan="standard", ttl_s=60, now=time.time() - 3600
            ),
            "expired",
        ),
        (
            mint_token(b"another-key" * 4, sub="a", role="admin", plan="standard", ttl_s=60),
            "signature",
        ),
        (
            _b64({"alg": "none", "typ": "JWT"})
            + "."
            + _b64({"sub": "a", "role": "admin", "exp": 2**40})
            + ".",
            "HS256",
        ),
        (
            jwt.encode({"sub": "a", "role": "admin", "exp": 2**40}, KEY * 2, algorithm="HS512"),
            "HS256",
        ),
        (jwt.encode({"sub": "a", "role": "root", "exp": 2**40}, KEY, algorithm="HS256"), "role"),
        (jwt.encode({"sub": "a", "role": "admin"}, KEY, algorithm="HS256"), "'exp'"),
        (jwt.encode({"role": "admin", "exp": 2**40}, KEY, algorithm="HS256"), "'sub'"),
        ("not.a.token", "malformed"),
    ],
    ids=["expired", "wrong-key", "alg-none", "hs512", "bad-role", "no-exp", "no-sub", "garbage"],
)
def test_bad_tokens_are_refused_with_the_reason(token: str, reason: str) -> None:
    with pytest.raises(ApiError, match=reason) as caught:
        decode_token(token, KEY, leeway_s=30)
    assert (caught.value.status, caught.value.code) == (401, "unauthenticated")


def test_the_leeway_accepts_a_token_just_expired_and_no_more() -> None:
    just = mint_token(KEY, sub="a", role="admin", plan="standard", ttl_s=10, now=time.time() - 20)
    assert decode_token(just, KEY, leeway_s=30).sub == "a"
    with pytest.raises(ApiError, match="expired"):
        decode_token(just, KEY, leeway_s=5)


async def test_requests_without_good_credentials_are_401(stack: ApiStack) -> None:
    expired = mint_token(
        KEY, sub="a", role="admin", plan="standard", ttl_s=1, now=time.time() - 600
    )
    for headers in (
        {},
        {"Authorization": "Basic YTpi"},
        {"Authorization": f"Bearer {expired}"},
        {"X-API-Key": "rbk_0000000000000000_nope"},  # keys are off in this stack
    ):
        answer = await stack.client.post("/v1/reviews", json=BODY, headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (401, "unauthenticated"), headers
        assert answer.headers["www-authenticate"] == "Bearer"


async def test_roles_decide_who_submits_reads_and_audits(stack: ApiStack) -> None:
    review_id = await stack.submit("alice")
    await stack.finished(review_id)
    auditor_submits = await stack.client.post(
        "/v1/reviews", json=BODY, headers=stack.auth("eve", "auditor")
    )
    assert (auditor_submits.status_code, auditor_submits.json()["code"]) == (403, "forbidden")
    admin = await stack.client.post("/v1/reviews", json=BODY, headers=stack.auth("root", "admin"))
    assert admin.status_code == 202
    matrix = {
        ("alice", "submitter"): 200,  # her own
        ("bob", "submitter"): 404,  # not his: as if it did not exist
        ("eve", "auditor"): 200,
        ("root", "admin"): 200,
    }
    for (sub, role), status in matrix.items():
        got = await stack.client.get(f"/v1/reviews/{review_id}", headers=stack.auth(sub, role))
        assert got.status_code == status, (sub, role)
        change = await stack.client.get(
            f"/v1/reviews/{review_id}/change", headers=stack.auth(sub, role)
        )
        assert change.status_code == status, (sub, role)
    bob = await stack.client.get(f"/v1/reviews/{review_id}", headers=stack.auth("bob"))
    unknown = await stack.client.get(
        "/v1/reviews/rv_ffffffffffffffffffffffff", headers=stack.auth("bob")
    )
    assert bob.json()["code"] == unknown.json()["code"] == "not_found"


async def test_only_auditors_and_admins_get_transcripts_and_verify(stack: ApiStack) -> None:
    review_id = await stack.submit("alice")
    await stack.finished(review_id)
    for sub, role in (("alice", "submitter"), ("bob", "submitter")):
        for method, path in (("GET", "transcript"), ("POST", "verify")):
            answer = await stack.client.request(
                method, f"/v1/reviews/{review_id}/{path}", headers=stack.auth(sub, role)
            )
            assert (answer.status_code, answer.json()["code"]) == (403, "forbidden"), (sub, path)
    # this stack keeps no transcripts: the auditor is told so (test_api_audit has one that does)
    answer = await stack.client.get(
        f"/v1/reviews/{review_id}/transcript", headers=stack.auth("eve", "auditor")
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "no_transcript")
