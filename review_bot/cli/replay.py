"""``review-bot replay TRANSCRIPT``: re-run a recorded review offline and compare."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from rich.console import Console
from rich.text import Text

from review_bot.audit.replay import AgentsFactory, replay
from review_bot.config.settings import load_settings
from review_bot.errors import InputError
from review_bot.findings import Review
from review_bot.render import render_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``replay`` subcommand."""
    parser = sub.add_parser(
        "replay",
        help="re-run a recorded review from its transcript and check it reproduces",
        description="Re-run the review pipeline with model answers and tool outputs served "
        "from the transcript (no network, no tool process). Exit 0 when the review JSON is "
        "identical to the recorded one, 1 naming the first difference otherwise.",
    )
    parser.add_argument("transcript", help="a .jsonl file or a postgresql://HOST/DB/ID URL")
    parser.add_argument("--output", "-o", help="write the replayed review JSON here")
    parser.set_defaults(handler=run)


def _agents_factory() -> AgentsFactory | None:
    """The composition root's factory for replayed agent runners, when it provides one."""
    from review_bot import compose

    factory: AgentsFactory | None = getattr(compose, "replay_agents", None)
    return factory


def run(args: argparse.Namespace) -> int:
    """Replay and report; a tampered transcript is refused (exit 3 via TranscriptTampered)."""
    keyring = load_settings(None, tools_only=True).audit.keyring()
    result = asyncio.run(replay(args.transcript, agents=_agents_factory(), keyring=keyring))
    console = Console(highlight=False)
    if args.output and result.replayed is not None:
        try:
            # the same bytes `review-bot review --format json` printed for the recorded review
            replayed = Review.model_validate_json(result.replayed).model_copy(
                update={"transcript_hash": result.head}
            )
            Path(args.output).write_text(render_json(replayed), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write --output {args.output!r}: {exc.strerror}") from exc
    if result.identical:
        message = f"reproduced: {result.location} gives the recorded review byte for byte"
        console.print(Text(message, style="green"), soft_wrap=True)
        return 0
    console.print(Text(f"not reproduced: {result.mismatch}", style="red"), soft_wrap=True)
    return 1
