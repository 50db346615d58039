"""Build AutoGen's OpenAI-compatible client from :class:`ModelConfig` (the only OpenAI door)."""

from __future__ import annotations

from autogen_core.models import ModelInfo
from autogen_ext.models.openai import OpenAIChatCompletionClient

from review_bot.config.model import ModelConfig

__all__ = ["model_info", "openai_client"]


def model_info(config: ModelConfig) -> ModelInfo:
    """AutoGen's ModelInfo from our config (works for models AutoGen does not know)."""
    info = config.model_info
    return ModelInfo(
        vision=info.vision,
        function_calling=info.function_calling,
        json_output=info.json_output,
        structured_output=info.structured_output,
        family=info.family,
        multiple_system_messages=True,
    )


def openai_client(config: ModelConfig) -> OpenAIChatCompletionClient:
    """A new client for one agent turn; SDK retries are off (our policies own retries)."""
    api_key = config.api_key.get_secret_value() if config.api_key else "not-needed"
    if config.base_url is None:
        return OpenAIChatCompletionClient(
            model=config.model,
            api_key=api_key,
            model_info=model_info(config),
            temperature=config.temperature,
            max_retries=0,
        )
    return OpenAIChatCompletionClient(
        model=config.model,
        base_url=config.base_url,
        api_key=api_key,
        model_info=model_info(config),
        temperature=config.temperature,
        max_retries=0,
    )
