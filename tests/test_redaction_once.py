"""Redaction at the price of one pass: a full review (tools, the three agents, a transcript)
runs the secret detectors over each line of the change once, and the model never sees the
secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from review_bot import change as change_mod
from review_bot import secret_detectors
from review_bot.compose import Runtime
from review_bot.config.models import ToolsConfig
from review_bot.config.settings import load_settings
from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, Reply

SECRET = "ghp_" + "Zq8vR2mT5xW9bN3kL7pD1sF4hJ6gC0aE8yU2"
BODY = "".join(
    f"def handler_{n}(request, limit={n}):\n    return limit * {n} + 7\n" for n in range(12)
)
BEFORE = {"app.py": BODY}
AFTER = {"app.py": BODY + f'GITHUB_TOKEN = "{SECRET}"\n' + BODY.replace("handler", "extra")}


def answer(request: RecordedRequest) -> Reply:
    """Each agent answers with text that echoes part of what it was sent (new text)."""
    system = request.body["messages"][0]["content"]
    sent = json.dumps(request.body["messages"][1:])
    if "*coder*" in system:
        return Reply(json.dumps({"patches": []}))
    finding = {
        "path": "app.py",
        "line": 25,
        "severity": "high",
        "category": "security",
        "rule_id": "hardcoded-token",
        "message": "token in code: " + sent[-120:],
        "confidence": 0.9,
    }
    if "*security*" in system:
        return Reply(json.dumps({"findings": [finding], "triage": []}))
    return Reply(json.dumps({"findings": [finding], "summary": "checked"}))


async def test_the_change_is_scanned_once_and_its_secret_never_reaches_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scanned: list[str] = []
    scan: Callable[[str], tuple[secret_detectors.Hit, ...]] = secret_detectors._scan_line

    def counting(line: str) -> tuple[secret_detectors.Hit, ...]:
        scanned.append(line)
        return scan(line)

    monkeypatch.setattr(secret_detectors, "_scan_line", counting)
    secret_detectors._body_hits.cache_clear()
    secret_detectors._keyword_line_hits.cache_clear()
    with FakeOpenAIServer(default=answer) as server:
        env = {
            "REVIEW_BOT_MODEL": "fake-model",
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "sk-test-key",
            "REVIEW_BOT_TRANSCRIPTS": str(tmp_path / "transcripts"),
        }
        settings = load_settings(env=env)
        settings = settings.model_copy(
            update={
                "cache": settings.cache.model_copy(update={"enabled": False}),
                "audit": settings.audit.model_copy(update={"enabled": True}),
                "review": settings.review.model_copy(update={"tools": ToolsConfig(enabled=())}),
            }
        )
        runtime = Runtime.from_settings(settings, testing=True)
        try:
            review = await runtime.review(change_mod.from_files(BEFORE, AFTER))
        finally:
            await runtime.aclose()
        requests = [json.dumps(r.body) for r in server.completions]

    assert review.mode == "agents"
    assert len(requests) >= 3
    assert all(SECRET not in body for body in requests)
    assert all("[REDACTED:" in body for body in requests if "GITHUB_TOKEN" in body)
    transcript = "".join(p.read_text() for p in (tmp_path / "transcripts").rglob("*.jsonl"))
    assert SECRET not in transcript
    # each line of the change went through the detectors exactly once, though it was read as
    # new content, old content, a hunk line and a numbered excerpt in every agent's prompt
    lines = {line for text in AFTER.values() for line in text.splitlines() if len(line) > 12}
    for line in lines:
        times = sum(1 for s in scanned if s.endswith(line))
        assert times == 1, f"{line!r} scanned {times} times"
