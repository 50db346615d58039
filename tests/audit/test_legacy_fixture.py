"""A transcript recorded before transcripts were keyed (and before coverage, confidence and
the team controls existed) still verifies and replays: every tool output is served from the
record, and the replayed review equals the recorded one except for what newer versions add."""

from __future__ import annotations

import json
import re
from pathlib import Path

from review_bot.audit.replay import replay
from review_bot.audit.verify import verify

FIXTURE = Path(__file__).parent.parent / "data" / "pre-keyed-v1.jsonl"
# the summary sentence this version adds (coverage was reported from 0.2.0 on)
_COVERAGE = re.compile(r" Coverage: [^\n]*$")


def test_legacy_transcript_verifies() -> None:
    result = verify(str(FIXTURE))
    assert result.ok, result.message()


async def test_legacy_transcript_replays_what_it_recorded() -> None:
    result = await replay(str(FIXTURE))
    assert result.replayed is not None, result.mismatch  # no tool run or answer was missing
    recorded = json.loads(result.recorded)
    replayed = json.loads(result.replayed)
    assert _COVERAGE.sub("", replayed["summary"]) == recorded["summary"]
    assert replayed["summary"] != recorded["summary"]  # the coverage sentence is new
    for key in recorded:
        if key != "summary":
            assert replayed[key] == recorded[key], key
