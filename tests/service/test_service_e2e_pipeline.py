"""End to end with the real review pipeline: ``serve`` + ``worker`` + fake GitHub + fake model.

The worker reviews through its process's ``Runtime`` (tools, agents against the fake
OpenAI-compatible server, cache, transcripts), not the scripted reviewer the other e2e
module uses. Needs Redis on 127.0.0.1:6379 (fails, not skips, without it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.fakes.github_server import FakeGitHub, serve_fake_github
from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, Reply
from tests.service.helpers import BASE_TREE, HEAD_TREE, REPO, pr_payload, sha
from tests.service.stack import REDIS_URL, ROOT, Stack, deliver, ready, wait_for

pytestmark = pytest.mark.slow

AGENT_RULE = "eval-of-caller-input"
AGENT_MESSAGE = "run() evaluates text its caller controls"


def _role(body: Any) -> str:
    system = body["messages"][0]["content"]
    for role in ("reviewer", "security", "coder"):
        if f"You are the *{role}*" in system:
            return role
    raise AssertionError(f"unexpected system prompt {system[:80]!r}")


def fake_model(request: RecordedRequest) -> Reply:
    """The reviewer flags app.py line 5 whenever it is shown app.py; the others find nothing."""
    role = _role(request.body)
    if role == "reviewer":
        shown = json.dumps(request.body["messages"][1:])
        findings = []
        if "app.py" in shown:
            findings.append(
                {
                    "path": "app.py",
                    "line": 5,
                    "confidence": 0.9,
                    "severity": "high",
                    "category": "correctness",
                    "rule_id": AGENT_RULE,
                    "message": AGENT_MESSAGE,
                }
            )
        return Reply(json.dumps({"findings": findings, "summary": "checked"}))
    if role == "security":
        return Reply(json.dumps({"findings": [], "triage": []}))
    return Reply(json.dumps({"patches": []}))


def user_text(request: RecordedRequest) -> str:
    """Everything the review sent the model apart from the agent's system prompt."""
    return json.dumps(request.body["messages"][1:])


class PipelineStack(Stack):
    transcripts: Path
    model: FakeOpenAIServer


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineStack]:
    redis.Redis.from_url(REDIS_URL).ping()  # fail loudly without Redis
    tmp = tmp_path_factory.mktemp("e2e-pipeline")
    gh = FakeGitHub()
    gh.add_commit(sha("base"), BASE_TREE)
    gh.add_commit(sha("head1"), HEAD_TREE)
    with FakeOpenAIServer(default=fake_model) as model, serve_fake_github(gh) as api:
        config = tmp / "review-bot.toml"
        s = PipelineStack(
            gh,
            api,
            tmp,
            reviewer=None,
            config=config,
            env={
                "OPENAI_BASE_URL": model.base_url,
                "OPENAI_API_KEY": "test",
                "REVIEW_BOT_MODEL": "fake-model",
                "REVIEW_BOT_CACHE_DIR": str(tmp / "cache"),
                "REVIEW_BOT_TRANSCRIPTS": str(tmp / "transcripts"),
                "REVIEW_BOT_VISIBILITY_TIMEOUT_S": "120",
            },
        )
        # this run's cache keys live under the stack's prefix, so stop() deletes them
        config.write_text(
            f'[cache]\nnamespace = "{s.prefix}cache"\n'
            f'[resilience]\nbreaker_namespace = "{s.prefix}breaker"\n'
        )
        s.transcripts = tmp / "transcripts"
        s.model = model
        try:
            # two web processes: their dedup lives in Redis, so 5 copies still queue one job
            s.start("serve", "--port", str(s.port), "--workers", "2")
            s.worker()
            wait_for(lambda: ready(s.url), what="review-bot serve /ready")
            yield s
        finally:
            s.stop()


def comments_on(s: Stack, number: int) -> list[dict[str, Any]]:
    return [c for c in s.gh.live_comments() if c["number"] == number]


def test_opened_pr_gets_one_review_with_agent_and_tool_comments_and_a_transcript(
    stack: PipelineStack,
) -> None:
    stack.gh.open_pr(REPO, 21, base=sha("base"), head=sha("head1"))
    statuses = deliver(
        stack, pr_payload("opened", sha("head1"), number=21), "pull_request", "pipe-1", 5
    )
    assert sorted(statuses) == [200, 200, 200, 200, 202]
    wait_for(lambda: stack.reviews_for(21), timeout=120, what="the review")
    stack.wait_idle()  # every accepted job has run: a duplicate would be posted by now
    assert len(stack.reviews_for(21)) == 1
    comments = comments_on(stack, 21)
    # every inline comment sits on a line the PR changed
    assert {(c["path"], c["line"]) for c in comments} <= {("app.py", 5), ("util.py", 2)}
    agent = [c for c in comments if AGENT_RULE in c["body"]]
    assert [(c["path"], c["line"]) for c in agent] == [("app.py", 5)]
    assert AGENT_MESSAGE in agent[0]["body"]
    assert "agent:reviewer" in agent[0]["body"]
    # the tools ran too: bandit flags eval() in util.py, which the model never mentioned
    assert any(c["path"] == "util.py" and "tool:" in c["body"] for c in comments)
    assert {_role(r.body) for r in stack.model.completions} == {"reviewer", "security", "coder"}

    transcripts = sorted(stack.transcripts.glob("*.jsonl"))
    assert len(transcripts) == 1
    verified = subprocess.run(
        [sys.executable, "-m", "review_bot.cli", "audit", "verify", str(transcripts[0])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_synchronize_sends_only_the_changed_files_hunks_to_the_model(
    stack: PipelineStack,
) -> None:
    stack.gh.open_pr(REPO, 22, base=sha("base"), head=sha("head1"))
    deliver(stack, pr_payload("opened", sha("head1"), number=22), "pull_request", "pipe-2a")
    wait_for(lambda: stack.reviews_for(22), timeout=120, what="the first review")
    first_comments = {c["id"] for c in comments_on(stack, 22)}
    seen = len(stack.model.completions)

    stack.gh.add_commit(sha("head3"), {**HEAD_TREE, "util.py": "def helper():\n    return 3\n"})
    stack.gh.push(REPO, 22, sha("head3"))
    payload = pr_payload("synchronize", sha("head3"), number=22, before=sha("head1"))
    assert deliver(stack, payload, "pull_request", "pipe-2b") == [202]
    wait_for(
        lambda: "earlier finding" in stack.reviews_for(22)[0]["body"],
        timeout=120,
        what="the updated review",
    )
    asked = stack.model.completions[seen:]
    assert asked, "the incremental review asked the model nothing"
    assert all("util.py" in user_text(r) for r in asked)
    assert not any("app.py" in user_text(r) for r in asked)
    assert "return 3" in user_text(asked[0])
    # one review, updated in place; app.py's agent comment carried forward, not re-posted
    assert len(stack.reviews_for(22)) == 1
    active = [c for c in comments_on(stack, 22) if "resolved" not in c["body"]]
    agent = [c for c in active if AGENT_RULE in c["body"]]
    assert [(c["path"], c["line"]) for c in agent] == [("app.py", 5)]
    assert agent[0]["id"] in first_comments
