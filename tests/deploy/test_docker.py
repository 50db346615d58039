"""The Dockerfiles pass hadolint and install the version of the package they ship."""

from __future__ import annotations

import re
import subprocess

import review_bot
from tests.deploy.conftest import ROOT, need


def test_dockerfiles_pass_hadolint() -> None:
    hadolint = need("hadolint")
    proc = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "info",
         str(ROOT / "Dockerfile"), str(ROOT / "Dockerfile.dev")],
        capture_output=True, text=True, check=False, cwd=ROOT / "deploy",  # no repo .hadolint.yaml
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_catches_what_we_avoid(tmp_path) -> None:
    """The check can fail: an unpinned, root image is reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y git\n")
    proc = subprocess.run(
        [need("hadolint"), "--no-color", str(bad)], capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0
    assert "DL3007" in proc.stdout  # latest tag


def test_image_is_non_root_multi_stage_with_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+\S+(?:\s+AS\s+(\S+))?", text, re.MULTILINE)
    assert len(stages) >= 2
    final = text.split("AS runtime", 1)[1]
    assert "build-essential" not in final  # no compilers in the final stage
    assert re.search(r"^USER\s+10001", final, re.MULTILINE)
    assert "HEALTHCHECK" in final
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm$", text, re.MULTILINE)


def test_image_version_matches_the_package() -> None:
    text = (ROOT / "Dockerfile").read_text()
    match = re.search(r"^ARG REVIEW_BOT_VERSION=(\S+)$", text, re.MULTILINE)
    assert match is not None
    assert match.group(1) == review_bot.__version__


def test_dockerignore_keeps_secrets_and_state_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".git", ".venv", ".review-bot", "tests"):
        assert entry in lines
