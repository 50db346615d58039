"""The bot leaves the reviewed repository clean: transcripts go to the user's state dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True, capture_output=True, text=True, env={**os.environ, **GIT_ENV},
    ).stdout  # fmt: skip


def test_a_cli_review_leaves_git_status_empty_and_records_in_the_state_dir(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "app.py").write_text("def f():\n    return 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "app.py").write_text("import os\n\n\ndef f():\n    return 2\n")
    git(repo, "commit", "-qam", "change")
    state = tmp_path / "state"
    env = {**os.environ, "XDG_STATE_HOME": str(state), "HOME": str(tmp_path / "home")}
    env.pop("REVIEW_BOT_TRANSCRIPTS", None)
    env.pop("REVIEW_BOT_MODEL", None)
    transcripts = state / "review-bot" / "transcripts"
    transcripts.mkdir(parents=True)
    stale = transcripts / "20200101T000000Z-000000000000.jsonl"
    stale.write_text("{}\n")
    os.utime(stale, (1_500_000_000, 1_500_000_000))  # years old: past the 30-day retention
    for _ in range(2):  # the second review must not see the first one's artefacts
        proc = subprocess.run(
            [sys.executable, "-m", "review_bot.cli", "review", "--base", "main~1",
             "--format", "json", "--tools-only", "--no-progress"],
            cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert proc.returncode in (0, 1), proc.stderr
        data = json.loads(proc.stdout)
        assert data["stats"]["files_reviewed"] == 1
        assert Path(data["transcript"]).parent == state / "review-bot" / "transcripts"
    assert git(repo, "status", "--porcelain", "--ignored") == ""
    assert len(list(transcripts.glob("*.jsonl"))) == 2
    assert not stale.exists()
