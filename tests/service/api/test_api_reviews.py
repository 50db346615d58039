"""``POST /v1/reviews`` and ``GET /v1/reviews/{id}``: submission, results, formats, errors."""

from __future__ import annotations

import json

from tests.service.api.apistack import BODY, DIFF, ApiStack


async def test_a_submitted_change_is_queued_then_reviewed(stack: ApiStack) -> None:
    answer = await stack.client.post("/v1/reviews", json=BODY, headers=stack.auth())
    assert answer.status_code == 202
    body = answer.json()
    assert body["status"] == "queued"
    assert answer.headers["location"] == f"/v1/reviews/{body['id']}" == body["location"]
    assert body["page"] == f"/ui/reviews/{body['id']}"
    record = await stack.finished(body["id"])
    assert record["status"] == "done"
    assert record["owner"] == "alice"
    assert [(f["path"], f["line"]) for f in record["review"]["findings"]] == [
        ("app.py", 2),
        ("app.py", 3),
    ]


async def test_options_reach_the_review_config(stack: ApiStack) -> None:
    options = {
        "tools_only": True,
        "fail_on": "low",
        "filter_mode": "file",
        "instructions": "Be brief.",
    }
    review_id = await stack.submit(options=options)
    await stack.finished(review_id)
    (config,) = stack.reviewer.calls
    assert (config.tools_only, config.fail_on, config.filter_mode) == (True, "low", "file")
    assert config.controls.instructions.text == "Be brief."


async def test_sarif_and_markdown_are_the_review_rendered(stack: ApiStack) -> None:
    review_id = await stack.submit()
    await stack.finished(review_id)
    sarif = await stack.client.get(f"/v1/reviews/{review_id}?format=sarif", headers=stack.auth())
    assert sarif.headers["content-type"].startswith("application/sarif+json")
    results = sarif.json()["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["fake-eval", "fake-eval"]
    markdown = await stack.client.get(
        f"/v1/reviews/{review_id}?format=markdown", headers=stack.auth()
    )
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "eval on line 2" in markdown.text
    bad = await stack.client.get(f"/v1/reviews/{review_id}?format=html", headers=stack.auth())
    assert (bad.status_code, bad.json()["field"]) == (422, "format")


async def test_a_review_still_running_has_no_rendered_result(gated: ApiStack) -> None:
    review_id = await gated.submit()
    await gated.reviewer.started.wait()
    record = await gated.client.get(f"/v1/reviews/{review_id}", headers=gated.auth())
    assert record.json()["status"] == "running"
    early = await gated.client.get(f"/v1/reviews/{review_id}?format=sarif", headers=gated.auth())
    assert (early.status_code, early.json()["code"]) == (409, "not_ready")
    gated.reviewer.release(3)
    assert (await gated.finished(review_id))["status"] == "done"


async def test_validation_errors_name_the_field(stack: ApiStack) -> None:
    cases = [
        ({"files": {}}, "diff", "invalid_request"),
        ({**BODY, "options": {"fail_on": "severe"}}, "options.fail_on", "invalid_request"),
        ({**BODY, "surprise": 1}, "surprise", "invalid_request"),
        ({**BODY, "files": {"../etc/passwd": "x"}}, "files.../etc/passwd", "invalid_request"),
        ({"diff": DIFF, "files": {}}, "diff", "invalid_change"),  # app.py's content missing
        ({**BODY, "files": {"app.py": "other\n"}}, "diff", "invalid_change"),
    ]
    for body, field, code in cases:
        answer = await stack.client.post("/v1/reviews", json=body, headers=stack.auth())
        assert answer.status_code == 422, (body, answer.text)
        assert (answer.json()["field"], answer.json()["code"]) == (field, code), answer.text
        assert "/tmp" not in answer.json()["message"]


async def test_malformed_and_wrongly_typed_bodies_are_refused(stack: ApiStack) -> None:
    auth = stack.auth()
    bad_json = await stack.client.post(
        "/v1/reviews", content=b"{not json", headers={**auth, "content-type": "application/json"}
    )
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, "invalid_json")
    form = await stack.client.post("/v1/reviews", data={"diff": "x"}, headers=auth)
    assert (form.status_code, form.json()["code"], form.json()["field"]) == (
        415,
        "unsupported_media",
        "Content-Type",
    )


async def test_unknown_paths_and_methods_answer_json(stack: ApiStack) -> None:
    missing = await stack.client.get("/v1/nothing-here")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    wrong = await stack.client.delete("/v1/reviews")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")


async def test_an_unknown_review_is_not_found(stack: ApiStack) -> None:
    for review_id in ("rv_000000000000000000000000", "anything"):
        answer = await stack.client.get(f"/v1/reviews/{review_id}", headers=stack.auth())
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


async def test_the_record_and_change_expire_with_the_configured_ttl(stack: ApiStack) -> None:
    review_id = await stack.submit()
    await stack.finished(review_id)
    ttl = await stack.redis.pttl(f"{stack.prefix}api:review:{review_id}")
    assert 0 < ttl <= stack.config.record_ttl_s * 1000
    events_ttl = await stack.redis.pttl(f"{stack.prefix}api:events:{review_id}")
    assert 0 < events_ttl <= stack.config.record_ttl_s * 1000
    change = await stack.client.get(f"/v1/reviews/{review_id}/change", headers=stack.auth())
    (file,) = change.json()["files"]
    assert file["path"] == "app.py"
    assert "+    y = eval(x)" in file["hunks"][0]["text"]
    assert json.loads(json.dumps(change.json()))  # plain JSON
