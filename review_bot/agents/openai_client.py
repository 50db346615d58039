"""Build AutoGen's OpenAI-compatible client from :class:`ModelConfig` (the only OpenAI door)."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, Literal

import certifi
import openai
from autogen_core import CancellationToken
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage, ModelInfo
from autogen_core.tools import Tool, ToolSchema
from autogen_ext.models.openai import OpenAIChatCompletionClient
from pydantic import BaseModel

from review_bot.config.model import ModelConfig

__all__ = [
    "SchemaClient",
    "model_info",
    "openai_client",
    "openai_client_factory",
    "response_format",
]


def response_format(schema: type[BaseModel]) -> dict[str, Any]:
    """OpenAI's ``response_format`` asking for ``schema`` (json_schema, not strict: our schemas
    have optional fields and bounds that strict mode refuses; we validate the answer anyway)."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": schema.__name__,
            "schema": schema.model_json_schema(),
            "strict": False,
        },
    }


class SchemaClient(OpenAIChatCompletionClient):
    """AutoGen's OpenAI client, sending a pydantic ``json_output`` as a json_schema
    ``response_format`` on the plain endpoint.

    AutoGen would route it to the SDK's ``parse`` helper, which validates the answer itself and
    raises on an invalid one, before our one corrective turn could ask again.
    """

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        """One completion; a schema goes out as ``response_format``."""
        if isinstance(json_output, type) and issubclass(json_output, BaseModel):
            extra_create_args = {
                **extra_create_args,
                "response_format": response_format(json_output),
            }
            json_output = None
        return await super().create(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )


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


def openai_client(config: ModelConfig) -> SchemaClient:
    """A new client (with its own HTTP connection pool) for one agent turn.

    SDK retries are off: our policies own retries.
    """
    api_key = config.api_key.get_secret_value() if config.api_key else "not-needed"
    http_client = openai.DefaultAsyncHttpxClient(verify=_tls())
    if config.base_url is None:
        return SchemaClient(
            model=config.model,
            api_key=api_key,
            model_info=model_info(config),
            temperature=config.temperature,
            max_retries=0,
            http_client=http_client,  # type: ignore[call-arg]
        )
    return SchemaClient(
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
