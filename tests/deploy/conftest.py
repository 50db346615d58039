"""Deployment artefacts are checked with the real linters and validators, never by eye."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def need(tool: str) -> str:
    """The path of ``tool``; fail (not skip) when it is missing: ./dev test installs it."""
    beside = Path(sys.executable).parent / tool  # console scripts of the venv's packages
    path = str(beside) if beside.exists() else shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; ./dev test installs it")
    return path
