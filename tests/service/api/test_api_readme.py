"""The README's API section: its ``sh`` blocks run, in order, against a live server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from review_bot.compose import Runtime
from review_bot.config.audit import AuditConfig
from review_bot.config.settings import Settings
from review_bot.service.wiring import runtime_reviewer
from tests.service.api.apistack import SECRET, ApiStack, api_config, start_stack, stop_stack

ROOT = Path(__file__).resolve().parents[3]


def api_section_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Review API and live reviews\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[ApiStack]:
    audit = AuditConfig(transcripts=str(tmp_path / "transcripts"))
    runtime = Runtime.from_settings(Settings(audit=audit), testing=True)
    running = await start_stack(api_config(), runtime_reviewer(runtime), audit=audit)  # type: ignore[arg-type]
    yield running[0]
    await stop_stack(*running)
    await runtime.aclose()


def test_the_section_has_the_examples() -> None:
    blocks = api_section_blocks()
    assert len(blocks) == 3
    assert "curl" in blocks[1]
    assert "/verify" in blocks[2]


async def test_the_readme_curl_examples_work(served: ApiStack, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "review-bot"  # this checkout's CLI, whatever the venv's script points at
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m review_bot.cli "$@"\n')
    shim.chmod(0o755)
    script = "set -euo pipefail\n" + "\n".join(api_section_blocks())
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "API": f"http://127.0.0.1:{served.port}",
        "API_SECRET_KEY": SECRET,
    }
    proc = await asyncio.create_subprocess_exec(
        "bash", "-c", script, cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert "event: review.finished" in text
    sarif = json.loads((tmp_path / "review.sarif").read_text())
    assert any(r["ruleId"] in ("B307", "S307") for r in sarif["runs"][0]["results"])
    records = (tmp_path / "transcript.jsonl").read_text().splitlines()
    assert json.loads(records[-1])["type"] == "review.finished"
    verified = json.loads(text.strip().splitlines()[-1])
    assert verified["ok"] is True
    assert "watch it live: http://127.0.0.1" in text
