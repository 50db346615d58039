"""``review-bot audit verify|show TRANSCRIPT``: check a transcript's chain, or read it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

from review_bot.audit.render import render_html, render_terminal
from review_bot.audit.verify import VerifyResult, load_records
from review_bot.config.settings import load_settings
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
    signed = verify.add_mutually_exclusive_group()
    signed.add_argument(
        "--require-signature",
        action="store_true",
        help="exit 1 unless a configured key's signature checks (default once a key is set)",
    )
    signed.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="exit 0 for an intact unsigned transcript even with a key configured (old ones)",
    )
    verify.add_argument(
        "--expect-head",
        metavar="HASH",
        help="exit 1 unless the final record's hash is HASH (the review's transcript_hash)",
    )
    verify.add_argument("--config", type=Path, help="a review-bot TOML config file ([audit] keys)")
    verify.set_defaults(handler=run_verify)
    show = actions.add_parser("show", help="show the conversation, tool runs, tokens, timings")
    show.add_argument("transcript", help="a .jsonl file or a postgresql://HOST/DB/ID URL")
    show.add_argument("--format", choices=("text", "html"), default="text")
    show.add_argument("--output", "-o", help="write to this file (required for html)")
    show.set_defaults(handler=run_show)


def _verdict(result: VerifyResult, args: argparse.Namespace, keyed: bool) -> str | None:
    """Why the transcript fails the requested checks, or None when it passes."""
    if not result.intact:
        return "broken"
    if not result.complete and not args.allow_incomplete:
        return "incomplete"
    if args.expect_head and args.expect_head.strip().lower() != result.head:
        return f"its final hash is {result.head}, not the expected {args.expect_head.strip()}"
    require = args.require_signature or (keyed and not args.allow_unsigned)
    if require and result.signature != "valid":
        if not keyed:
            return "a signature is required but no audit key is configured to check it"
        return f"a valid signature is required, and it is {result.signature}"
    return None


def run_verify(args: argparse.Namespace) -> int:
    """Print the verification result; 0 ok, 1 broken, incomplete, unsigned or wrong head.

    Once an audit key is configured (``REVIEW_BOT_AUDIT_KEY``/``_KEYS`` or ``[audit]``), an
    unsigned transcript fails unless ``--allow-unsigned``: a forger who rewrites a transcript
    without the key can only produce an unsigned one."""
    keyring = load_settings(args.config, tools_only=True).audit.keyring()
    _, result = load_records(args.transcript, keyring)
    failure = _verdict(result, args, bool(keyring))
    console = Console(stderr=False, highlight=False)
    text = f"{result.location}: {result.message()}"
    if failure and failure not in ("broken", "incomplete"):
        text += f"; FAILED: {failure}"
    console.print(Text(text, style="red" if failure else "green"), soft_wrap=True)
    return 1 if failure else 0


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
