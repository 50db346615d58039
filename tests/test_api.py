"""The public API is what __all__ says, and every name in it exists."""

from __future__ import annotations

import review_bot


def test_all_names_exist_and_are_sorted() -> None:
    for name in review_bot.__all__:
        assert hasattr(review_bot, name), name
    assert list(review_bot.__all__) == sorted(review_bot.__all__)


def test_core_entry_points_are_public() -> None:
    for name in ("review", "review_sync", "from_git", "from_diff", "from_files", "ReviewConfig"):
        assert name in review_bot.__all__
    for name in ("config_from_git", "Controls", "Coverage"):  # team controls, coverage
        assert name in review_bot.__all__
