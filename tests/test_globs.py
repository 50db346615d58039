"""Path globs of .review-bot.toml: segment-wise *, **, and bare names at any depth."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review_bot._globs import check_glob, glob_matches

SEGMENT = st.text(alphabet="abcxyz019_.-", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..")
)
PATHS = st.lists(SEGMENT, min_size=1, max_size=5).map("/".join)


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("tests/**", "tests/a/b.py", True),
        ("tests/**", "src/tests.py", False),
        ("*.md", "docs/deep/x.md", True),
        ("**/conftest.py", "conftest.py", True),
        ("src/*.py", "src/x/a.py", False),
        ("docs/", "docs/a/b", True),
        ("a[b]", "a[b]", True),
        ("a[b]", "ab", False),
    ],
)
def test_examples(pattern: str, path: str, hit: bool) -> None:
    assert glob_matches(pattern, path) is hit


@given(PATHS)
def test_a_literal_path_matches_itself_and_its_folder_glob_matches_it(path: str) -> None:
    assert glob_matches(path, path)
    head, _, _ = path.partition("/")
    if "/" in path:
        assert glob_matches(f"{head}/**", path)
    assert glob_matches("**", path)


@given(PATHS, SEGMENT)
def test_star_never_crosses_a_slash(path: str, name: str) -> None:
    assert not glob_matches(f"*/{name}", f"{path}/x/{name}")  # three or more segments


@pytest.mark.parametrize("bad", ["", " ", "/etc/*", "../x", "a/../b", "a\nb"])
def test_unusable_globs_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="glob"):
        check_glob(bad)
