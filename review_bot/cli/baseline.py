"""``review-bot baseline``: record the fingerprints of the findings a repository has today.

Every file of the tree at ``--base`` (default HEAD) is reviewed tools-only, with the
repository's controls from that same ref, every finding kept (no changed-line filter, no
cap). The fingerprints go to ``--output`` (default ``<repo>/.review-bot-baseline.json``,
meant to be committed); reviews given that file (``review --baseline FILE``, or ``[baseline]``
in ``.review-bot.toml`` for the CLI and the service) hide those findings and say how many.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from review_bot._artefacts import BASELINE_FILE
from review_bot._git import Git
from review_bot._tree import from_tree
from review_bot.compose import Runtime
from review_bot.config.baseline import dump_baseline
from review_bot.config.controls import Controls
from review_bot.config.repo import config_from_git
from review_bot.config.settings import load_settings
from review_bot.errors import InputError
from review_bot.findings import Review

_NO_CAP = 10**9


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``baseline`` subcommand."""
    parser = sub.add_parser(
        "baseline",
        help="record today's findings so later reviews hide them",
        description="Review every file at REF (tools only) and write the findings' fingerprints.",
    )
    parser.add_argument("repo", nargs="?", help="repository (default: .)")
    parser.add_argument("--base", default="HEAD", help="the commit whose tree is recorded")
    parser.add_argument(
        "--output", "-o", help=f"baseline file to write (default: REPO/{BASELINE_FILE})"
    )
    parser.add_argument("--config", type=Path, help="a review-bot TOML config file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write the baseline file; prints how many fingerprints it holds."""
    repo = Path(args.repo or ".")
    settings = load_settings(args.config, tools_only=True)
    change = from_tree(repo, args.base, limits=settings.review.limits)
    config = config_from_git(settings.review, repo, args.base)
    keep = config.controls.model_dump(exclude={"baseline", "baseline_source"})
    config = config.model_copy(
        update={
            "filter_mode": "nofilter",
            "max_findings": _NO_CAP,
            "tools_only": True,
            "controls": Controls.model_validate(keep),
        }
    )

    async def go() -> Review:
        runtime = Runtime.from_settings(settings)
        try:
            return await runtime.review(change, config, record=False)
        finally:
            await runtime.aclose()

    result = asyncio.run(go())
    output = Path(args.output) if args.output else Git(repo).top / BASELINE_FILE
    text = dump_baseline([f.model_dump(mode="json") for f in result.findings], change.head)
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write baseline {str(output)!r}: {exc.strerror}") from exc
    failed = ", ".join(f.component for f in result.failures)
    partial = f" (partial: {failed} failed)" if failed else ""
    print(
        f"review-bot: recorded {len(result.findings)} findings of {len(change.files)} files "
        f"at {args.base} in {output}{partial}",
        file=sys.stderr,
    )
    return 0
