"""The ``review-bot`` command: one module per subcommand, one error boundary here.

Each subcommand module exposes ``register(subparsers)``; the parser it adds sets
``handler=<fn(args) -> int>``. Exit codes:

- 0: the review is complete and nothing at/above ``--fail-on`` (with at least
  ``--min-confidence``) was found;
- 1: findings at/above ``--fail-on`` (or a failed check), whether the review is complete or not;
- 2: usage or input error;
- 3: internal error;
- 4: partial review: a tool or an agent failed and the findings that did come back are below
  the gate. A failed analyzer must not look like a clean change; ``--accept-partial`` (or
  ``review.accept_partial = true``) turns 4 into 0.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from review_bot import __version__
from review_bot.errors import ConfigError, InputError, ReviewError

__all__ = [
    "DISTRIBUTION",
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "SUBCOMMANDS",
    "main",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_PARTIAL = 4

DISTRIBUTION = "review-bot-orchestrator"
"""The name this project is published under (``review-bot`` on the index is another project)."""

# name -> the one-line help its module registers (tests/test_cli_imports.py checks they agree):
# ``review-bot --help`` lists them without importing any subcommand module
SUBCOMMANDS = {
    "review": "review a local change",
    "baseline": "record today's findings so later reviews hide them",
    "replay": "re-run a recorded review from its transcript and check it reproduces",
    "audit": "verify or show a review transcript",
    "eval": "score reviews on a labeled dataset, or compare two runs",
    "serve": "run the GitHub webhook service",
    "worker": "run queued reviews (Celery on Redis)",
    "retention": "enforce the retention periods",
    "erase": "erase one repository's or one subject's data",
    "api-key": "create, list or revoke API keys of the review API",
    "token": "mint a token for the review API",
}


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="review-bot",
        description="Multi-agent code review that leans on real static-analysis tools.",
    )
    parser.add_argument(
        "--version", action="version", version=f"review-bot {__version__} ({DISTRIBUTION})"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # import only the subcommand asked for: the others pull in heavy SDKs; without one,
    # only their names and one-line helps are needed
    wanted = next((arg for arg in argv if not arg.startswith("-")), None)
    if wanted not in SUBCOMMANDS:
        for name, help_text in SUBCOMMANDS.items():
            sub.add_parser(name, help=help_text)
        return parser
    importlib.import_module(f"review_bot.cli.{wanted.replace('-', '_')}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (also used by the console script)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(argv)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code: int = handler(args)
    except (InputError, ConfigError) as exc:
        print(f"review-bot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ReviewError as exc:
        print(f"review-bot: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("review-bot: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the boundary: a bug must not look like a finding-free review
        from review_bot.config.settings import debug_enabled

        if debug_enabled():
            traceback.print_exc()
        print(
            f"review-bot: internal error: {type(exc).__name__}: {exc} "
            "(set REVIEW_BOT_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
