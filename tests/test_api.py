"""The public API is what __all__ says, and every name in it exists."""

from __future__ import annotations

import review_bot


def test_all_names_exist_and_are_sorted() -> None:
    for name in review_bot.__all__:
        assert hasattr(review_bot, name), name
    assert list(review_bot.__all__) == sorted(review_bot.__all__)


def test_core_entry_points_are_public() -> None:
    for name in ("review", "review_sync", "from_git", "from_diff", "from_files", "ReviewConfig"):
        assert name in review_bot.__all__
    for name in ("config_from_git", "Controls", "Coverage"):  # team controls, coverage
        assert name in review_bot.__all__


# -- one front door: the library runs the CLI's composition ---------------------------------

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from review_bot.audit import verify  # noqa: E402
from tests.fakes.openai_server import FakeOpenAIServer, Reply  # noqa: E402

_AFTER = {
    "app.py": "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
}
_FINDING = {
    "path": "app.py",
    "line": 5,
    "severity": "high",
    "category": "security",
    "rule_id": "shell-injection",
    "message": "cmd reaches a shell",
    "confidence": 0.9,
}


def _env(server: FakeOpenAIServer, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "review-bot.toml"
    config.write_text('[review.tools]\nenabled = ["bandit"]\n')
    return {
        "REVIEW_BOT_MODEL": "fake-model",
        "OPENAI_API_KEY": "test",
        "OPENAI_BASE_URL": server.base_url,
        "REVIEW_BOT_CONFIG": str(config),
        "REVIEW_BOT_CACHE_DIR": str(tmp_path / "cache"),
        "REVIEW_BOT_TRANSCRIPTS": str(tmp_path / "transcripts"),
    }


def test_review_sync_with_a_model_in_the_environment_runs_the_agents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = json.dumps({"findings": [_FINDING], "triage": [], "patches": []})
    with FakeOpenAIServer(default=Reply(answer)) as server:
        for key, value in _env(server, tmp_path).items():
            monkeypatch.setenv(key, value)
        result = review_bot.review_sync(review_bot.from_files({}, _AFTER))
        asked = server.completion_count
    assert result.mode == "agents"
    assert asked >= 2  # the reviewer and the security agent at least
    assert result.stats.llm_calls == asked
    sources = {s for f in result.findings for s in f.sources}
    assert {"tool:bandit", "agent:reviewer"} <= sources
    # a transcript, as the CLI records one
    assert result.transcript is not None
    assert verify(result.transcript).ok


def test_settings_are_injectable_instead_of_read_from_the_environment(tmp_path: Path) -> None:
    model_keys = {"REVIEW_BOT_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"}
    with FakeOpenAIServer(default=Reply(json.dumps({"findings": []}))) as server:
        env = _env(server, tmp_path)
        settings = review_bot.load_settings(env=env)
        with_model = review_bot.review_sync(review_bot.from_files({}, _AFTER), settings=settings)
        no_model = {k: v for k, v in env.items() if k not in model_keys}
        without = review_bot.review_sync(
            review_bot.from_files({}, _AFTER), settings=review_bot.load_settings(env=no_model)
        )
        asked = server.completion_count
    assert with_model.mode == "agents"
    assert with_model.stats.llm_calls == asked > 0  # the tools-only review asked nothing
    assert without.mode == "tools-only"
