"""from_git on real repositories in tmp_path: merge-base semantics, file kinds, safety, errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from review_bot._git import Git
from review_bot.change import ChangeLimits, ChangeSet, from_git
from review_bot.errors import InputError

ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "HOME": "/nonexistent",
    "PATH": os.defpath,
}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, env=ENV, check=True, capture_output=True, text=True
    )
    return proc.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def write(repo: Path, path: str, data: str | bytes) -> None:
    file = repo / path
    file.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        file.write_bytes(data)
    else:
        file.write_bytes(data.encode("utf-8"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main with a few files; HEAD on branch feat, not yet changed."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "app.py", "def f():\n    return 1\n")
    write(root, "docs/guide.md", "".join(f"line {i}\n" for i in range(1, 21)))
    write(root, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    write(root, "tool.sh", "#!/bin/sh\necho hi\n")
    commit_all(root, "base")
    git(root, "checkout", "-q", "-b", "feat")
    return root


def by_path(change: ChangeSet) -> dict[str, object]:
    return {f.path: f for f in change.files}


def test_merge_base_semantics_ignore_later_base_commits(repo: Path) -> None:
    branch_point = git(repo, "rev-parse", "HEAD")
    write(repo, "app.py", "def f():\n    return 2\n")
    head = commit_all(repo, "feat change")
    git(repo, "checkout", "-q", "main")
    write(repo, "tool.sh", "#!/bin/sh\necho advanced\n")
    write(repo, "app.py", "def f():\n    return 1\n\n\ndef g():\n    pass\n")
    main_sha = commit_all(repo, "main moves on")
    git(repo, "checkout", "-q", "feat")

    change = from_git(repo, "main")

    assert [f.path for f in change.files] == ["app.py"]  # not tool.sh, not main's def g
    app = change.files[0]
    assert (app.added_lines, app.hunks[0].removed) == ({2}, {2})
    assert app.new_content == "def f():\n    return 2\n"
    assert app.old_content == "def f():\n    return 1\n"
    assert (change.base, change.head, change.merge_base) == (main_sha, head, branch_point)


def test_renames_binary_mode_and_encodings(repo: Path) -> None:
    git(repo, "mv", "docs/guide.md", "docs/manual.md")  # pure rename
    (repo / "src").mkdir()
    git(repo, "mv", "app.py", "src/app.py")
    write(repo, "src/app.py", "def f():\n    return 1\n# renamed and edited\n")
    write(repo, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x01\x02")
    (repo / "tool.sh").chmod(0o755)
    write(repo, "win.c", "int a;\r\nint b;\r\n")
    write(repo, "latin.txt", b"caf\xe9\nna\xefve\n")
    write(repo, "tail.py", "x = 1\ny = 2")  # no newline at end of file
    write(repo, "vendor/lib.go", "package lib\n")
    write(repo, "package-lock.json", "{}\n")
    commit_all(repo, "many kinds")

    change = from_git(repo, "main")
    files = by_path(change)
    skipped = {s.path: s.reason for s in change.skipped}

    manual = change.file("docs/manual.md")
    assert manual is not None
    assert (manual.status, manual.old_path, manual.similarity, manual.hunks) == (
        "renamed",
        "docs/guide.md",
        100,
        (),
    )
    assert manual.new_content == manual.old_content
    app = change.file("src/app.py")
    assert app is not None
    assert (app.status, app.old_path, app.added_lines) == ("renamed", "app.py", {3})
    tool = change.file("tool.sh")
    assert tool is not None
    assert (tool.status, tool.old_mode, tool.new_mode, tool.hunks) == (
        "modified",
        "100644",
        "100755",
        (),
    )
    win = change.file("win.c")
    assert win is not None
    assert win.new_content == "int a;\r\nint b;\r\n"
    assert (win.line_text(2), win.language) == ("int b;", "c")
    latin = change.file("latin.txt")
    assert latin is not None
    assert (latin.line_text(1), latin.line_text(2)) == ("café", "naïve")
    tail = change.file("tail.py")
    assert tail is not None
    assert (tail.new_content, tail.added_lines, tail.line_text(2)) == (
        "x = 1\ny = 2",
        {1, 2},
        "y = 2",
    )
    assert skipped == {
        "logo.png": "binary: no text to review",
        "vendor/lib.go": "vendored: under vendor/",
        "package-lock.json": "lock file: written by a package manager",
    }
    assert set(files) == {
        "docs/manual.md",
        "src/app.py",
        "tool.sh",
        "win.c",
        "latin.txt",
        "tail.py",
    }


def test_uncommitted_mode_sees_staged_unstaged_and_untracked(repo: Path) -> None:
    write(repo, "app.py", "def f():\n    return 'committed'\n")
    commit_all(repo, "on feat")
    write(repo, ".gitignore", "*.log\n")
    write(repo, "staged.py", "s = 1\n")
    git(repo, "add", "staged.py", ".gitignore")
    write(repo, "app.py", "def f():\n    return 'unstaged'\n")
    write(repo, "new_dir/untracked.py", "u = 1\n")
    write(repo, "debug.log", "ignored\n")
    write(repo, "blob.dat", b"\x00\x01\x02")
    (repo / "dangling").symlink_to(repo / "nowhere")
    nested = repo / "nested"
    nested.mkdir()
    git(nested, "init", "-q")

    committed_only = from_git(repo, "main")
    assert [f.path for f in committed_only.files] == ["app.py"]
    assert committed_only.files[0].new_content == "def f():\n    return 'committed'\n"

    change = from_git(repo, "main", uncommitted=True)
    files = by_path(change)
    assert set(files) == {".gitignore", "app.py", "staged.py", "new_dir/untracked.py"}
    app = change.file("app.py")
    untracked = change.file("new_dir/untracked.py")
    assert app is not None
    assert untracked is not None
    assert app.new_content == "def f():\n    return 'unstaged'\n"
    assert app.line_text(2) == "    return 'unstaged'"
    assert (untracked.status, untracked.new_content, untracked.added_lines) == (
        "added",
        "u = 1\n",
        {1},
    )
    assert sorted((s.path, s.reason) for s in change.skipped) == [
        ("blob.dat", "binary: no text to review"),
        ("dangling", "symlink: its content is a path, not code"),
    ]


def test_repo_config_cannot_run_programs(repo: Path, tmp_path: Path) -> None:
    traps = tmp_path / "traps"
    traps.mkdir()
    monitor = tmp_path / "fsmonitor.sh"
    monitor.write_text(f"#!/bin/sh\ntouch {traps}/fsmonitor\nexit 1\n")
    monitor.chmod(0o755)
    write(repo, ".gitattributes", "*.ext diff=ext\n*.txt diff=conv\n*.flt filter=flt\n")
    git(repo, "config", "diff.ext.command", f'touch {traps}/external; true "$@"')
    git(repo, "config", "diff.conv.textconv", f"touch {traps}/textconv && cat")
    git(repo, "config", "filter.flt.clean", f"touch {traps}/filter && cat")
    git(repo, "config", "filter.flt.required", "true")
    git(repo, "config", "core.fsmonitor", str(monitor))
    write(repo, "a.ext", "one\n")
    write(repo, "b.txt", "two\n")
    write(repo, "c.flt", "three\n")
    commit_all(repo, "bait")
    write(repo, "c.flt", "three and more\n")  # a work-tree edit: reading it runs the filter
    os.utime(repo / "c.flt", (0, 0))

    # The traps are real: plain git runs each of them.
    git(repo, "diff", "main...HEAD")
    git(repo, "diff", "main")
    assert {"external", "textconv", "filter"} <= {p.name for p in traps.iterdir()}
    for planted in traps.iterdir():
        planted.unlink()

    change = from_git(repo, "main", uncommitted=True)
    from_git(repo, "main")

    assert sorted(p.name for p in traps.iterdir()) == []
    flt = change.file("c.flt")
    assert flt is not None
    assert flt.new_content == "three and more\n"


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"repository path '.*/nope' does not exist"):
        from_git(tmp_path / "nope", "main")


def test_directory_that_is_not_a_repo_is_an_input_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(InputError, match=r"'.*/plain' is not a git work tree"):
        from_git(plain, "main")


@pytest.mark.parametrize("ref", ["no-such-branch", "--output=/tmp/pwned", "main~99"])
def test_unknown_base_ref_is_an_input_error(repo: Path, ref: str) -> None:
    write(repo, "app.py", "changed\n")
    commit_all(repo, "c")
    with pytest.raises(InputError, match=f"unknown ref {ref!r}") as info:
        from_git(repo, ref)
    assert "\n" not in str(info.value)


def test_no_change_is_an_input_error(repo: Path) -> None:
    with pytest.raises(InputError, match=r"no changes between 'main' and HEAD.*--uncommitted"):
        from_git(repo, "main")


def test_repository_without_commits_is_an_input_error(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    with pytest.raises(InputError, match="has no commits yet"):
        from_git(tmp_path, "main")


def test_subdirectory_of_a_repo_reviews_the_whole_repo(repo: Path) -> None:
    write(repo, "docs/guide.md", "changed\n")
    write(repo, "app.py", "changed\n")
    commit_all(repo, "c")
    change = from_git(repo / "docs", "main")
    assert {f.path for f in change.files} == {"docs/guide.md", "app.py"}


def test_the_bots_own_artefacts_are_never_reviewed(repo: Path) -> None:
    write(repo, ".review-bot/transcripts/20260101T000000Z-0123456789ab.jsonl", '{"a": 1}\n')
    write(repo, "audit/20260101T000000Z-abcdefabcdef.jsonl", '{"secret": "x"}\n')
    write(repo, ".review-bot-baseline.json", '{"fingerprints": []}\n')
    write(repo, "app.py", "def f():\n    return 2\n")
    commit_all(repo, "artefacts")
    change = from_git(repo, "main")
    assert [f.path for f in change.files] == ["app.py"]
    reasons = {s.path: s.reason for s in change.skipped}
    assert reasons[".review-bot/transcripts/20260101T000000Z-0123456789ab.jsonl"].startswith(
        "review-bot artefact: under .review-bot/"
    )
    assert reasons["audit/20260101T000000Z-abcdefabcdef.jsonl"] == (
        "review-bot artefact: a review transcript"
    )
    assert reasons[".review-bot-baseline.json"] == "review-bot artefact: the findings baseline"


def test_oversized_files_are_skipped_from_their_size_before_any_diff(repo: Path) -> None:
    limits = ChangeLimits(max_file_bytes=1_000)
    write(repo, "big.py", "x = 1\n" * 400)  # 2,400 bytes
    write(repo, "vendor/lib.py", "y = 2\n" * 400)
    write(repo, "app.py", "def f():\n    return 2\n")
    git(repo, "rm", "-q", "docs/guide.md")
    commit_all(repo, "change")
    change = from_git(repo, "main", limits=limits)
    assert set(by_path(change)) == {"app.py"}
    reasons = {s.path: s.reason for s in change.skipped}
    assert reasons["big.py"] == "oversized: 2400 bytes, over the 1000-byte limit"
    assert reasons["vendor/lib.py"] == "vendored: under vendor/"  # its name decides first
    assert reasons["docs/guide.md"].startswith("deleted")


def test_sizes_come_from_git_and_excluded_paths_are_not_diffed(repo: Path) -> None:
    write(repo, "big file:*.py", "x = 1\n" * 400)
    write(repo, "app.py", "def f():\n    return 2\n")
    head = commit_all(repo, "change")
    gitrepo = Git(repo)
    base = gitrepo.merge_base(gitrepo.resolve("main"), head)
    sizes = {e.path: (e.status, e.size) for e in gitrepo.sizes(base, head)}
    assert sizes == {"big file:*.py": ("A", 2400), "app.py": ("M", 22)}
    diff = gitrepo.diff(base, head, exclude=["big file:*.py"])
    assert b"app.py" in diff
    assert b"big file" not in diff
    # the work tree's side is sized with lstat
    write(repo, "app.py", "z = 3\n" * 10)
    assert ("M", 60) in [(e.status, e.size) for e in gitrepo.sizes(base, None)]


def test_a_change_of_only_oversized_files_is_all_skips(repo: Path) -> None:
    write(repo, "big.py", "x = 1\n" * 400)
    commit_all(repo, "change")
    change = from_git(repo, "main", limits=ChangeLimits(max_file_bytes=1_000))
    assert change.files == ()
    assert [s.path for s in change.skipped] == ["big.py"]
