"""Configuration: round-trips, file loading, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_bot.config import ReviewConfig, load_review_config
from review_bot.config.models import ToolsConfig
from review_bot.errors import ConfigError


def test_review_config_round_trips() -> None:
    config = ReviewConfig(fail_on="high", tools=ToolsConfig(disabled=("semgrep",), timeout_s=5))
    dumped = config.model_dump(mode="json")
    assert ReviewConfig.model_validate(dumped) == config
    assert ReviewConfig.model_validate_json(config.model_dump_json()) == config


def test_loads_file_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "review-bot.toml"
    path.write_text('[review]\nfail_on = "low"\n[review.tools]\ndisabled = ["semgrep"]\n')
    config = load_review_config(path, env={}, overrides={"filter_mode": "file"})
    assert config.fail_on == "low"
    assert config.filter_mode == "file"
    assert not config.tools.wants("semgrep")
    assert config.tools.wants("ruff")


def test_env_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[review]\nmax_findings = 7\n")
    assert load_review_config(None, env={"REVIEW_BOT_CONFIG": str(path)}).max_findings == 7


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[review]\nfail_onn = 'low'\n")
    with pytest.raises(ConfigError, match="fail_onn"):
        load_review_config(path, env={})


def test_bad_value_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[review]\nfail_on = 'urgent'\n")
    with pytest.raises(ConfigError, match="urgent"):
        load_review_config(path, env={})


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_review_config(tmp_path / "nope.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[review\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_review_config(bad, env={})


def test_the_readme_config_example_loads(tmp_path: Path) -> None:
    from review_bot.config.settings import load_settings

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in readme.split("```toml\n")[1:]]
    block = next(b for b in blocks if "[model]" in b)  # the settings file's example
    path = tmp_path / "readme.toml"
    path.write_text(block)
    settings = load_settings(path, env={"HOME": str(tmp_path)})
    assert settings.review.tools.disabled == ("semgrep",)
    assert settings.model is not None
    assert settings.model.model == "gpt-4o-mini"
    assert settings.resilience.default.max_attempts == 4
    assert settings.retention.reviews_days == 30


def test_settings_without_a_model_are_tools_only(tmp_path: Path) -> None:
    from review_bot.config.settings import load_settings

    settings = load_settings(None, env={"HOME": str(tmp_path)})
    assert settings.model is None
    assert settings.audit.enabled
    env = {"HOME": str(tmp_path), "REVIEW_BOT_MODEL": "m", "REVIEW_BOT_TRANSCRIPTS": "off"}
    settings = load_settings(None, env=env)
    assert settings.model is not None
    assert not settings.audit.enabled
    assert load_settings(None, env=env, tools_only=True).model is None
