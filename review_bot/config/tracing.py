"""OpenTelemetry tracing: off unless the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (the full URL of the traces route) wins over the base
endpoint, as the OpenTelemetry specification says; ``OTEL_SERVICE_NAME`` names the service
(default ``review-bot``); ``OTEL_SDK_DISABLED=true`` turns tracing off whatever else is set.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["DEFAULT_SERVICE_NAME", "TracingConfig"]

DEFAULT_SERVICE_NAME = "review-bot"


class TracingConfig(BaseModel):
    """Where spans go (OTLP over HTTP), or nowhere."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    traces_endpoint: str | None = None
    service_name: str = DEFAULT_SERVICE_NAME

    @field_validator("traces_endpoint")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(
                f"the OTLP endpoint must be an http(s) URL, got {value!r} "
                "(set OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318)"
            )
        return value

    @property
    def enabled(self) -> bool:
        """True when spans are exported somewhere."""
        return self.traces_endpoint is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TracingConfig:
        """The OpenTelemetry SDK's standard variables."""
        if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            return cls()
        endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip() or None
        if endpoint is None and env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
            endpoint = env["OTEL_EXPORTER_OTLP_ENDPOINT"].strip().rstrip("/") + "/v1/traces"
        return cls(
            traces_endpoint=endpoint,
            service_name=env.get("OTEL_SERVICE_NAME", "").strip() or DEFAULT_SERVICE_NAME,
        )
