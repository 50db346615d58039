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
from review_bot.config.settings import debug_enabled
from review_bot.errors import ConfigError, InputError, ReviewError

__all__ = [
    "DISTRIBUTION",
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "main",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_PARTIAL = 4

DISTRIBUTION = "review-bot-orchestrator"
"""The name this project is published under (``review-bot`` on the index is another project)."""

_SUBCOMMANDS = (
    "review", "baseline", "replay", "audit", "eval", "serve", "worker", "api-key", "token",
)  # fmt: skip


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="review-bot",
        description="Multi-agent code review that leans on real static-analysis tools.",
    )
    parser.add_argument(
        "--version", action="version", version=f"review-bot {__version__} ({DISTRIBUTION})"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # import only the subcommand asked for: the others pull in heavy SDKs
    wanted = next((arg for arg in argv if not arg.startswith("-")), None)
    names: tuple[str, ...] = (wanted,) if wanted in _SUBCOMMANDS else _SUBCOMMANDS
    if wanted is None and "--version" in argv:
        names = ()  # argparse prints the version and exits before any subcommand matters
    for name in names:
        try:
            module_name = f"review_bot.cli.{name.replace('-', '_')}"
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(sub)
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
