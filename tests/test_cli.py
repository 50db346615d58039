"""`review-bot review` end to end, as a user runs it: real git repos, real tools, real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

AWS_KEY = "AKIAQ7R2XK5N4HJD3WTY"
AWS_SECRET = "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"

BASE_APP = '''\
"""Jobs."""

import subprocess

import yaml


def ping(host: str) -> int:
    """Ping a host."""
    return subprocess.call(["ping", "-c", "1", host])
'''

BAD_APP = f'''\
"""Jobs."""

import subprocess

import yaml

S3_KEY = "{AWS_KEY}"


def ping(host: str) -> int:
    """Ping a host."""
    return subprocess.call(["ping", "-c", "1", host])


def run(cmd: str) -> int:
    """Run a command line."""
    return subprocess.call(cmd, shell=True)


def settings(data: str) -> dict:
    """Parse settings."""
    return yaml.load(data)


def total(items: list[int]) -> int:
    """Sum the items."""
    return sum(itemz)
'''


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout


def make_repo(tmp_path: Path, after: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "app.py").write_text(BASE_APP)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    for name, text in after.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "change")
    return repo


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    full_env = {**os.environ, **(env or {})}
    full_env.pop("REVIEW_BOT_MODEL", None)
    return subprocess.run(
        [sys.executable, "-m", "review_bot.cli", *args],
        capture_output=True, text=True, cwd=cwd, env=full_env, input=stdin, timeout=300,
        check=False,
    )  # fmt: skip


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture(scope="module")
def bad_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("bad"), {"app.py": BAD_APP})


@pytest.fixture(scope="module")
def bad_review(bad_repo: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    proc = cli("review", str(bad_repo), "--base", "HEAD~1", "--format", "json", "--tools-only")
    return proc, json.loads(proc.stdout) if proc.stdout else {}


def test_each_defect_at_its_exact_line_with_the_tool_as_source(bad_review) -> None:
    proc, data = bad_review
    assert proc.returncode == 1, proc.stderr
    by_line: dict[int, set[str]] = {}
    for f in data["findings"]:
        by_line.setdefault(f["line"], set()).update(f["sources"])
    assert "tool:bandit" in by_line[line_of(BAD_APP, "shell=True")]
    assert "tool:bandit" in by_line[line_of(BAD_APP, "yaml.load")]
    assert "tool:secrets" in by_line[line_of(BAD_APP, AWS_KEY)]
    assert "tool:ruff" in by_line[line_of(BAD_APP, "sum(itemz)")]
    assert data["mode"] == "tools-only"


def test_nothing_reported_on_untouched_lines(bad_review) -> None:
    _, data = bad_review
    untouched = {
        line_of(BAD_APP, 'return subprocess.call(["ping"'),
        line_of(BAD_APP, "import yaml"),
    }
    assert not [f for f in data["findings"] if f["line"] in untouched]


def test_the_secret_appears_nowhere(bad_review, bad_repo: Path) -> None:
    proc, _ = bad_review
    assert AWS_KEY not in proc.stdout + proc.stderr
    for fmt in ("text", "markdown", "sarif"):
        out = cli("review", str(bad_repo), "--base", "HEAD~1", "--format", fmt, "--tools-only")
        assert AWS_KEY not in out.stdout + out.stderr, fmt


def test_fail_on_threshold_and_filter_modes(bad_repo: Path) -> None:
    proc = cli("review", str(bad_repo), "--base", "HEAD~1", "--format", "json",
               "--tools-only", "--fail-on", "critical")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    added = json.loads(proc.stdout)["findings"]
    proc = cli("review", str(bad_repo), "--base", "HEAD~1", "--format", "json",
               "--tools-only", "--filter-mode", "nofilter")  # fmt: skip
    assert len(json.loads(proc.stdout)["findings"]) >= len(added)


def test_hostile_configs_and_nosec_do_not_hide_findings(tmp_path: Path) -> None:
    hostile = BAD_APP.replace("shell=True)", "shell=True)  # nosec").replace(
        "sum(itemz)", "sum(itemz)  # noqa"
    )
    repo = make_repo(
        tmp_path,
        {
            "app.py": hostile,
            "pyproject.toml": (
                '[tool.ruff]\nlint.ignore = ["ALL"]\n'
                '[tool.bandit]\nskips = ["B602", "B506"]\nexclude_dirs = ["."]\n'
            ),
            "ruff.toml": 'lint.select = []\nexclude = ["*"]\n',
            ".bandit": "[bandit]\nskips = B602,B506\nexclude = .\n",
            "setup.cfg": "[flake8]\nignore = E,F\n",
        },
    )
    proc = cli("review", str(repo), "--base", "HEAD~1", "--format", "json", "--tools-only")
    data = json.loads(proc.stdout)
    lines = {(f["line"], s) for f in data["findings"] for s in f["sources"]}
    assert (line_of(hostile, "shell=True"), "tool:bandit") in lines
    assert (line_of(hostile, "sum(itemz)"), "tool:ruff") in lines


def test_sarif_output_validates(bad_repo: Path, tmp_path: Path) -> None:
    import jsonschema

    out = tmp_path / "r.sarif"
    proc = cli("review", str(bad_repo), "--base", "HEAD~1", "--format", "sarif", "--tools-only",
               "--output", str(out))  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    schema = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.json").read_text())
    jsonschema.validate(json.loads(out.read_text()), schema)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["review", "/nonexistent/repo", "--base", "HEAD~1"], "/nonexistent/repo"),
        (["review", "{repo}", "--base", "no-such-ref"], "no-such-ref"),
        (["review", "{repo}", "--diff", "{garbage}"], "diff"),
        (["review", "{repo}", "--diff", "{empty}"], "diff"),
        (["review", "{repo}", "--config", "/nonexistent.toml"], "nonexistent.toml"),
    ],
)
def test_input_errors_exit_2_with_one_line(
    bad_repo: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    garbage = tmp_path / "garbage.diff"
    garbage.write_text("@@ this is -1,3 not +a diff @@\n+++ what\n")
    empty = tmp_path / "empty.diff"
    empty.write_text("")
    args = [a.format(repo=bad_repo, garbage=garbage, empty=empty) for a in args]
    proc = cli(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_usage_error_exits_2() -> None:
    assert cli("review", "--format", "yaml").returncode == 2


def test_missing_and_hanging_tools_are_named_and_the_review_completes(
    bad_repo: Path, tmp_path: Path
) -> None:
    config = tmp_path / "c.toml"
    hang = tmp_path / "hang"
    hang.write_text("#!/bin/sh\nsleep 60\n")
    hang.chmod(0o755)
    config.write_text(
        "[review.tools]\ntimeout_s = 2\n"
        f'paths = {{ semgrep = "{hang}", shellcheck = "/nonexistent/shellcheck" }}\n'
    )
    repo = bad_repo
    (tmp_path / "s").mkdir()
    proc = cli("review", str(repo), "--base", "HEAD~1", "--format", "json", "--tools-only",
               "--config", str(config))  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    named = json.dumps(data["failures"]) + json.dumps(data["skipped"])
    assert "semgrep" in named
    assert any("tool:bandit" in f["sources"] for f in data["findings"])
    assert data["partial"] is True


def test_diff_file_and_tree(bad_repo: Path) -> None:
    diff = git(bad_repo, "diff", "HEAD~1", "HEAD")
    proc = cli("review", str(bad_repo), "--diff", "-", "--format", "json", "--tools-only",
               stdin=diff)  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert any(
        f["line"] == line_of(BAD_APP, "shell=True") for f in json.loads(proc.stdout)["findings"]
    )


def test_example_review_has_findings_from_several_tools() -> None:
    proc = cli("review", "--example", "--tools-only", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    sources = {s for f in data["findings"] for s in f["sources"]}
    assert {"tool:ruff", "tool:bandit", "tool:secrets"} <= sources
    text = cli("review", "--example", "--tools-only").stdout
    assert "inventory/reports.py" in text
    assert "AKIAQ7R2XK5N4HJD3WTY" not in text


def test_version_names_the_package_and_the_distribution() -> None:
    import importlib.metadata

    import review_bot
    from review_bot.cli import DISTRIBUTION

    proc = subprocess.run(
        [sys.executable, "-m", "review_bot.cli", "--version"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"review-bot {review_bot.__version__} ({DISTRIBUTION})"
    # the installed metadata, when this checkout is what is installed, says the same
    try:
        installed = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        installed = None
    assert installed in (None, review_bot.__version__)
