"""ModelConfig from the environment."""

from __future__ import annotations

import pytest

from review_bot.config.model import ModelConfig
from review_bot.errors import ConfigError


def test_no_model_means_tools_only() -> None:
    assert ModelConfig.from_env({"OPENAI_API_KEY": "sk-x"}) is None


def test_env_configures_an_unknown_model_and_hides_the_key() -> None:
    config = ModelConfig.from_env(
        {
            "REVIEW_BOT_MODEL": "qwen2.5-coder",
            "OPENAI_API_KEY": "sk-secret",
            "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1",
            "REVIEW_BOT_MODEL_CONTEXT_WINDOW": "32768",
            "REVIEW_BOT_MODEL_FUNCTION_CALLING": "false",
        }
    )
    assert config is not None
    assert config.model_info.context_window == 32768
    assert config.model_info.function_calling is False
    assert "sk-secret" not in repr(config)
    assert ModelConfig.model_validate(config.model_dump()) == config


def test_bad_env_value_names_it() -> None:
    with pytest.raises(ConfigError, match="REVIEW_BOT_TURN_CAP='many'"):
        ModelConfig.from_env({"REVIEW_BOT_MODEL": "m", "REVIEW_BOT_TURN_CAP": "many"})
