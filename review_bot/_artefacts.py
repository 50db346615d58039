"""The files Review Bot itself writes, which a review must never review.

Kept import-free so that ``change`` (the builders) and ``config`` can both use it.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

__all__ = ["BASELINE_FILE", "BOT_DIR", "artefact_reason"]

BOT_DIR = ".review-bot"  # old transcripts location, eval output, local state
BASELINE_FILE = ".review-bot-baseline.json"  # written by `review-bot baseline`
# audit.writer.new_transcript_id: YYYYmmddTHHMMSSZ-<12 hex>.jsonl
_TRANSCRIPT = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{12}\.jsonl$")


def artefact_reason(path: str) -> str | None:
    """Why ``path`` (repo-relative) is one of the bot's own files; None when it is not."""
    pure = PurePosixPath(path)
    if BOT_DIR in pure.parts[:-1]:
        return f"review-bot artefact: under {BOT_DIR}/"
    if pure.name == BASELINE_FILE:
        return "review-bot artefact: the findings baseline"
    if _TRANSCRIPT.match(pure.name):
        return "review-bot artefact: a review transcript"
    return None
