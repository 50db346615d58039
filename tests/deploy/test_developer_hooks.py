"""The pre-commit hook (pre-commit try-repo) and the GitHub Action's metadata."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import ROOT, need

INSECURE = "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _repo(path: Path) -> Path:
    path.mkdir()
    _git(path, "init", "-q")
    _git(path, "config", "user.email", "dev@example.com")
    _git(path, "config", "user.name", "dev")
    return path


@pytest.fixture
def hook_repo(tmp_path: Path) -> Path:
    """Our hook manifest in a repository of its own, run with the review-bot installed here.

    ``language: python`` would make pre-commit pip-install this project into a new
    environment first (measured: 13 minutes on the loaded 2-core machine); ``system`` runs
    the same entry with the review-bot of this test run.
    """
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["language"] == "python"
    hooks[0]["language"] = "system"
    repo = _repo(tmp_path / "hooks")
    (repo / ".pre-commit-hooks.yaml").write_text(yaml.safe_dump(hooks))
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "hooks")
    return repo


def _try(hook_repo: Path, project: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "PRE_COMMIT_HOME": str(project.parent / "pre-commit-home")}  # fmt: skip
    return subprocess.run(
        [need("pre-commit"), "try-repo", str(hook_repo), "review-bot"],
        cwd=project, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    repo = _repo(tmp_path / "project")
    (repo / "app.py").write_text("VALUE = 1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "init")
    return repo


def test_hook_blocks_a_commit_with_a_high_finding(hook_repo: Path, project: Path) -> None:
    (project / "runner.py").write_text(INSECURE)
    _git(project, "add", "runner.py")
    proc = _try(hook_repo, project)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "HIGH" in proc.stdout  # shell=True with a caller's string (bandit B602 / semgrep)
    assert "shell=True" in proc.stdout
    assert "runner.py" in proc.stdout


def test_hook_passes_a_clean_commit(hook_repo: Path, project: Path) -> None:
    (project / "app.py").write_text("VALUE = 2\n")
    _git(project, "add", "app.py")
    proc = _try(hook_repo, project)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_action_metadata_is_valid_and_pinned() -> None:
    proc = subprocess.run(
        [need("check-jsonschema"), "--builtin-schema", "vendor.github-actions",
         str(ROOT / "action.yml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        if "uses" in step:
            ref = step["uses"].split("@", 1)[1]
            assert len(ref) == 40, f"{step['uses']} is not pinned to a commit"
    uploads = [s for s in action["runs"]["steps"] if "upload-sarif" in s.get("uses", "")]
    assert uploads, "the action uploads SARIF to code scanning"


def test_action_passes_zizmor() -> None:
    proc = subprocess.run(
        [need("zizmor"), "--offline", "--no-progress", str(ROOT / "action.yml")],
        capture_output=True, text=True, check=False, cwd=ROOT / "deploy",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
