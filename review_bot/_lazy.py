"""Lazy package exports: a name is imported from its module the first time it is used.

``review-bot --help`` and a tools-only review must not pay for the agent runtime, the OpenAI
SDK or anything else a package re-exports for convenience. A package imports its exports
under ``TYPE_CHECKING`` (for type checkers) and calls ``lazy_package(__name__, EXPORTS)``
with ``{name: module}``; each name is then imported on first use (PEP 562).

Where an export shares its name with a submodule (``review_bot.render`` the function and the
package, ``review_bot.audit.replay``), the package attribute stays the export, as it was when
the package imported it eagerly: importing the submodule does not replace it.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Mapping

__all__ = ["lazy_package"]


class _LazyPackage(types.ModuleType):
    _lazy_exports: Mapping[str, str]

    def __getattr__(self, name: str) -> object:
        module = self.__dict__.get("_lazy_exports", {}).get(name)
        if module is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: object) -> None:
        exports = self.__dict__.get("_lazy_exports", {})
        if isinstance(value, types.ModuleType) and exports.get(name) == value.__name__:
            value = getattr(value, name, value)  # the import system binding a same-named submodule
        super().__setattr__(name, value)


def lazy_package(package: str, exports: Mapping[str, str]) -> None:
    """Make ``package`` import each of ``exports`` (``{name: module}``) on first use."""
    module = sys.modules[package]
    module.__class__ = _LazyPackage
    module.__dict__["_lazy_exports"] = dict(exports)
