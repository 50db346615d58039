"""Review Bot: multi-agent code review leaning on real static-analysis tools.

The public API::

    from review_bot import review, review_sync, from_git, ReviewConfig
    result = review_sync(from_git(Path("."), "main"), ReviewConfig())

``review``/``review_sync`` run the CLI's composition (agents when a model is configured,
cache, resilience policies, transcripts), from the same settings unless you pass your own.
With the repository's own controls (``.review-bot.toml`` and ``AGENTS.md`` at the base ref)::

    config = config_from_git(ReviewConfig(), Path("."), "main")
    result = review_sync(from_git(Path("."), "main"), config)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from review_bot._lazy import lazy_package
from review_bot._version import __version__

if TYPE_CHECKING:
    from review_bot.api import review, review_sync
    from review_bot.change import ChangeSet, FileChange, Hunk, from_diff, from_files, from_git
    from review_bot.config import ReviewConfig, ToolsConfig, load_review_config
    from review_bot.config.controls import Controls
    from review_bot.config.repo import config_from_git
    from review_bot.config.settings import Settings, load_settings
    from review_bot.coverage import Coverage
    from review_bot.errors import ConfigError, InputError, ReviewError
    from review_bot.findings import Finding, Review, Severity
    from review_bot.pipeline import Services
    from review_bot.render import render

_EXPORTS = {
    "review": "review_bot.api",
    "review_sync": "review_bot.api",
    "ChangeSet": "review_bot.change",
    "FileChange": "review_bot.change",
    "Hunk": "review_bot.change",
    "from_diff": "review_bot.change",
    "from_files": "review_bot.change",
    "from_git": "review_bot.change",
    "ReviewConfig": "review_bot.config",
    "ToolsConfig": "review_bot.config",
    "load_review_config": "review_bot.config",
    "Controls": "review_bot.config.controls",
    "config_from_git": "review_bot.config.repo",
    "Settings": "review_bot.config.settings",
    "load_settings": "review_bot.config.settings",
    "Coverage": "review_bot.coverage",
    "ConfigError": "review_bot.errors",
    "InputError": "review_bot.errors",
    "ReviewError": "review_bot.errors",
    "Finding": "review_bot.findings",
    "Review": "review_bot.findings",
    "Severity": "review_bot.findings",
    "Services": "review_bot.pipeline",
    "render": "review_bot.render",
}
lazy_package(__name__, _EXPORTS)

__all__ = [
    "ChangeSet",
    "ConfigError",
    "Controls",
    "Coverage",
    "FileChange",
    "Finding",
    "Hunk",
    "InputError",
    "Review",
    "ReviewConfig",
    "ReviewError",
    "Services",
    "Settings",
    "Severity",
    "ToolsConfig",
    "__version__",
    "config_from_git",
    "from_diff",
    "from_files",
    "from_git",
    "load_review_config",
    "load_settings",
    "render",
    "review",
    "review_sync",
]
