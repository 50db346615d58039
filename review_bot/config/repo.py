"""The reviewed repository's own settings: ``.review-bot.toml`` and ``AGENTS.md``, read
from the base side only (a change cannot alter how it is reviewed), the same way by the
CLI (``git show BASE:...``), the library and the webhook service (the base SHA).

File layout (every table optional; unknown keys are an error)::

    [review]                 # a subset of ReviewConfig: filter_mode, fail_on, tools.enabled ...
    [paths]                  # include = [globs], exclude = [globs]
    [[ignore]]               # rule = "B101", tool = "bandit", paths = ["tests/**"], reason = "..."
    [severity.<category>]    # max = "low" (lowered to it), min = "medium" (below: not reported)
    [instructions]           # text = "...";  [[instructions.per_path]] paths = [...], text = "..."
    [baseline]               # file = ".review-bot-baseline.json" (read from the base side too)
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from review_bot._artefacts import BASELINE_FILE
from review_bot._globs import check_glob
from review_bot.config.baseline import parse_baseline
from review_bot.config.controls import (
    Controls,
    Instructions,
    PathFilters,
    PathInstructions,
    RuleIgnore,
    SeverityBounds,
)
from review_bot.config.loader import load_review_config, validation_message
from review_bot.config.models import ReviewConfig
from review_bot.errors import ConfigError
from review_bot.findings import Category

__all__ = [
    "AGENTS_MD_PATH",
    "MAX_AGENTS_MD_CHARS",
    "REPO_CONFIG_PATH",
    "RepoConfig",
    "apply_repo_config",
    "config_from_git",
    "parse_repo_config",
    "read_repo_files",
]

REPO_CONFIG_PATH = ".review-bot.toml"
AGENTS_MD_PATH = "AGENTS.md"
MAX_AGENTS_MD_CHARS = 16_000
# operator settings: they name a program or a path to load, which a repository must not choose
_OPERATOR_ONLY = {
    ("tools", "paths"),
    ("tools", "semgrep_rules"),
    ("tools", "cache_dir"),
    ("controls",),
}
_MAX_READ_BYTES = 8_000_000
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class _RepoInstructions(BaseModel):
    model_config = _FROZEN

    text: str = ""
    per_path: tuple[PathInstructions, ...] = ()


class _Baseline(BaseModel):
    model_config = _FROZEN

    file: str = BASELINE_FILE

    @field_validator("file")
    @classmethod
    def _relative(cls, value: str) -> str:
        return check_glob(value)


class _RepoFile(BaseModel):
    """The layout of ``.review-bot.toml``."""

    model_config = _FROZEN

    review: dict[str, Any] = {}
    paths: PathFilters | None = None
    ignore: tuple[RuleIgnore, ...] | None = None
    severity: dict[Category, SeverityBounds] | None = None
    instructions: _RepoInstructions | None = None
    baseline: _Baseline | None = None


@dataclass(frozen=True)
class RepoConfig:
    """A parsed ``.review-bot.toml``: its ``[review]`` table and the controls it sets."""

    review: dict[str, Any] = field(default_factory=dict)
    controls: dict[str, Any] = field(default_factory=dict)
    baseline_file: str | None = None


def _check_operator_only(review: Mapping[str, Any], where: str) -> None:
    for path in _OPERATOR_ONLY:
        node: Any = review
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if node is not None:
            raise ConfigError(
                f"{where}: review.{'.'.join(path)} is an operator setting and is not read from "
                "the repository; remove it (team controls are top-level tables: [paths], "
                "[[ignore]], [severity.*], [instructions], [baseline])"
            )


def parse_repo_config(text: str, where: str = REPO_CONFIG_PATH) -> RepoConfig:
    """Parse and check ``.review-bot.toml``; ConfigError naming the bad key or value."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML ({exc}); fix it on the base branch") from exc
    try:
        parsed = _RepoFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, where)) from exc
    _check_operator_only(parsed.review, where)
    controls: dict[str, Any] = {}
    for key in ("paths", "ignore", "severity"):
        if getattr(parsed, key) is not None:
            controls[key] = getattr(parsed, key)
    if parsed.instructions is not None:
        controls["instructions"] = Instructions(
            text=parsed.instructions.text, per_path=parsed.instructions.per_path
        )
    baseline = parsed.baseline.file if parsed.baseline is not None else None
    return RepoConfig(review=dict(parsed.review), controls=controls, baseline_file=baseline)


def _merged_review(base: ReviewConfig, section: Mapping[str, Any]) -> ReviewConfig:
    merged = base.model_dump(mode="json", exclude={"controls"})
    for key, value in section.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    config = load_review_config(data={"review": merged}, env={})
    return config.model_copy(update={"controls": base.controls})


def apply_repo_config(
    base: ReviewConfig,
    repo: RepoConfig,
    *,
    agents_md: str | None = None,
    baseline_text: str | None = None,
    where: str = REPO_CONFIG_PATH,
) -> ReviewConfig:
    """``base`` with the repository's settings over it: its ``[review]`` keys, the controls
    it sets (each table replaces the operator's), AGENTS.md and the baseline's fingerprints."""
    try:
        config = _merged_review(base, repo.review)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("the configuration", where)) from exc
    controls = base.controls.model_copy(update=repo.controls)
    if agents_md and agents_md.strip():
        text = agents_md[:MAX_AGENTS_MD_CHARS]
        controls = controls.model_copy(
            update={"instructions": controls.instructions.model_copy(update={"agents_md": text})}
        )
    if baseline_text is not None and repo.baseline_file is not None:
        fingerprints = parse_baseline(baseline_text, repo.baseline_file)
        controls = controls.model_copy(
            update={"baseline": fingerprints, "baseline_source": repo.baseline_file}
        )
    return config.model_copy(update={"controls": Controls.model_validate(controls.model_dump())})


def read_repo_files(
    read: Callable[[str], str | None], base: ReviewConfig, where: str = REPO_CONFIG_PATH
) -> ReviewConfig:
    """``base`` with the repository's settings, read by ``read(path)`` from the base side
    (None: the file does not exist there)."""
    text = read(REPO_CONFIG_PATH)
    repo = parse_repo_config(text, where) if text is not None else RepoConfig()
    baseline = read(repo.baseline_file) if repo.baseline_file else None
    if repo.baseline_file and baseline is None:
        raise ConfigError(
            f"{where} names baseline file {repo.baseline_file!r}, which the base side does not "
            "have: commit the file written by `review-bot baseline`, or remove [baseline]"
        )
    return apply_repo_config(
        base, repo, agents_md=read(AGENTS_MD_PATH), baseline_text=baseline, where=where
    )


def config_from_git(base: ReviewConfig, repo: Path, ref: str) -> ReviewConfig:
    """``base`` with the settings of ``repo`` at ``ref`` (``git show REF:.review-bot.toml``,
    ``AGENTS.md``), read through the scrubbed git of ``review_bot._git``; never the work tree."""
    from review_bot._git import Git, TooBig

    git = Git(repo)
    sha = git.resolve(ref)

    def read(path: str) -> str | None:
        blob = git.blobs([f"{sha}:{path}"], _MAX_READ_BYTES).get(f"{sha}:{path}")
        if blob is None or isinstance(blob, TooBig):
            return None
        return blob.decode("utf-8", "replace")

    return read_repo_files(read, base, where=f"{REPO_CONFIG_PATH} at {ref}")
