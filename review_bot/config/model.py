"""Which language model the agents talk to, what it can do, and how much a review may spend.

The model is optional: :meth:`ModelConfig.from_env` returns None when no model is configured,
and the review runs tools-only. ``model_info`` describes models AutoGen does not know (any
OpenAI-compatible server: vLLM, Ollama, LiteLLM proxy, Azure deployments).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from review_bot.errors import ConfigError

__all__ = [
    "DEFAULT_CHUNK_TOKEN_BUDGET",
    "DEFAULT_CONTEXT_WINDOW",
    "DEFAULT_MAX_CONCURRENT_CHUNKS",
    "DEFAULT_MAX_FIXES_PER_CHUNK",
    "DEFAULT_MAX_TOOL_ITERATIONS",
    "DEFAULT_TEMPERATURE",
    "DEFAULT_TOKEN_BUDGET",
    "DEFAULT_TURN_CAP",
    "ModelCapabilityInfo",
    "ModelConfig",
]

DEFAULT_CONTEXT_WINDOW = 128_000
DEFAULT_TEMPERATURE = 0.0
DEFAULT_TOKEN_BUDGET = 400_000
DEFAULT_TURN_CAP = 200
DEFAULT_CHUNK_TOKEN_BUDGET = 12_000
DEFAULT_MAX_TOOL_ITERATIONS = 4
DEFAULT_MAX_CONCURRENT_CHUNKS = 4
DEFAULT_MAX_FIXES_PER_CHUNK = 5

_FROZEN = ConfigDict(frozen=True, extra="forbid")

_ENV_INT = {
    "REVIEW_BOT_MODEL_CONTEXT_WINDOW": ("model_info", "context_window"),
    "REVIEW_BOT_TOKEN_BUDGET": ("", "token_budget"),
    "REVIEW_BOT_TURN_CAP": ("", "turn_cap"),
    "REVIEW_BOT_CHUNK_TOKEN_BUDGET": ("", "chunk_token_budget"),
}
_ENV_FLOAT = {
    "REVIEW_BOT_PROMPT_PRICE": ("", "prompt_price_per_mtok"),
    "REVIEW_BOT_COMPLETION_PRICE": ("", "completion_price_per_mtok"),
    "REVIEW_BOT_TEMPERATURE": ("", "temperature"),
}
_ENV_BOOL = {
    "REVIEW_BOT_MODEL_FUNCTION_CALLING": ("model_info", "function_calling"),
    "REVIEW_BOT_MODEL_STRUCTURED_OUTPUT": ("model_info", "structured_output"),
    "REVIEW_BOT_MODEL_JSON_OUTPUT": ("model_info", "json_output"),
    "REVIEW_BOT_MODEL_VISION": ("model_info", "vision"),
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ModelCapabilityInfo(BaseModel):
    """What the model can do; drives what the orchestrator may ask of it."""

    model_config = _FROZEN

    context_window: int = Field(DEFAULT_CONTEXT_WINDOW, gt=0)
    function_calling: bool = True
    structured_output: bool = False
    json_output: bool = True
    vision: bool = False
    family: str = "unknown"


class ModelConfig(BaseModel):
    """One model endpoint plus the review's spending limits.

    Attributes:
        model: the model name sent to the server.
        base_url: an OpenAI-compatible endpoint; None is OpenAI itself.
        api_key: kept secret in reprs and dumps.
        prompt_price_per_mtok: USD per million prompt tokens (cost estimates only).
        completion_price_per_mtok: USD per million completion tokens.
        token_budget: prompt+completion tokens one review may spend across all agents.
        turn_cap: model calls one review may make across all agents.
        chunk_token_budget: tokens of one agent's first prompt (system + change excerpt).
        max_tool_iterations: tool-call rounds an agent may take per turn.
        max_concurrent_chunks: chunks reviewed at the same time.
        max_fixes_per_chunk: findings per chunk the coder is asked to fix.
    """

    model_config = _FROZEN

    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key: SecretStr | None = None
    model_info: ModelCapabilityInfo = ModelCapabilityInfo()
    temperature: float = Field(DEFAULT_TEMPERATURE, ge=0, le=2)
    prompt_price_per_mtok: float = Field(0.0, ge=0)
    completion_price_per_mtok: float = Field(0.0, ge=0)
    token_budget: int = Field(DEFAULT_TOKEN_BUDGET, gt=0)
    turn_cap: int = Field(DEFAULT_TURN_CAP, gt=0)
    chunk_token_budget: int = Field(DEFAULT_CHUNK_TOKEN_BUDGET, ge=1_000)
    max_tool_iterations: int = Field(DEFAULT_MAX_TOOL_ITERATIONS, ge=1)
    max_concurrent_chunks: int = Field(DEFAULT_MAX_CONCURRENT_CHUNKS, ge=1)
    max_fixes_per_chunk: int = Field(DEFAULT_MAX_FIXES_PER_CHUNK, ge=0)

    def cost_usd(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Estimated cost of this much usage at the configured prices."""
        return (
            prompt_tokens * self.prompt_price_per_mtok
            + completion_tokens * self.completion_price_per_mtok
        ) / 1_000_000

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], file_section: Mapping[str, Any] | None = None
    ) -> ModelConfig | None:
        """The model from a config file's ``[model]`` section overlaid by the environment.

        ``REVIEW_BOT_MODEL`` (or ``model`` in the file) names the model; without one there is
        no model and the review is tools-only. ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` are
        the endpoint; ``REVIEW_BOT_MODEL_CONTEXT_WINDOW``, ``REVIEW_BOT_MODEL_FUNCTION_CALLING``
        (and ``_STRUCTURED_OUTPUT``, ``_JSON_OUTPUT``, ``_VISION``, ``_FAMILY``),
        ``REVIEW_BOT_TOKEN_BUDGET``, ``REVIEW_BOT_TURN_CAP``, ``REVIEW_BOT_CHUNK_TOKEN_BUDGET``,
        ``REVIEW_BOT_PROMPT_PRICE`` and ``REVIEW_BOT_COMPLETION_PRICE`` tune the rest.
        """
        data: dict[str, Any] = dict(file_section or {})
        info: dict[str, Any] = dict(data.pop("model_info", {}) or {})
        if env.get("REVIEW_BOT_MODEL"):
            data["model"] = env["REVIEW_BOT_MODEL"]
        if not data.get("model"):
            return None
        if env.get("OPENAI_API_KEY"):
            data["api_key"] = env["OPENAI_API_KEY"]
        if env.get("OPENAI_BASE_URL"):
            data["base_url"] = env["OPENAI_BASE_URL"]
        if env.get("REVIEW_BOT_MODEL_FAMILY"):
            info["family"] = env["REVIEW_BOT_MODEL_FAMILY"]
        tables = (
            (_ENV_INT, int, "integer"),
            (_ENV_FLOAT, float, "number"),
            (_ENV_BOOL, _boolean, "boolean (true/false)"),
        )
        for table, convert, label in tables:
            for name, (section, key) in table.items():
                raw = env.get(name)
                if raw is None or raw == "":
                    continue
                try:
                    value = convert(raw)
                except ValueError as exc:
                    raise ConfigError(
                        f"environment variable {name}={raw!r} is not a valid {label}: "
                        "fix or unset it"
                    ) from exc
                (info if section == "model_info" else data)[key] = value
        data["model_info"] = info
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e.get('input')!r})"
                for e in exc.errors()
            )
            raise ConfigError(f"invalid model configuration: {problems}") from exc


def _boolean(raw: str) -> bool:
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(raw)
