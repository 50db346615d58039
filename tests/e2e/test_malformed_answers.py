"""Every malformed provider answer is an agent failure, never a review failure.

Against the fake OpenAI-compatible server on loopback, through the composition root with
transcripts on: a 200 body that is not JSON, one cut off mid-body, missing or mistyped fields,
empty ``choices``, and answers the model did not finish. Each review is partial with a reason
naming what happened, keeps the tools' findings, and leaves a verifiable, complete transcript.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from review_bot.audit import verify
from review_bot.change import ChangeSet, from_files
from review_bot.compose import Runtime
from review_bot.config.settings import load_settings
from review_bot.findings import Review
from tests.fakes.openai_server import Behaviour, FakeOpenAIServer, Hang, Raw, Reply

from .conftest import fast_retries_config, line_of, model_env

BEFORE = {"app/jobs.py": '"""Jobs."""\n\nimport subprocess\n'}
AFTER = '''"""Jobs."""

import subprocess


def run(cmd):
    """Run a command line."""
    return subprocess.call(cmd, shell=True)
'''
SHELL_LINE = line_of(AFTER, "shell=True")


def _completion(**override: object) -> bytes:
    body: dict[str, object] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": '{"findings": []}'},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    body.update(override)
    return json.dumps(body).encode()


CASES: dict[str, tuple[Behaviour, str]] = {
    "html error page": (
        Raw(b"<html><body>502 Bad Gateway</body></html>", content_type="text/html"),
        "missing or mistyped fields",
    ),
    "not JSON": (Raw(b'{"id": "chatcmpl-1", "choices": [tru'), "a body that is not JSON"),
    "cut off": (
        Raw(_completion()[:50], declared_length=len(_completion())),
        "could not be reached",
    ),
    "no choices": (Raw(_completion(choices=None)), "missing or mistyped fields"),
    "empty choices": (Raw(_completion(choices=[])), "without the expected entries"),
    "mistyped choices": (Raw(_completion(choices="none")), "missing or mistyped fields"),
    "mistyped usage": (
        Raw(_completion(usage={"prompt_tokens": "many", "completion_tokens": 1})),
        "missing or mistyped fields",
    ),
    "finish length": (Reply('{"findings": [', finish_reason="length"), "finish_reason 'length'"),
    "content filter": (Reply(None, finish_reason="content_filter"), "'content_filter'"),
}


def _change() -> ChangeSet:
    return from_files(BEFORE, {"app/jobs.py": AFTER})


async def _review(server: FakeOpenAIServer, tmp_path: Path, extra: str = "") -> Review:
    """One review by a fresh Runtime with a private cache and transcripts folder."""
    tools = '[review.tools]\nenabled = ["bandit"]\n'  # one fast analyzer is enough here
    config = fast_retries_config(tmp_path / "review-bot.toml", extra + tools)
    settings = load_settings(config, {**os.environ, **model_env(server, tmp_path)})
    runtime = Runtime.from_settings(settings, testing=True)
    try:
        return await runtime.review(_change())
    finally:
        await runtime.aclose()


def _assert_partial_with_tools_and_transcript(review: Review, reason: str) -> None:
    assert review.mode == "agents"
    assert review.partial
    failed = {f.component: f.reason for f in review.failures}
    assert {"agent:reviewer", "agent:security"} <= set(failed), failed
    for component in ("agent:reviewer", "agent:security"):
        assert reason in failed[component], failed[component]
    shell = [f for f in review.findings if f.line == SHELL_LINE]
    assert shell
    assert "tool:bandit" in shell[0].sources
    assert review.transcript is not None
    checked = verify(review.transcript)
    assert checked.ok, checked.message()


# AutoGen dumps the SDK's response for its log before reading it: a mistyped field makes
# pydantic warn there (a log line outside tests); what matters is what follows.
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
@pytest.mark.parametrize("case", list(CASES))
async def test_a_malformed_answer_is_an_agent_failure(
    case: str, server: FakeOpenAIServer, tmp_path: Path
) -> None:
    behaviour, reason = CASES[case]
    server.reset(default=behaviour)
    review = await _review(server, tmp_path)
    _assert_partial_with_tools_and_transcript(review, reason)


async def test_an_unreachable_model_skips_the_coder(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    behaviour, _ = CASES["cut off"]
    server.reset(default=behaviour)
    review = await _review(server, tmp_path)
    _assert_partial_with_tools_and_transcript(review, "RemoteProtocolError")
    coder = [s for s in review.skipped if s.name.startswith("coder")]
    assert coder
    assert "unavailable model" in coder[0].reason
    assert "agent:coder" not in {f.component for f in review.failures}
    roles = [r.body["messages"][0]["content"][:40] for r in server.completions]
    assert not any("*coder*" in r for r in roles)


async def test_a_timed_out_attempt_names_its_duration(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    server.reset(default=Hang())
    review = await _review(server, tmp_path, "attempt_timeout_s = 0.5\n")
    _assert_partial_with_tools_and_transcript(review, "no answer within the 0.5s attempt timeout")
