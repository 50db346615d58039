"""The eslint security plugins: which are installed beside our eslint, and what their rules mean.

``configs/eslint-plugins.json`` is the one table: our eslint config runs exactly its rules,
and this module gives each its severity, category and CWE. A plugin is used only when its
package sits in the node_modules that holds the eslint we run (``./dev`` installs pinned
versions there); its entry point reaches our config as an absolute path in an env variable,
so nothing is ever resolved from the reviewed repo. The installed plugins' ``package.json``
bytes are part of eslint's config hash: a plugin upgrade invalidates cached results.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import cast

from review_bot.findings import Category, Severity

__all__ = ["PluginRule", "installed_plugins", "plugin_env", "plugin_fingerprint", "plugin_rule"]

PluginRule = tuple[Severity, Category, tuple[str, ...]]


@dataclass(frozen=True)
class _Plugin:
    namespace: str
    package: str
    env: str
    rules: dict[str, PluginRule]
    rules_dir: str | None  # given: the env variable names this dir of the package


def _table_path() -> Path:
    return Path(str(resources.files("review_bot.tools") / "configs" / "eslint-plugins.json"))


@functools.cache
def _table() -> tuple[bytes, tuple[_Plugin, ...]]:
    raw = _table_path().read_bytes()
    plugins = []
    for namespace, spec in json.loads(raw)["plugins"].items():
        rules = {
            str(rule): (cast(Severity, sev), cast(Category, cat), tuple(cwe))
            for rule, (sev, cat, cwe) in spec["rules"].items()
        }
        rules_dir = str(spec["rules_dir"]) if spec.get("rules_dir") else None
        plugins.append(
            _Plugin(namespace, str(spec["package"]), str(spec["env"]), rules, rules_dir)
        )
    return raw, tuple(plugins)


@functools.cache
def _entry(package: Path, rules_dir: str | None) -> tuple[Path, bytes] | None:
    """An npm package's entry point (or its ``rules_dir``) and ``package.json`` bytes, or
    None when absent."""
    try:
        raw = (package / "package.json").read_bytes()
        meta = json.loads(raw)
        main = package / str(meta.get("main") or "index.js")
    except (OSError, ValueError, AttributeError):
        return None
    if rules_dir is not None:
        folder = package / rules_dir
        return (folder, raw) if folder.is_dir() else None
    return (main, raw) if main.is_file() else None


@functools.cache
def installed_plugins(eslint: str) -> tuple[tuple[_Plugin, Path, bytes], ...]:
    """The table's plugins installed beside the eslint at ``eslint`` (once per process)."""
    # node_modules/.bin/eslint -> node_modules/eslint/bin/eslint.js
    node_modules = Path(eslint).resolve().parents[2]
    found = []
    for plugin in _table()[1]:
        entry = _entry(node_modules / plugin.package, plugin.rules_dir)
        if entry is not None:
            found.append((plugin, *entry))
    return tuple(found)


def plugin_env(eslint: str) -> dict[str, str]:
    """The env variables that tell our config where each installed plugin is."""
    return {plugin.env: str(entry) for plugin, entry, _ in installed_plugins(eslint)}


def plugin_fingerprint(eslint: str) -> bytes:
    """The rules table and the installed plugins' package.json (a cache key part)."""
    raw = _table()[0]
    return raw + b"".join(meta for _, _, meta in installed_plugins(eslint))


def plugin_rule(rule_id: str) -> PluginRule | None:
    """Severity, category and CWE of a plugin rule (``security/detect-...``), else None."""
    namespace, _, rule = rule_id.rpartition("/")
    for plugin in _table()[1]:
        if plugin.namespace == namespace:
            return plugin.rules.get(rule)
    return None
