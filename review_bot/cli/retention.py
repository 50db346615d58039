"""``review-bot retention run``: apply the retention periods once (or every N seconds)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from review_bot.config.service import ServiceConfig
from review_bot.config.settings import load_settings
from review_bot.errors import InputError

__all__ = ["erasures", "register", "run", "run_every"]

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``retention`` subcommand with ``run``."""
    parser = sub.add_parser("retention", help="enforce the retention periods")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    run_parser = actions.add_parser(
        "run",
        help="delete or expire what is past its retention period",
        description="Cap Redis TTLs of review state, delivery records and cache entries at "
        "their retention periods, purge the local cache, delete transcripts older than "
        "[audit] retention_days. Prints what it did as JSON. Periods: [retention] in the "
        "config, REVIEW_BOT_RETENTION_{REVIEWS,EVENTS,CACHE}_DAYS; stores: REDIS_URL, "
        "REVIEW_BOT_REDIS_PREFIX, REVIEW_BOT_CACHE_DIR, REVIEW_BOT_TRANSCRIPTS.",
    )
    run_parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
    run_parser.add_argument(
        "--every",
        type=float,
        metavar="SECONDS",
        help="run again every SECONDS until stopped (a scheduler of its own, for compose)",
    )
    run_parser.add_argument("--config", type=Path, help="a review-bot TOML config file")
    run_parser.set_defaults(handler=run)
    log_parser = actions.add_parser(
        "erasures",
        help="print the erasure log and check its chain",
        description="Print every erasure record as a JSON line; exit 1 naming the first "
        "record whose hash or link does not hold (a record removed or edited), 0 otherwise.",
    )
    log_parser.add_argument("--config", type=Path, help="a review-bot TOML config file")
    log_parser.set_defaults(handler=erasures)


def _once(config_path: Path | None, dry_run: bool) -> None:
    from review_bot.retention import Places, run_retention

    settings = load_settings(config_path)
    places = Places.from_settings(settings, ServiceConfig.from_env())
    report = run_retention(settings, places, dry_run=dry_run)
    print(json.dumps(report.as_dict(), sort_keys=True), flush=True)


def run_every(
    once: Callable[[], None], every_s: float, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Call ``once`` now and every ``every_s`` seconds; a failed run is logged, not fatal
    (the next one tries again), so a Redis restart does not stop the schedule."""
    from review_bot.errors import ReviewError

    while True:
        try:
            once()
        except ReviewError as exc:
            log.error("retention run failed: %s; trying again in %.0fs", exc, every_s)
        sleep(every_s)


def erasures(args: argparse.Namespace) -> int:
    """Print the erasure log; 1 when its chain is broken."""
    from review_bot.retention import Places
    from review_bot.retention.log import first_broken, open_erasure_log

    settings = load_settings(args.config)
    places = Places.from_settings(settings, ServiceConfig.from_env())
    entries = open_erasure_log(places.erasure_log).entries()
    for entry in entries:
        print(json.dumps(entry, sort_keys=True))
    broken = first_broken(entries)
    if broken is not None:
        print(f"erasure log {places.erasure_log!r}: record {broken + 1} of {len(entries)} "
              "does not match its hash or its predecessor", file=sys.stderr)  # fmt: skip
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    """Run retention once, or on a schedule with ``--every``."""
    if args.every is None:
        _once(args.config, args.dry_run)
        return 0
    if args.every <= 0:
        raise InputError(f"--every {args.every!r} must be a positive number of seconds")
    from review_bot.config.logs import LogConfig
    from review_bot.logs import configure_logging

    configure_logging(LogConfig.from_env(), sys.stderr)
    run_every(lambda: _once(args.config, args.dry_run), args.every)
    return 0
