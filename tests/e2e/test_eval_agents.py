"""``review-bot eval`` with agents against the fake model: tokens and cost per case and in total."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAIServer

from .conftest import FakeModel, cli, model_env

CASES = Path(__file__).resolve().parents[2] / "evals" / "cases"
PROMPT_PRICE = 2.5  # USD per million tokens
COMPLETION_PRICE = 10.0


def _cost(prompt: int, completion: int) -> float:
    return (prompt * PROMPT_PRICE + completion * COMPLETION_PRICE) / 1_000_000


def test_eval_with_agents_reports_tokens_and_cost_per_case_and_in_total(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    model = FakeModel()
    server.reset(default=model)
    env = {
        **model_env(server, tmp_path),
        "REVIEW_BOT_PROMPT_PRICE": str(PROMPT_PRICE),
        "REVIEW_BOT_COMPLETION_PRICE": str(COMPLETION_PRICE),
    }
    out = tmp_path / "run"
    started = time.perf_counter()
    proc = cli("eval", str(CASES), "--limit", "3", "--no-progress", "--out", str(out), env=env)
    print(f"eval --limit 3 with agents via CLI: {time.perf_counter() - started:.2f}s wall")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    cases = [json.loads(line) for line in (out / "cases.jsonl").read_text().splitlines()]
    assert len(cases) == 3
    for case in cases:
        usage = case["usage"]
        assert case["mode"] == "agents", case
        assert case["error"] is None
        assert usage["llm_calls"] >= 2  # reviewer and security at least
        assert usage["prompt_tokens"] > 0
        assert usage["completion_tokens"] > 0
        expected = _cost(usage["prompt_tokens"], usage["completion_tokens"])
        assert usage["cost_usd"] == pytest.approx(expected, abs=1e-6)  # stats keep 6 decimals
        assert usage["cost_usd"] > 0
    # every token the server billed is in exactly one case
    assert sum(c["usage"]["prompt_tokens"] for c in cases) == model.prompt_tokens
    assert sum(c["usage"]["completion_tokens"] for c in cases) == model.completion_tokens

    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["mode"] == "agents"
    usage = summary["usage"]
    assert usage["prompt_tokens"]["total"] == model.prompt_tokens
    assert usage["completion_tokens"]["total"] == model.completion_tokens
    assert usage["tokens"]["total"] == model.prompt_tokens + model.completion_tokens
    total_cost = sum(c["usage"]["cost_usd"] for c in cases)
    assert usage["cost_usd"]["total"] == pytest.approx(total_cost, abs=1e-6)
    assert usage["cost_usd"]["total"] > 0
    # and the person running it sees the cost
    assert f"cost total ${usage['cost_usd']['total']:.4f}" in proc.stdout
