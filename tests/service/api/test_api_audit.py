"""Transcripts over the API: the real runtime (tools only) records one; auditors verify it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from review_bot.compose import Runtime
from review_bot.config.audit import AuditConfig
from review_bot.config.settings import Settings
from review_bot.service.wiring import runtime_reviewer
from tests.service.api.apistack import ApiStack, api_config, start_stack, stop_stack


def _tamper(path: Path) -> None:
    """Rewrite record 2's data (the chain must break there)."""
    lines = path.read_text().splitlines(keepends=True)
    record = json.loads(lines[1])
    record["data"] = {"rewritten": True}
    lines[1] = json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n"
    path.write_text("".join(lines))


@pytest.fixture
async def audited(tmp_path: Path) -> AsyncIterator[ApiStack]:
    audit = AuditConfig(transcripts=str(tmp_path / "transcripts"))
    runtime = Runtime.from_settings(Settings(audit=audit), testing=True)
    running = await start_stack(api_config(), runtime_reviewer(runtime), audit=audit)  # type: ignore[arg-type]
    yield running[0]
    await stop_stack(*running)
    await runtime.aclose()


async def test_an_auditor_reads_and_verifies_the_transcript_and_sees_tampering(
    audited: ApiStack,
) -> None:
    review_id = await audited.submit(options={"tools_only": True})
    record = await audited.finished(review_id)
    assert record["status"] == "done", record
    location = record["review"]["transcript"]
    auditor = audited.auth("eve", "auditor")
    transcript = await audited.client.get(f"/v1/reviews/{review_id}/transcript", headers=auditor)
    assert transcript.headers["content-type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in transcript.text.splitlines()]
    assert records[0]["type"] == "review.started"
    assert records[0]["data"]["owner"] == {"subject": "alice"}  # `erase --subject` finds it
    assert records[-1]["type"] == "review.finished"
    verified = await audited.client.post(f"/v1/reviews/{review_id}/verify", headers=auditor)
    assert verified.json()["ok"] is True
    assert verified.json()["records"] == len(records)
    _tamper(Path(location))
    tampered = await audited.client.post(
        f"/v1/reviews/{review_id}/verify", headers=audited.auth("root", "admin")
    )
    assert tampered.json()["ok"] is False
    assert tampered.json()["broken"] == 2
