"""Content-addressed cache keys: sha256 over canonical JSON, with a schema version.

Every input that can change the answer is part of the key (the model name included; the
reason we do not use AutoGen's cache, whose key omits it). Bump ``SCHEMA_VERSION`` when the
shape of cached values changes: old entries then simply stop matching.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "SCHEMA_VERSION",
    "TOOL_OUTPUT_VERSION",
    "canonical_json",
    "completion_key",
    "content_hash",
    "model_tag",
    "repo_tag",
    "tool_output_key",
    "tool_tag",
]

SCHEMA_VERSION = 1
# The shape of cached tool findings. Bump it when Finding gains a field the adapters fill
# (2: ``confidence``), so entries written without it are recomputed, not served stale.
# Adapter code changes are covered by the analyzers' config_hash (it hashes their source).
TOOL_OUTPUT_VERSION = 2


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace; NaN and non-JSON values are refused."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _digest(kind: str, payload: Mapping[str, Any]) -> str:
    text = canonical_json({"kind": kind, "schema": SCHEMA_VERSION, **payload})
    return f"{kind}:{hashlib.sha256(text.encode()).hexdigest()}"


def content_hash(data: bytes | str) -> str:
    """sha256 hex of a file's content (what tool-output keys take)."""
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def completion_key(
    *,
    provider: str,
    model: str,
    parameters: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] = (),
    output_schema: Mapping[str, Any] | None = None,
    prompt_version: str = "",
) -> str:
    """The key of one model completion (``completion:<sha256>``).

    Args:
        provider / model: who answers (different models never share entries).
        parameters: temperature, max tokens, seed, tool_choice... as JSON data.
        messages: the request's messages as JSON data (after redaction).
        tools: the tool schemas offered to the model.
        output_schema: the structured-output JSON schema, if any.
        prompt_version: the hash of the prompt templates that produced the messages.
    """
    return _digest(
        "completion",
        {
            "provider": provider,
            "model": model,
            "parameters": dict(parameters),
            "messages": list(messages),
            "tools": list(tools),
            "output_schema": output_schema,
            "prompt_version": prompt_version,
        },
    )


def tool_output_key(
    *, tool: str, tool_version: str, config_hash: str, path: str, content_hash: str
) -> str:
    """The key of one analyzer's findings on one file (``tool:<sha256>``)."""
    return _digest(
        "tool",
        {
            "findings_version": TOOL_OUTPUT_VERSION,
            "tool": tool,
            "tool_version": tool_version,
            "config_hash": config_hash,
            "path": path,
            "content_hash": content_hash,
        },
    )


def model_tag(provider: str, model: str) -> str:
    """Tag of every completion of one model (invalidate when it changes behind its name)."""
    return f"model:{provider}:{model}"


def tool_tag(tool: str, tool_version: str | None = None) -> str:
    """Tag of a tool's outputs, or of one version of it."""
    return f"tool:{tool}" if tool_version is None else f"tool:{tool}:{tool_version}"


def repo_tag(repository: str) -> str:
    """Tag of everything cached for one repository."""
    return f"repo:{repository}"
