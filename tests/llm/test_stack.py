"""The model seam: our protocol, the layers around it in their order, and no agent runtime
below it (issue 14, item 4)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

import pytest

from review_bot.cache import MemoryStore, TieredCache
from review_bot.cache.completions import completion_cache
from review_bot.errors import InvalidModelOutput
from review_bot.events import RecordingSink
from review_bot.llm import (
    BudgetExhausted,
    Message,
    ModelResponse,
    RequestSettings,
    SystemMessage,
    Usage,
    UsageLedger,
    UserMessage,
    assemble,
)
from review_bot.llm.types import ModelCall

SECRET = "sk-live-0123456789abcdef"


class ScriptedModel:
    """A provider in our own types: answers in order, remembers what it was sent."""

    def __init__(self, *answers: ModelResponse) -> None:
        self.answers = list(answers)
        self.received: list[list[Message]] = []

    async def request(
        self, messages: Sequence[Message], settings: RequestSettings
    ) -> ModelResponse:
        self.received.append(list(messages))
        return self.answers.pop(0)


class CountingPolicy:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, call: ModelCall) -> ModelResponse:
        self.calls += 1
        return await call()


def _answer(text: str = '{"findings": []}', reason: str = "stop") -> ModelResponse:
    return ModelResponse(
        finish_reason=reason, content=text, usage=Usage(prompt_tokens=40, completion_tokens=8)
    )


MESSAGES: list[Message] = [
    SystemMessage(content="You are the reviewer."),
    UserMessage(content=f"key = {SECRET!r}", source="user"),
]


def _stack(provider: ScriptedModel, **overrides: object):  # type: ignore[no-untyped-def]
    events = RecordingSink()
    ledger = UsageLedger(token_budget=10_000, turn_cap=10, prompt_price_per_mtok=1_000_000)
    options: dict[str, object] = {
        "agent": "reviewer",
        "model": "fake-model",
        "redact": lambda text: text.replace(SECRET, "[REDACTED]"),
        "events": events,
        "ledger": ledger,
        "labels": {"chunk": "a.py:1"},
        **overrides,
    }
    return assemble(provider, **options), events, ledger  # type: ignore[arg-type]


async def test_the_layers_redact_record_budget_cache_and_guard_in_that_order() -> None:
    provider = ScriptedModel(_answer())
    policy = CountingPolicy()
    cache = TieredCache(MemoryStore(1 << 20), None)
    model, events, ledger = _stack(
        provider, policy=policy, cache=completion_cache(cache, ttl_s=60), cache_scope={"p": 1}
    )
    first = await model.request(MESSAGES, RequestSettings())
    again = await model.request(MESSAGES, RequestSettings())
    # the provider saw redacted text once; the second answer came from the cache, outside
    # the policy
    assert len(provider.received) == 1
    assert SECRET not in str(provider.received[0])
    assert policy.calls == 1
    assert (first.cached, again.cached) == (False, True)
    # the budget booked the paid answer only, and the recorder saw its cost
    assert ledger.llm_calls == 1
    assert ledger.agents["reviewer"].cached_calls == 1
    responses = [d for k, d in events.events if k == "model.response"]
    assert [r["cost_usd"] for r in responses] == [40.0, 0.0]
    requests = [d for k, d in events.events if k == "model.request"]
    assert [r["seq"] for r in requests] == [1, 2]
    assert all(r["chunk"] == "a.py:1" for r in requests)
    assert SECRET not in str(events.events)
    await cache.close()


async def test_a_spent_budget_stops_the_call_before_the_provider() -> None:
    provider = ScriptedModel(_answer())
    model, events, _ = _stack(provider, ledger=UsageLedger(token_budget=10, turn_cap=0))
    with pytest.raises(BudgetExhausted):
        await model.request(MESSAGES, RequestSettings())
    assert provider.received == []
    assert events.kinds() == ["model.request"]


async def test_an_unfinished_answer_fails_inside_the_policy_and_is_not_cached() -> None:
    provider = ScriptedModel(_answer("{", reason="length"), _answer())
    policy = CountingPolicy()
    cache = TieredCache(MemoryStore(1 << 20), None)
    model, _, _ = _stack(provider, policy=policy, cache=completion_cache(cache, ttl_s=60))
    with pytest.raises(InvalidModelOutput, match="finish_reason 'length'"):
        await model.request(MESSAGES, RequestSettings())
    answer = await model.request(MESSAGES, RequestSettings())
    assert answer.content == '{"findings": []}'
    assert not answer.cached
    assert policy.calls == 2
    await cache.close()


def test_cache_audit_replay_and_budget_load_no_agent_runtime() -> None:
    code = (
        "import sys\n"
        "import review_bot.llm, review_bot.cache.completions, review_bot.audit.replay\n"
        "import review_bot.audit.replay_model, review_bot.audit.recording\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('autogen_core', "
        "'autogen_agentchat', 'autogen_ext', 'openai')]\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
