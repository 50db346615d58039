"""GitHub's published OpenAPI description (npm ``@octokit/openapi``), to check requests
and responses against, and its examples, to give the fake GitHub realistic answers.

The description (13 MB) is loaded once per test session. Every request our client makes is
matched to an operation (an unknown endpoint is an error), its JSON body validated against
the operation's request schema with undeclared fields refused (GitHub ignores a misspelt
field, so a typo would go unnoticed), and every JSON response of the fake validated against
the documented response of its status.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

__all__ = ["GitHubSpec", "load_spec", "node_modules"]

_ROOT = Path(__file__).resolve().parents[2]
_SPEC = "@octokit/openapi/generated/api.github.com.json"
_NOT_REST = frozenset({"/graphql"})  # GraphQL has its own schema, not in the REST description


def node_modules() -> Path:
    """The node_modules ``./dev`` installs (``.venv/node``), found on PATH first."""
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        path = Path(entry)
        if path.name == ".bin" and path.parent.name == "node_modules" and path.is_dir():
            return path.parent
    return _ROOT / ".venv" / "node" / "node_modules"


@functools.cache
def load_spec() -> GitHubSpec:
    """The description, parsed once per process."""
    path = node_modules() / _SPEC
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run ./dev test (it installs @octokit/openapi)")
    return GitHubSpec(json.loads(path.read_text(encoding="utf-8")))


class GitHubSpec:
    """Operations of the description, matched by method and concrete path."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self._routes: list[tuple[int, re.Pattern[str], str]] = []
        for template in doc["paths"]:
            pattern = re.sub(
                r"\{([^}]+)\}",
                lambda m: "(?:.+)" if m.group(1) == "path" else "[^/]+",
                re.escape(template).replace(r"\{", "{").replace(r"\}", "}"),
            )
            self._routes.append((template.count("{"), re.compile(f"^{pattern}$"), template))
        self._routes.sort(key=lambda r: r[0])
        self._validators: dict[tuple[str, str, str], OAS30Validator] = {}

    def template(self, path: str) -> str | None:
        """The path template ``path`` belongs to (fewest parameters first)."""
        for _, pattern, template in self._routes:
            if pattern.match(path):
                return template
        return None

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        template = self.template(path)
        if template is None:
            return None
        op = self.doc["paths"][template].get(method.lower())
        return (template, op) if op is not None else None

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def check_request(self, method: str, path: str, body: Any) -> list[str]:
        """What is wrong with a request (empty when it matches the description)."""
        if path in _NOT_REST:
            return []
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in GitHub's REST API"]
        template, op = found
        content = self.resolve(op.get("requestBody") or {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return [] if body is None else [f"{method} {template}: takes no JSON body"]
        if body is None:
            return []
        return self._errors((method, template, "request"), _closed(self, schema), body)

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """What is wrong with a JSON response (undocumented error statuses are not checked)."""
        if path in _NOT_REST:
            return []
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path}: no such operation"]
        template, op = found
        documented = op["responses"].get(str(status))
        if documented is None:
            return [f"{method} {template}: status {status} is undocumented"] if status < 400 else []
        schema = (
            self.resolve(documented).get("content", {}).get("application/json", {}).get("schema")
        )
        if schema is None:
            return []
        return self._errors((method, template, str(status)), schema, body)

    def example(self, method: str, template: str, status: int = 200) -> Any:
        """The description's first example answer of an operation (a deep copy)."""
        op = self.doc["paths"][template][method.lower()]
        content = self.resolve(op["responses"][str(status)])["content"]["application/json"]
        first = next(iter(content["examples"].values()))
        return copy.deepcopy(self.resolve(first)["value"])

    def _errors(self, key: tuple[str, str, str], schema: dict[str, Any], body: Any) -> list[str]:
        validator = self._validators.get(key)
        if validator is None:
            root = {"components": self.doc["components"], **schema}
            validator = OAS30Validator(root, format_checker=oas30_format_checker)
            self._validators[key] = validator
        return [
            f"{key[0]} {key[1]} ({key[2]}): {'/'.join(map(str, e.absolute_path)) or '.'}: "
            f"{e.message[:300]}"
            for e in validator.iter_errors(body)
        ]


def _closed(spec: GitHubSpec, schema: dict[str, Any]) -> dict[str, Any]:
    """A request schema that refuses undeclared fields (refs resolved, objects closed)."""
    node = spec.resolve(schema)
    out: dict[str, Any] = {k: v for k, v in node.items() if k not in ("properties", "items")}
    if "properties" in node:
        out["properties"] = {k: _closed(spec, v) for k, v in node["properties"].items()}
        out.setdefault("additionalProperties", False)
    if "items" in node:
        out["items"] = _closed(spec, node["items"])
    return out  # oneOf/anyOf/allOf branches stay as published: they constrain, not declare
