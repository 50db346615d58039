"""Settings of the eval harness: scoring tolerance, concurrency, and the optional Langfuse export.

The harness itself never reads the environment; the CLI calls :meth:`LangfuseConfig.from_env`
here and passes the result down.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_LANGFUSE_HOST",
    "DEFAULT_REGRESSION_THRESHOLD",
    "DEFAULT_TOLERANCE",
    "EvalConfig",
    "LangfuseConfig",
]

DEFAULT_TOLERANCE = 2
DEFAULT_CONCURRENCY = 4
DEFAULT_REGRESSION_THRESHOLD = 0.0
DEFAULT_LANGFUSE_HOST = "https://cloud.langfuse.com"

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class LangfuseConfig(BaseModel):
    """Where to export eval runs; disabled unless both keys are set."""

    model_config = _FROZEN

    public_key: str | None = None
    secret_key: str | None = Field(default=None, repr=False)
    host: str = DEFAULT_LANGFUSE_HOST

    @property
    def enabled(self) -> bool:
        """True when both keys are configured."""
        return bool(self.public_key and self.secret_key)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LangfuseConfig:
        """Read ``LANGFUSE_PUBLIC_KEY``, ``LANGFUSE_SECRET_KEY`` and ``LANGFUSE_HOST``."""
        return cls(
            public_key=env.get("LANGFUSE_PUBLIC_KEY") or None,
            secret_key=env.get("LANGFUSE_SECRET_KEY") or None,
            host=env.get("LANGFUSE_HOST") or DEFAULT_LANGFUSE_HOST,
        )


class EvalConfig(BaseModel):
    """How an eval run scores and how hard it pushes the machine.

    ``tolerance`` is the number of lines a finding may sit away from a labeled range and still
    match it; it is part of the run's identity (a resumed run must score the same way).
    """

    model_config = _FROZEN

    tolerance: int = Field(DEFAULT_TOLERANCE, ge=0)
    concurrency: int = Field(DEFAULT_CONCURRENCY, ge=1)
    regression_threshold: float = Field(DEFAULT_REGRESSION_THRESHOLD, ge=0.0, le=1.0)
    langfuse: LangfuseConfig = LangfuseConfig()
