"""End-to-end helpers: throwaway git repos, the CLI as a real process, a scripted fake model.

The fake model sits behind :class:`tests.fakes.openai_server.FakeOpenAIServer` on loopback and
answers like the three agents would: it tells them apart by their system prompt, can ask for
tool calls before answering, and answers each corrective message with the next scripted text.
Every usage figure it reports is kept, so tests can compare the review's token stats with what
the server actually billed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, Reply

ROLES = ("reviewer", "security", "coder")
CORRECTIVE = "Your previous answer was not valid"
EMPTY_ANSWERS: dict[str, str] = {
    "reviewer": json.dumps({"findings": []}),
    "security": json.dumps({"findings": [], "triage": []}),
    "coder": json.dumps({"patches": []}),
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout


def make_repo(root: Path, base: Mapping[str, str], change: Mapping[str, str]) -> Path:
    """A repo whose first commit holds ``base`` and whose second commit writes ``change``."""
    repo = root / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for files, message in ((base, "base"), (change, "change")):
        for name, text in files.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", message)
    return repo


def cli(
    *args: str, env: Mapping[str, str | None] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """``review-bot ARGS`` as a separate process; ``env`` entries set to None are removed."""
    full = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    return subprocess.run(
        [sys.executable, "-m", "review_bot.cli", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=timeout,
        check=False,
    )


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def role_of(body: Any) -> str:
    """Which agent sent a chat-completion request (from its system prompt)."""
    system = body["messages"][0]["content"]
    for role in ROLES:
        if f"You are the *{role}*" in system:
            return role
    raise AssertionError(f"unexpected system prompt {system[:80]!r}")


def _text(content: Any) -> str:
    return content if isinstance(content, str) else json.dumps(content)


@dataclass
class FakeModel:
    """A scripted model for all three agents (use as the server's behaviour).

    Args:
        answers: per role, the final texts in order: the first answer, then the answer to
            each corrective message (the last one repeats). Missing roles answer "nothing".
        tool_calls: per role, ``(tool name, arguments)`` the agent asks for, one per round,
            before its first answer.
    """

    answers: Mapping[str, Sequence[str]] = field(default_factory=dict)
    tool_calls: Mapping[str, Sequence[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    billed: list[tuple[int, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: RecordedRequest) -> Reply:
        messages = request.body["messages"]
        role = role_of(request.body)
        rounds = sum(1 for m in messages if m["role"] == "assistant" and m.get("tool_calls"))
        with self._lock:
            n = len(self.billed) + 1
            usage = (1000 + 7 * n, 10 + n)
            self.billed.append(usage)
        calls = self.tool_calls.get(role, ())
        if rounds < len(calls):
            name, arguments = calls[rounds]
            call = {
                "id": f"call_{role}_{rounds}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            return Reply(None, *usage, tool_calls=(call,), finish_reason="tool_calls")
        corrections = sum(
            1 for m in messages if m["role"] == "user" and CORRECTIVE in _text(m.get("content"))
        )
        texts = self.answers.get(role) or [EMPTY_ANSWERS[role]]
        return Reply(texts[min(corrections, len(texts) - 1)], *usage)

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens the server reported, in total."""
        return sum(p for p, _ in self.billed)

    @property
    def completion_tokens(self) -> int:
        """Completion tokens the server reported, in total."""
        return sum(c for _, c in self.billed)


def model_env(server: FakeOpenAIServer, tmp: Path) -> dict[str, str]:
    """Environment of a review against ``server`` with a private cache and transcripts dir."""
    return {
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "test",
        "REVIEW_BOT_MODEL": "fake-model",
        "REVIEW_BOT_CACHE_DIR": str(tmp / "cache"),
        "REVIEW_BOT_TRANSCRIPTS": str(tmp / "transcripts"),
    }


def fast_retries_config(path: Path, extra: str = "") -> Path:
    """A config file whose model policy gives up quickly (2 attempts, 10 ms backoff)."""
    path.write_text(
        '[resilience.dependencies."llm:*"]\n'
        "max_attempts = 2\nbase_delay_s = 0.01\nmax_delay_s = 0.02\n" + extra
    )
    return path


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAIServer]:
    """One fake OpenAI server per module; tests set its behaviour with ``reset``."""
    with FakeOpenAIServer() as fake:
        yield fake
