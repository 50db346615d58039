"""A change that edits one file of a Go package: the package's other files come from the
new side (a commit, the work tree, a --diff's tree) so go vet and staticcheck can type-check
it, for real; findings stay on the changed lines, and what still cannot load is a skip."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from review_bot.change import ChangeSet, from_diff, from_files, from_git
from review_bot.config.models import ReviewConfig, ToolsConfig
from review_bot.events import RecordingSink
from review_bot.pipeline import Services, review
from review_bot.redaction import Redactor
from review_bot.tools.golang import GoVetAnalyzer, StaticcheckAnalyzer

ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "HOME": "/nonexistent",
    "PATH": os.defpath,
}
GO_MOD = "module example.com/shop\n\ngo 1.19\n"
# the sibling the change does not touch: defines what the changed file uses, and has an old
# Printf bug of its own that must not be reported (it is not in the change)
HELPERS = """\
package store

import "fmt"

func label(n int) string { return fmt.Sprintf("%d items", n) }

func old() { fmt.Printf("%d\\n", "not a number") }
"""
SHOW_BEFORE = """\
package store

import "fmt"

// Show prints a count.
func Show(n int) {
\tfmt.Println(label(n))
}
"""
SHOW_AFTER = """\
package store

import "fmt"

// Show prints a count.
func Show(n int) {
\tfmt.Println(label(n))
\tfmt.Printf("%d entries\\n", label(n))
}
"""
THIRD_PARTY_BEFORE = 'package api\n\nimport "github.com/pkg/errors"\n\nvar E = errors.New("x")\n'
THIRD_PARTY_AFTER = 'package api\n\nimport "github.com/pkg/errors"\n\nvar E = errors.New("y")\n'


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, env=ENV, check=True, capture_output=True, text=True
    )
    return proc.stdout.strip()


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Base: go.mod, store/{helpers,show}.go, api/api.go; then a commit edits show.go and
    api.go only."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(
        root,
        {
            "go.mod": GO_MOD,
            "store/helpers.go": HELPERS,
            "store/show.go": SHOW_BEFORE,
            "api/api.go": THIRD_PARTY_BEFORE,
        },
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    write(root, {"store/show.go": SHOW_AFTER, "api/api.go": THIRD_PARTY_AFTER})
    git(root, "commit", "-q", "-am", "change")
    return root


def _tools(tmp_path: Path) -> ToolsConfig:
    for analyzer in (GoVetAnalyzer(), StaticcheckAnalyzer()):
        if analyzer.executable() is None:
            pytest.fail(f"{analyzer.name} is not installed (./dev test installs it)")
    return ToolsConfig(
        timeout_s=300, cache_dir=tmp_path / "cache", enabled=("govet", "staticcheck")
    )


async def _review(
    change: ChangeSet, tools: ToolsConfig
) -> tuple[set[tuple[str, int]], dict[str, Any]]:
    sink = RecordingSink()
    result = await review(change, ReviewConfig(tools_only=True, tools=tools), Services(events=sink))
    finished = {d["tool"]: d["status"] for kind, d in sink.events if kind == "tool.finished"}
    assert finished == {"govet": "ok", "staticcheck": "ok"}
    skips = {(s.name, s.reason) for s in result.skipped if s.kind == "file"}
    found = {(f.path, f.line) for f in result.findings}
    return found, {"skips": skips, "sources": {s for f in result.findings for s in f.sources}}


def test_the_builders_carry_the_package_siblings_and_go_mod(repo: Path) -> None:
    change = from_git(repo, "main")
    assert [f.path for f in change.files] == ["api/api.go", "store/show.go"]
    assert {c.path: c.content for c in change.context} == {
        "go.mod": GO_MOD,
        "store/helpers.go": HELPERS,
    }
    # context is for analyzers only: not in the change's JSON (transcripts), its hash, or
    # the redacted change the agents and the recorder get
    assert "context" not in change.model_dump()
    assert "helpers.go" not in change.model_dump_json()
    without = change.model_copy(update={"context": ()})
    assert change.content_hash() == without.content_hash()
    assert Redactor().redact_change(change).context == ()


async def test_go_tools_type_check_a_package_whose_sibling_is_not_in_the_change(
    repo: Path, tmp_path: Path
) -> None:
    tools = _tools(tmp_path)
    found, extra = await _review(from_git(repo, "main"), tools)
    # the new Printf bug on the changed line 8 is found by both tools (merged into one) ...
    assert found == {("store/show.go", 8)}
    assert extra["sources"] == {"tool:govet", "tool:staticcheck"}
    # ... the sibling's old bug is not (not in the change), and show.go is not skipped
    skipped = {name for name, _ in extra["skips"]}
    assert skipped == {"api/api.go"}  # a third-party module offline: still a clear skip
    assert all("github.com/pkg/errors" in reason for _, reason in extra["skips"])


async def test_without_the_tree_the_package_is_a_skip_as_before(tmp_path: Path) -> None:
    tools = _tools(tmp_path)
    change = from_files({"store/show.go": SHOW_BEFORE}, {"store/show.go": SHOW_AFTER})
    assert change.context == ()
    found, extra = await _review(change, tools)
    assert found == set()
    assert {name for name, _ in extra["skips"]} == {"store/show.go"}
    assert all("label" in reason for _, reason in extra["skips"])  # the undefined name


async def test_uncommitted_edits_and_a_diff_with_its_tree_get_the_siblings_too(
    repo: Path, tmp_path: Path
) -> None:
    tools = _tools(tmp_path)
    git(repo, "checkout", "-q", "main")
    write(repo, {"store/show.go": SHOW_AFTER})  # a work-tree edit, not committed
    change = from_git(repo, "main", uncommitted=True)
    assert {c.path for c in change.context} == {"go.mod", "store/helpers.go"}
    found, _ = await _review(change, tools)
    assert found == {("store/show.go", 8)}

    diff = git(repo, "diff", "main", "--", "store/show.go") + "\n"
    from_tree = from_diff(diff, tree=repo)
    assert {c.path for c in from_tree.context} == {"go.mod", "store/helpers.go"}
    found, _ = await _review(from_tree, tools)
    assert found == {("store/show.go", 8)}


def test_context_is_the_package_dir_only_regular_files_and_a_root_go_mod(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(
        root,
        {
            "go.mod": GO_MOD,
            "main.go": "package main\n\nfunc main() {}\n",
            "we*ird/a.go": "package weird\n",
            "we*ird/b.go": "package weird\n\nvar B = 1\n",
            "we*ird/sub/c.go": "package sub\n",  # another package: not context
            "we*ird/notes.txt": "not Go\n",
            "other/d.go": "package other\n",  # a dir the change does not touch
        },
    )
    (root / "we*ird" / "link.go").symlink_to("b.go")  # a symlink is never read
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    write(root, {"we*ird/a.go": "package weird\n\nvar A = 2\n"})
    git(root, "commit", "-q", "-am", "change")
    expected = {"go.mod", "we*ird/b.go"}
    assert {c.path for c in from_git(root, "HEAD~1").context} == expected
    write(root, {"we*ird/a.go": "package weird\n\nvar A = 3\n"})
    assert {c.path for c in from_git(root, "HEAD", uncommitted=True).context} == expected
