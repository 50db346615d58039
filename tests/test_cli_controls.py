"""`review-bot review` with the team's controls and `review-bot baseline`, on a real repo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
CONTROLS = """\
[review.tools]
enabled = ["ruff", "bandit"]

[paths]
exclude = ["docs/**"]

[[ignore]]
rule = "B307"
paths = ["tests/**"]
reason = "the tests eval their fixtures"
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True, capture_output=True, text=True, env={**os.environ, **GIT_ENV},
    ).stdout  # fmt: skip


def cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "REVIEW_BOT_MODEL"}
    return subprocess.run(
        [sys.executable, "-m", "review_bot.cli", *args, "--no-progress"]
        if args[0] == "review" else [sys.executable, "-m", "review_bot.cli", *args],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("controls") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, {".review-bot.toml": CONTROLS, "app.py": "import os\n\n\ndef f():\n    return 1\n"})
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-qb", "feat")
    write(
        root,
        {
            # the change's own config is never read: this would hide everything
            ".review-bot.toml": '[paths]\nexclude = ["**"]\n',
            "app.py": "import os\nimport sys\n\n\ndef f():\n    return 2\n",
            "tests/test_app.py": "def test_f(x):\n    return eval(x)\n",
            "lib.py": "def g(x):\n    return eval(x)\n",
            "docs/conf.py": "import json\n",
        },
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "change")
    return root


def review(repo: Path, *extra: str) -> dict:
    proc = cli(repo, "review", "--base", "main", "--format", "json", "--tools-only", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_the_base_sides_controls_filter_paths_and_ignore_rules(repo: Path) -> None:
    data = review(repo)
    spots = {(f["path"], f["rule_id"]) for f in data["findings"]}
    assert ("app.py", "F401") in spots  # import sys, added
    assert ("lib.py", "B307") in spots  # ignored under tests/** only
    assert ("tests/test_app.py", "B307") not in spots
    assert not any(path.startswith("docs/") for path, _ in spots)
    reasons = {s["name"]: s["reason"] for s in data["skipped"]}
    assert reasons["docs/conf.py"] == "excluded by paths.exclude 'docs/**' in the team controls"
    assert data["stats"]["findings_ignored_by_rule"] == 1


def test_a_typo_in_the_base_config_exits_2_naming_it(tmp_path: Path) -> None:
    root = tmp_path / "typo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, {".review-bot.toml": '[review.tools]\nenabled = ["rufff"]\n', "a.py": "x = 1\n"})
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    write(root, {"a.py": "x = 2\n"})
    git(root, "commit", "-qam", "change")
    proc = cli(root, "review", "--base", "main~1", "--tools-only")
    assert proc.returncode == 2
    assert "'rufff'" in proc.stderr
    assert "ruff, bandit" in proc.stderr


def test_baseline_records_todays_findings_and_a_review_hides_them(
    repo: Path, tmp_path: Path
) -> None:
    proc = cli(repo / "tests", "baseline", "--base", "main")  # from a subdirectory
    assert proc.returncode == 0, proc.stderr
    assert "recorded 1 findings" in proc.stderr
    out = tmp_path / "baseline.json"
    (repo / ".review-bot-baseline.json").rename(out)  # the default: the repository's root
    recorded = json.loads(out.read_text())
    assert recorded["version"] == 1
    assert [(f["path"], f["rule_id"]) for f in recorded["findings"]] == [("app.py", "F401")]
    before = review(repo, "--filter-mode", "file")
    f401 = [f for f in before["findings"] if f["rule_id"] == "F401"]
    assert len(f401) == 2  # import os (old) and import sys (new)
    after = review(repo, "--filter-mode", "file", "--baseline", str(out))
    kept = [f["line"] for f in after["findings"] if f["rule_id"] == "F401"]
    assert kept == [2]  # the new one stays
    assert after["stats"]["findings_hidden_by_baseline"] == 1
    assert "(1 by the baseline, 1 by rule ignores)" in after["summary"]  # B307 in tests/
    assert any("in the baseline" in s["reason"] for s in after["skipped"])
    assert git(repo, "status", "--porcelain") == ""


def test_a_missing_baseline_file_is_an_input_error(repo: Path, tmp_path: Path) -> None:
    proc = cli(repo, "review", "--base", "main", "--baseline", str(tmp_path / "nope.json"))
    assert proc.returncode == 2
    assert "review-bot baseline" in proc.stderr
