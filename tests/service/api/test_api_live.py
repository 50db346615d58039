"""Live events: SSE and WebSocket delivery, late joiners, Last-Event-ID resume, several
viewers, Origin checks; on the Redis stream and on the in-process log."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx_sse import aconnect_sse
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.service.api.apistack import (
    ApiStack,
    ScriptedReviewer,
    api_config,
    start_stack,
    stop_stack,
)

Seen = tuple[str, str, dict[str, Any]]


async def follow(
    stack: ApiStack,
    review_id: str,
    *,
    last: str | None = None,
    sub: str = "alice",
    role: str = "submitter",
) -> AsyncIterator[Seen]:
    headers = stack.auth(sub, role)
    if last is not None:
        headers["Last-Event-ID"] = last
    async with aconnect_sse(
        stack.client, "GET", f"/v1/reviews/{review_id}/events", headers=headers
    ) as source:
        assert source.response.status_code == 200, await source.response.aread()
        async for sse in source.aiter_sse():
            if not sse.data:  # the opening "retry:" field carries no event
                continue
            yield sse.id, sse.event, json.loads(sse.data)


async def collect(
    stack: ApiStack, review_id: str, connected: asyncio.Event | None = None, **kw: Any
) -> list[Seen]:
    seen = []
    async for event in follow(stack, review_id, **kw):
        seen.append(event)
        if connected is not None:
            connected.set()
    return seen


async def test_a_viewer_sees_findings_while_the_review_runs(gated: ApiStack) -> None:
    review_id = await gated.submit()
    stream = follow(gated, review_id)
    kinds: list[str] = []
    async for _, kind, event in stream:
        kinds.append(kind)
        if kind == "findings":
            assert len(event["data"]["findings"]) == 1
            record = await gated.client.get(f"/v1/reviews/{review_id}", headers=gated.auth())
            assert record.json()["status"] == "running"  # seen live, not after the fact
            gated.reviewer.release()
        elif kind == "review.running":
            gated.reviewer.release()  # the first finding
    assert kinds[:3] == ["review.queued", "review.running", "review.started"]
    assert kinds.count("findings") == 2
    assert kinds[-1] == "review.finished"
    assert "model.request" not in kinds  # prompts are not for viewers


async def test_cost_is_summed_and_the_final_event_carries_the_review(stack: ApiStack) -> None:
    review_id = await stack.submit()
    events = await collect(stack, review_id)
    (usage,) = [e["data"] for _, kind, e in events if kind == "model.usage"]
    assert (usage["cost_usd"], usage["cost_usd_total"]) == (0.25, 0.25)
    assert "messages" not in usage
    final = events[-1][2]
    assert final["kind"] == "review.finished"
    assert len(final["data"]["review"]["findings"]) == 2
    assert [e[0] for e in events] == [e[2]["id"] for e in events]  # SSE id == the event's id


async def test_two_viewers_follow_one_review_and_a_late_one_gets_it_all(gated: ApiStack) -> None:
    review_id = await gated.submit()
    connected = [asyncio.Event(), asyncio.Event()]
    viewers = [
        asyncio.create_task(collect(gated, review_id, connected[0])),
        asyncio.create_task(collect(gated, review_id, connected[1], sub="eve", role="auditor")),
    ]
    for event in connected:
        await event.wait()  # both are following before the review gets anywhere
    gated.reviewer.release(3)
    first, second = await asyncio.gather(*viewers)
    assert first == second
    assert first[-1][1] == "review.finished"
    assert await collect(gated, review_id) == first  # late: everything from the start
    refused = await gated.client.get(f"/v1/reviews/{review_id}/events", headers=gated.auth("bob"))
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")


async def test_last_event_id_resumes_after_the_event_named(stack: ApiStack) -> None:
    review_id = await stack.submit()
    everything = await collect(stack, review_id)
    cut = everything[3][0]
    resumed = await collect(stack, review_id, last=cut)
    assert resumed == everything[4:]
    query = await stack.client.get(
        f"/v1/reviews/{review_id}/events?after=nonsense", headers=stack.auth()
    )
    assert (query.status_code, query.json()["field"]) == (422, "Last-Event-ID")


def _ws_url(stack: ApiStack, review_id: str, query: str = "") -> str:
    return f"ws://127.0.0.1:{stack.port}/v1/reviews/{review_id}/ws{query}"


async def _ws_events(stack: ApiStack, review_id: str, **connect_kw: Any) -> list[dict[str, Any]]:
    hello = connect_kw.pop("hello", None)
    async with connect(_ws_url(stack, review_id, connect_kw.pop("query", "")), **connect_kw) as ws:
        if hello is not None:
            await ws.send(json.dumps(hello))
        return [json.loads(frame) async for frame in ws]


async def test_websocket_delivers_the_same_events_with_the_token_in_the_first_message(
    stack: ApiStack,
) -> None:
    review_id = await stack.submit()
    over_sse = await collect(stack, review_id)
    frames = await _ws_events(
        stack, review_id, hello={"token": stack.token()}, origin="https://ok.example"
    )
    assert [(f["id"], f["kind"]) for f in frames] == [(e[0], e[1]) for e in over_sse]
    header = await _ws_events(
        stack,
        review_id,
        additional_headers=stack.auth("eve", "auditor"),
        query=f"?after={over_sse[2][0]}",
    )
    assert [f["id"] for f in header] == [e[0] for e in over_sse[3:]]
    own_origin = await _ws_events(
        stack, review_id, hello={"token": stack.token()}, origin=f"http://127.0.0.1:{stack.port}"
    )
    assert len(own_origin) == len(over_sse)


async def test_websocket_refuses_a_foreign_origin_and_bad_tokens(stack: ApiStack) -> None:
    review_id = await stack.submit()
    with pytest.raises(InvalidStatus) as refused:
        await _ws_events(
            stack, review_id, hello={"token": stack.token()}, origin="https://evil.example"
        )
    assert refused.value.response.status_code == 403
    async with connect(_ws_url(stack, review_id), origin="https://ok.example") as ws:
        await ws.send(json.dumps({"token": "not-a-token"}))
        error = json.loads(await ws.recv())
        assert error["error"]["code"] == "unauthenticated"
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008
    async with connect(_ws_url(stack, review_id)) as ws:
        await ws.send(json.dumps({"token": stack.token("bob")}))  # not bob's review
        assert json.loads(await ws.recv())["error"]["code"] == "not_found"


async def test_the_in_process_log_serves_the_same_stream_without_redis() -> None:
    stack, server, task = await start_stack(api_config(), ScriptedReviewer(), redis_url=None)
    try:
        review_id = await stack.submit()
        everything = await collect(stack, review_id)
        assert [e[1] for e in everything][:2] == ["review.queued", "review.running"]
        assert everything[-1][1] == "review.finished"
        assert await collect(stack, review_id, last=everything[1][0]) == everything[2:]
    finally:
        await stop_stack(stack, server, task)


async def test_an_idle_viewer_gets_keep_alives_then_the_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from review_bot.service.api import hub as hub_module
    from review_bot.service.api.events import MemoryEventLog

    monkeypatch.setattr(hub_module, "HEARTBEAT_S", 0.01)
    log = MemoryEventLog()
    hub = hub_module.MemoryHub(log)
    await log.append("rv_1", "review.queued", {})
    events = hub.follow("rv_1", "0-0")
    first = await anext(events)
    assert first is not None
    assert first.kind == "review.queued"
    assert await anext(events) is None  # nothing happened: a keep-alive
    await log.append("rv_1", "review.finished", {"status": "done"})
    rest = [e async for e in events]
    assert [e.kind for e in rest if e is not None] == ["review.finished"]
