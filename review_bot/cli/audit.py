"""``review-bot audit verify|show TRANSCRIPT``: check a transcript's chain, or read it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

from review_bot.audit.render import render_html, render_terminal
from review_bot.audit.verify import load_records
from review_bot.errors import InputError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``audit`` subcommand with ``verify`` and ``show``."""
    parser = sub.add_parser("audit", help="verify or show a review transcript")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = actions.add_parser(
        "verify",
        help="check the hash chain",
        description="Check a transcript's hash chain; exit 0 when intact and complete, "
        "1 naming the first broken record otherwise.",
    )
    verify.add_argument("transcript", help="a .jsonl file or a postgresql://HOST/DB/ID URL")
    verify.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="exit 0 for an intact transcript of a review that did not finish (a crash)",
    )
    verify.set_defaults(handler=run_verify)
    show = actions.add_parser("show", help="show the conversation, tool runs, tokens, timings")
    show.add_argument("transcript", help="a .jsonl file or a postgresql://HOST/DB/ID URL")
    show.add_argument("--format", choices=("text", "html"), default="text")
    show.add_argument("--output", "-o", help="write to this file (required for html)")
    show.set_defaults(handler=run_show)


def run_verify(args: argparse.Namespace) -> int:
    """Print the verification result; 0 ok, 1 broken or incomplete."""
    _, result = load_records(args.transcript)
    console = Console(stderr=False, highlight=False)
    style = "green" if result.ok else "red"
    console.print(Text(f"{result.location}: {result.message()}", style=style), soft_wrap=True)
    if result.ok or (result.intact and args.allow_incomplete):
        return 0
    return 1


def run_show(args: argparse.Namespace) -> int:
    """Render the transcript; a broken one is shown up to its break, and says so."""
    records, result = load_records(args.transcript)
    if args.format == "html":
        if not args.output:
            raise InputError("--format html needs --output FILE")
        try:
            Path(args.output).write_text(render_html(records, result), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write --output {args.output!r}: {exc.strerror}") from exc
        print(f"wrote {args.output}", file=sys.stderr)
        return 0 if result.intact else 1
    if args.output:
        with Path(args.output).open("w", encoding="utf-8") as handle:
            render_terminal(records, result, Console(file=handle, width=120))
    else:
        render_terminal(records, result, Console())
    return 0 if result.intact else 1
