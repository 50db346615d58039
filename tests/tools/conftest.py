"""Fixtures for the tools tests (helpers live in tools_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty sandbox directory."""
    root = tmp_path / "work"
    root.mkdir()
    return root
