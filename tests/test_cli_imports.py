"""What the CLI imports: ``--help``, ``--version`` and a tools-only review load no agent
runtime, no OpenAI SDK and no Langfuse (each costs a second or more of start-up)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from review_bot.cli import SUBCOMMANDS

HEAVY = ("autogen_agentchat", "autogen_core", "autogen_ext", "openai", "langfuse")

# runs the CLI in a fresh interpreter, then prints which HEAVY modules it loaded
PROBE = """\
import json, sys
from review_bot.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(HEAVY)))
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def _probe(tmp_path: Path, *args: str) -> dict[str, object]:
    env = {**os.environ, "REVIEW_BOT_CACHE_DIR": str(tmp_path / "cache")}
    env["REVIEW_BOT_TRANSCRIPTS"] = str(tmp_path / "transcripts")
    env.pop("REVIEW_BOT_MODEL", None)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.replace("HEAVY", repr(json.dumps(HEAVY))), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    last = proc.stderr.strip().splitlines()[-1]
    result: dict[str, object] = json.loads(last)
    return result


@pytest.mark.parametrize("args", [["--help"], ["--version"], []], ids=["help", "version", "none"])
def test_help_and_version_import_no_sdk(tmp_path: Path, args: list[str]) -> None:
    found = _probe(tmp_path, *args)
    assert found["heavy"] == []
    assert found["code"] in (0, 2)


def test_a_tools_only_review_imports_no_sdk(tmp_path: Path) -> None:
    out = tmp_path / "review.json"
    found = _probe(tmp_path, "review", "--example", "--tools-only", "--format", "json",
                   "--output", str(out), "--no-progress")  # fmt: skip
    assert found["heavy"] == []
    review = json.loads(out.read_text(encoding="utf-8"))
    assert review["mode"] == "tools-only"
    assert review["stats"]["tool_runs"] > 0  # the tools really ran, in that process


def test_the_top_level_help_lists_what_each_subcommand_registers() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    for name in SUBCOMMANDS:
        importlib.import_module(f"review_bot.cli.{name.replace('-', '_')}").register(sub)
    registered = {action.dest: action.help for action in sub._choices_actions}
    assert registered == SUBCOMMANDS
