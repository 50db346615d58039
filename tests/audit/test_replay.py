"""Record a real tools-only review, then replay it offline; secrets never reach the record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from review_bot.audit.recording import record_review
from review_bot.audit.records import canonical_json, seal
from review_bot.audit.replay import replay
from review_bot.audit.stores import FileStore, RawTranscript, TranscriptStore
from review_bot.audit.verify import load_records, verify
from review_bot.change import ChangeSet, from_files
from review_bot.config.models import ReviewConfig, ToolsConfig
from review_bot.errors import TranscriptTampered
from review_bot.pipeline import Services

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
GH_TOKEN = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
KEY_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
SECRETS = (AWS_KEY, GH_TOKEN, KEY_BODY)
APP = f'''import subprocess
import yaml

AWS_ACCESS_KEY_ID = "{AWS_KEY}"
GITHUB_TOKEN = "{GH_TOKEN}"
PEM = """-----BEGIN RSA PRIVATE KEY-----
{KEY_BODY}
-----END RSA PRIVATE KEY-----"""


def run(cmd):
    subprocess.call(cmd, shell=True)
    return yaml.load(open(cmd))
'''
CONFIG = ReviewConfig(tools=ToolsConfig(enabled=("ruff", "bandit", "secrets")))


def _change() -> ChangeSet:
    return from_files({"app.py": "x = 1\n"}, {"app.py": APP})


async def _record(store: TranscriptStore, tid: str = "rec"):  # type: ignore[no-untyped-def]
    return await record_review(_change(), CONFIG, Services(), store, transcript_id=tid)


def _cli(*args: str, path_env: str = "/nonexistent") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path_env}
    return subprocess.run(
        [sys.executable, "-m", "review_bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


async def test_recorded_review_replays_byte_for_byte_on_both_stores(
    store: TranscriptStore,
) -> None:
    review = await _record(store)
    assert review.transcript == store.location("rec")
    sources = {s for f in review.findings for s in f.sources}
    assert {"tool:bandit", "tool:secrets"} <= sources
    assert verify(review.transcript).ok
    result = await replay((store, "rec"))
    assert result.identical, result.mismatch
    # the returned review also carries the transcript's final hash, known only after it
    assert review.transcript_hash == verify(review.transcript).head
    recorded = review.model_copy(update={"transcript_hash": None})
    assert result.replayed == canonical_json(recorded.model_dump(mode="json"))


async def test_secrets_appear_nowhere_in_transcript_or_output(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    review = await _record(store)
    transcript = (tmp_path / "rec.jsonl").read_text()
    output = review.model_dump_json()
    for secret in SECRETS:
        assert secret not in transcript
        assert secret not in output
    assert "[REDACTED:aws-access-key:" in transcript
    # the secrets were still found, at their lines
    assert any(f.line == 4 and "tool:secrets" in f.sources for f in review.findings)


async def test_cli_replay_without_tools_on_path_exits_0(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    review = await _record(store)
    out = tmp_path / "replayed.json"
    proc = _cli("replay", str(review.transcript), "--output", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "reproduced" in proc.stdout
    assert json.loads(out.read_text()) == review.model_dump(mode="json")


async def test_replay_refuses_a_tampered_transcript(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    review = await _record(store)
    path = Path(str(review.transcript))
    _edit_third_record(path)
    with pytest.raises(TranscriptTampered, match="broken at record 3"):
        await replay(str(path))
    proc = _cli("replay", str(path))
    assert proc.returncode == 3
    assert "broken at record 3" in proc.stderr
    proc = _cli("audit", "verify", str(path))
    assert proc.returncode == 1
    assert "broken at record 3" in proc.stdout


def _edit_third_record(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace('"tool', '"tooL', 1)
    path.write_text("".join(lines))


def _rechain(records: list[dict[str, object]]) -> RawTranscript:
    lines, prev = [], "0" * 64
    for r in records:
        sealed = seal(int(r["seq"]), str(r["ts"]), str(r["type"]), r["data"], prev)  # type: ignore[arg-type]
        lines.append(sealed.line())
        prev = sealed.hash
    return RawTranscript(location="rechained", lines=tuple(lines))


async def test_replay_names_the_first_tool_run_the_transcript_does_not_hold(
    tmp_path: Path,
) -> None:
    store = FileStore(tmp_path)
    await _record(store)
    records, _ = load_records((store, "rec"))
    raw = [r.model_dump() for r in records]
    for r in raw:  # a validly chained transcript whose bandit run was for other content
        if r["type"] == "tool.run" and r["data"]["request"]["tool"] == "bandit":
            r["data"]["request"]["files"][0]["sha256"] = "0" * 64
    result = await replay(_rechain(raw))
    assert not result.identical
    assert "tool run" in result.mismatch
    assert "'bandit'" in result.mismatch or '"bandit"' in result.mismatch
    assert ".files[0].sha256" in result.mismatch


async def test_replay_reports_a_different_review(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    await _record(store)
    records, _ = load_records((store, "rec"))
    raw = [r.model_dump() for r in records]
    raw[-1]["data"]["review"]["summary"] = "something else"
    result = await replay(_rechain(raw))
    assert not result.identical
    assert "differs from the recorded one at .summary" in result.mismatch


async def test_cli_verify_ok_and_show(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    review = await _record(store)
    proc = _cli("audit", "verify", str(review.transcript))
    assert proc.returncode == 0
    assert "intact" in proc.stdout
    proc = _cli("audit", "show", str(review.transcript))
    assert proc.returncode == 0
    assert "bandit" in proc.stdout
    assert "B602" in proc.stdout
    for secret in SECRETS:
        assert secret not in proc.stdout
