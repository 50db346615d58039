"""``review-bot erase --repo OWNER/NAME | --subject S``: erase one owner's data everywhere."""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path

from review_bot.config.service import ServiceConfig
from review_bot.config.settings import load_settings

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``erase`` subcommand."""
    parser = sub.add_parser(
        "erase",
        help="erase one repository's or one subject's data",
        description="Erase a repository's or a subject's data from the service store, the "
        "cache and the transcripts (a directory or PostgreSQL), then record the erasure in "
        "the erasure log (the target by sha256 only). Prints what was erased as JSON. "
        "What cannot be attributed is listed under not_attributable.",
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--repo", metavar="OWNER/NAME", help="a repository")
    who.add_argument("--subject", metavar="S", help="a subject (GitHub login, API subject)")
    parser.add_argument("--dry-run", action="store_true", help="count, erase and record nothing")
    parser.add_argument(
        "--operator", default=None, help="who runs the erasure (default: the login name)"
    )
    parser.add_argument("--reason", help="why (kept in the record; the target's name masked)")
    parser.add_argument("--config", type=Path, help="a review-bot TOML config file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Erase, print the report; exit 0."""
    from review_bot.retention import Places, Target, erase

    target = Target("repo", args.repo) if args.repo is not None else Target("subject", args.subject)
    settings = load_settings(args.config)
    places = Places.from_settings(settings, ServiceConfig.from_env())
    report = erase(
        places,
        target,
        operator=args.operator or getpass.getuser(),
        reason=args.reason,
        dry_run=args.dry_run,
    )
    print(json.dumps(report.as_dict(), sort_keys=True))
    return 0
