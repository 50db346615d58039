"""``review-bot review``: review a local change (git range, diff file, or the bundled example)."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

from review_bot import change as change_mod
from review_bot.change import ChangeSet
from review_bot.cli import EXIT_FINDINGS, EXIT_OK, EXIT_PARTIAL
from review_bot.cli._progress import ProgressSink
from review_bot.compose import Runtime, example_change
from review_bot.config.baseline import read_baseline_file
from review_bot.config.models import FilterMode, ReviewConfig
from review_bot.config.repo import config_from_git
from review_bot.config.settings import load_settings
from review_bot.errors import InputError
from review_bot.findings import SEVERITIES, Review
from review_bot.render import FORMATS, render

FILTER_MODES: tuple[FilterMode, ...] = ("added", "diff_context", "file", "nofilter")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``review`` subcommand."""
    parser = sub.add_parser(
        "review",
        help="review a local change",
        description="Review `git diff BASE...HEAD` of a repository, a diff file, or the example.",
    )
    parser.add_argument(
        "repo", nargs="?", help="repository (default: .), or the new-side tree for --diff"
    )
    parser.add_argument("--base", help="base ref (default: origin/HEAD, main or master)")
    parser.add_argument(
        "--uncommitted", action="store_true", help="include staged, unstaged and untracked changes"
    )
    parser.add_argument("--diff", help="a unified diff file ('-' for stdin) instead of git")
    parser.add_argument("--example", action="store_true", help="review the bundled example change")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", "-o", help="write the report to this file")
    parser.add_argument("--tools-only", action="store_true", help="do not call a model")
    parser.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 at/above this severity")
    parser.add_argument(
        "--min-confidence",
        type=_confidence,
        metavar="0..1",
        help="only findings with at least this confidence fail the gate (default 0.5)",
    )
    parser.add_argument(
        "--accept-partial",
        action="store_true",
        help="exit 0, not 4, when a tool or agent failed and nothing reached the gate",
    )
    parser.add_argument("--filter-mode", choices=FILTER_MODES, help="which lines count")
    parser.add_argument("--config", type=Path, help="a review-bot TOML config file")
    parser.add_argument(
        "--baseline", type=Path, help="hide the findings recorded by `review-bot baseline`"
    )
    parser.add_argument("--no-progress", action="store_true", help="no live progress on stderr")
    parser.set_defaults(handler=run)


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a confidence between 0 and 1")
    return value


def exit_status(review: Review, config: ReviewConfig) -> int:
    """1 when the gate fails, else 4 for a partial review (unless accepted), else 0."""
    if review.fails(config.fail_on, config.min_confidence):
        return EXIT_FINDINGS
    if review.partial and not config.accept_partial:
        return EXIT_PARTIAL
    return EXIT_OK


def _ref_exists(repo: Path, ref: str) -> bool:
    git = ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"]
    return subprocess.run(git, capture_output=True, check=False).returncode == 0


def _default_base(repo: Path) -> str:
    for ref in ("origin/HEAD", "main", "master"):
        if _ref_exists(repo, ref):
            return ref
    raise InputError(
        f"no --base given and none of origin/HEAD, main, master exists in {str(repo)!r}: "
        "pass --base REF"
    )


def _load_change(args: argparse.Namespace) -> tuple[ChangeSet, str | None]:
    """The change, and the base ref whose ``.review-bot.toml`` applies (None: no repo)."""
    if args.example:
        return example_change(), None
    repo = Path(args.repo or ".")
    if args.diff:
        if args.diff == "-":
            diff: str | bytes = sys.stdin.buffer.read()
        else:
            try:
                diff = Path(args.diff).read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read diff file {args.diff!r}: {exc.strerror}") from exc
        if args.repo is not None and not repo.is_dir():
            raise InputError(f"tree {args.repo!r} is not a directory: pass the new-side tree")
        return change_mod.from_diff(diff, tree=repo if args.repo is not None else None), None
    if not repo.exists():
        raise InputError(f"repository {args.repo!r} does not exist: pass a path to a git repo")
    base = args.base or _default_base(repo)
    return change_mod.from_git(repo, base, uncommitted=args.uncommitted), base


def review_config(
    config: ReviewConfig, args: argparse.Namespace, base: str | None, overrides: dict[str, object]
) -> ReviewConfig:
    """The operator's config with the repository's (from ``base``) and ``--baseline`` over it;
    command-line flags win over the repository."""
    if base is not None:  # the repository's controls, from the base side only
        config = config_from_git(config, Path(args.repo or "."), base)
        config = config.model_copy(update=overrides)
    if getattr(args, "baseline", None) is not None:
        controls = config.controls.model_copy(
            update={
                "baseline": read_baseline_file(args.baseline),
                "baseline_source": str(args.baseline),
            }
        )
        config = config.model_copy(update={"controls": controls})
    return config


def run(args: argparse.Namespace) -> int:
    """Review the change and print or write the report; the exit code follows the gate
    (:func:`exit_status`)."""
    overrides: dict[str, object] = {}
    if args.fail_on:
        overrides["fail_on"] = args.fail_on
    if args.filter_mode:
        overrides["filter_mode"] = args.filter_mode
    if args.min_confidence is not None:
        overrides["min_confidence"] = args.min_confidence
    if args.accept_partial:
        overrides["accept_partial"] = True
    if args.tools_only:
        overrides["tools_only"] = True
    settings = load_settings(args.config, overrides=overrides, tools_only=args.tools_only)
    change, base = _load_change(args)
    config = review_config(settings.review, args, base, overrides)
    progress = ProgressSink(enabled=not args.no_progress)

    async def go() -> Review:
        runtime = Runtime.from_settings(settings)
        try:
            return await runtime.review(change, config, events=progress)
        finally:
            await runtime.aclose()

    with progress:
        result = asyncio.run(go())
    color = args.format == "text" and args.output is None and sys.stdout.isatty()
    text = render(result, args.format, change, color=color)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write --output {args.output!r}: {exc.strerror}") from exc
    else:
        sys.stdout.write(text)
    code = exit_status(result, settings.review)
    if code == EXIT_PARTIAL:
        names = ", ".join(sorted({f.component for f in result.failures}))
        print(
            f"review-bot: partial review ({names} failed): exit {EXIT_PARTIAL}; "
            "pass --accept-partial to treat it as complete",
            file=sys.stderr,
        )
    return code
