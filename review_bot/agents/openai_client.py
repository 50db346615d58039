"""Build AutoGen's OpenAI-compatible client from :class:`ModelConfig` (the only OpenAI door)."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from functools import cache

import certifi
import openai
from autogen_core.models import ChatCompletionClient, ModelInfo
from autogen_ext.models.openai import OpenAIChatCompletionClient

from review_bot.config.model import ModelConfig

__all__ = ["model_info", "openai_client", "openai_client_factory"]


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


@cache
def _tls() -> ssl.SSLContext:
    # Building a TLS context loads the CA bundle (~0.2 s of CPU that blocks the event loop);
    # one per process, shared by every agent's own HTTP client.
    return ssl.create_default_context(cafile=certifi.where())


def openai_client(config: ModelConfig) -> OpenAIChatCompletionClient:
    """A new client (with its own HTTP connection pool) for one agent turn.

    SDK retries are off: our policies own retries.
    """
    api_key = config.api_key.get_secret_value() if config.api_key else "not-needed"
    http_client = openai.DefaultAsyncHttpxClient(verify=_tls())
    if config.base_url is None:
        return OpenAIChatCompletionClient(
            model=config.model,
            api_key=api_key,
            model_info=model_info(config),
            temperature=config.temperature,
            max_retries=0,
            http_client=http_client,  # type: ignore[call-arg]
        )
    return OpenAIChatCompletionClient(
        model=config.model,
        base_url=config.base_url,
        api_key=api_key,
        model_info=model_info(config),
        temperature=config.temperature,
        max_retries=0,
        http_client=http_client,  # type: ignore[call-arg]
    )


def openai_client_factory(config: ModelConfig) -> Callable[[str], ChatCompletionClient]:
    """A factory giving every agent turn its own OpenAI-compatible client.

    The SDK imports its resource modules lazily on first use (seconds of CPU); importing them
    here, when the runner is built, keeps that off the review's event loop.
    """
    import openai.resources.chat  # noqa: F401

    def make(role: str) -> ChatCompletionClient:
        del role
        return openai_client(config)

    return make
