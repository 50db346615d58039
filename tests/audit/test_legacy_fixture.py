"""A transcript recorded before transcripts were keyed still verifies and replays."""

from __future__ import annotations

from pathlib import Path

from review_bot.audit.replay import replay
from review_bot.audit.verify import verify

FIXTURE = Path(__file__).parent.parent / "data" / "pre-keyed-v1.jsonl"


def test_legacy_transcript_verifies() -> None:
    result = verify(str(FIXTURE))
    assert result.ok, result.message()


async def test_legacy_transcript_replays_byte_for_byte() -> None:
    result = await replay(str(FIXTURE))
    assert result.identical, result.mismatch
