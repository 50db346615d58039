"""from_diff / from_files: what a reviewer sees of a diff, and how bad input is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_bot.change import (
    ChangeLimits,
    ChangeSet,
    FileChange,
    from_diff,
    from_files,
    language_of,
)
from review_bot.errors import InputError


def diff_of(*lines: str) -> str:
    """Diff text from lines (keeps significant leading/trailing spaces visible)."""
    return "".join(line + "\n" for line in lines)


def only(change: ChangeSet) -> FileChange:
    assert len(change.files) == 1, change
    return change.files[0]


MODIFIED = diff_of(
    "diff --git a/pkg/mod.py b/pkg/mod.py",
    "index 1111111..2222222 100644",
    "--- a/pkg/mod.py",
    "+++ b/pkg/mod.py",
    "@@ -1,4 +1,5 @@ def top():",
    " one",
    "-two",
    "+TWO",
    "+two and a half",
    " three",
    " four",
    "@@ -10,3 +11,2 @@ def later():",
    " ten",
    "-eleven",
    " twelve",
)
MODIFIED_AFTER = "one\nTWO\ntwo and a half\nthree\nfour\n6\n7\n8\n9\n10\nten\ntwelve\n"


def test_modified_file_hunks_give_exact_line_sets() -> None:
    f = only(from_diff(MODIFIED))
    assert (f.path, f.status, f.language, f.old_path) == ("pkg/mod.py", "modified", "python", None)
    first, second = f.hunks
    assert (first.added, first.context, first.removed) == ({2, 3}, {1, 4, 5}, {2})
    assert (second.added, second.context, second.removed) == (set(), {11, 12}, {11})
    assert (second.old_start, second.old_length, second.new_start, second.new_length) == (
        10,
        3,
        11,
        2,
    )
    assert first.header == "def top():"
    assert first.text.startswith("@@ -1,4 +1,5 @@ def top():\n one\n-two\n")
    assert second.text == "@@ -10,3 +11,2 @@ def later():\n ten\n-eleven\n twelve\n"
    assert f.line_kind(2) == "added"
    assert f.line_kind(1) == "context"
    assert f.line_kind(7) == "outside"
    assert f.new_content is None  # no tree, and a diff does not hold a modified file whole
    assert f.line_text(2) is None


def test_tree_supplies_new_content(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(MODIFIED_AFTER)
    f = only(from_diff(MODIFIED, tree=tmp_path))
    assert f.new_content == MODIFIED_AFTER
    assert f.line_text(3) == "two and a half"


def test_tree_that_is_not_the_new_side_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("one\ntwo\nthree\nfour\n")  # the old side
    with pytest.raises(InputError, match=r"does not match the diff at 'pkg/mod.py' line 2"):
        from_diff(MODIFIED, tree=tmp_path)


def test_tree_missing_a_changed_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"'pkg/mod.py' is in the change but not a file in tree"):
        from_diff(MODIFIED, tree=tmp_path)
    with pytest.raises(InputError, match="is not a directory"):
        from_diff(MODIFIED, tree=tmp_path / "nope")


def test_added_file_content_is_rebuilt_from_the_diff() -> None:
    diff = diff_of(
        "diff --git a/run b/run",
        "new file mode 100755",
        "index 0000000..3333333",
        "--- /dev/null",
        "+++ b/run",
        "@@ -0,0 +1,3 @@",
        "+#!/usr/bin/env python3",
        "+",
        "+print('hi')",
        "\\ No newline at end of file",
    )
    f = only(from_diff(diff))
    assert (f.status, f.new_mode, f.language) == ("added", "100755", "python")
    assert f.new_content == "#!/usr/bin/env python3\n\nprint('hi')"
    assert f.added_lines == {1, 2, 3}
    assert f.line_text(3) == "print('hi')"


def test_empty_new_file_is_listed_with_empty_content() -> None:
    diff = diff_of(
        "diff --git a/empty.py b/empty.py", "new file mode 100644", "index 0000000..e69de29"
    )
    f = only(from_diff(diff))
    assert (f.status, f.new_content, f.hunks) == ("added", "", ())


def test_deleted_file_is_skipped_with_reason() -> None:
    diff = diff_of(
        "diff --git a/gone.py b/gone.py",
        "deleted file mode 100644",
        "index 4444444..0000000",
        "--- a/gone.py",
        "+++ /dev/null",
        "@@ -1 +0,0 @@",
        "-x = 1",
    )
    change = from_diff(diff)
    assert change.files == ()
    assert [(s.path, s.reason) for s in change.skipped] == [
        ("gone.py", "deleted: nothing to review on the new side")
    ]


def test_pure_rename_and_copy_keep_both_paths() -> None:
    diff = diff_of(
        "diff --git a/old name.py b/new name.py",
        "similarity index 100%",
        "rename from old name.py",
        "rename to new name.py",
        "diff --git a/src.py b/copy.py",
        "similarity index 90%",
        "copy from src.py",
        "copy to copy.py",
        "index 5555555..6666666 100644",
        "--- a/src.py",
        "+++ b/copy.py",
        "@@ -1 +1 @@",
        "-a",
        "+b",
    )
    renamed, copied = from_diff(diff).files
    assert (renamed.path, renamed.old_path, renamed.status) == (
        "new name.py",
        "old name.py",
        "renamed",
    )
    assert (renamed.similarity, renamed.hunks) == (100, ())
    assert (copied.path, copied.old_path, copied.status, copied.similarity) == (
        "copy.py",
        "src.py",
        "copied",
        90,
    )
    assert copied.added_lines == {1}


def test_mode_change_only_is_a_modified_file_without_hunks() -> None:
    diff = diff_of("diff --git a/tool.sh b/tool.sh", "old mode 100644", "new mode 100755")
    f = only(from_diff(diff))
    assert (f.status, f.old_mode, f.new_mode, f.hunks, f.language) == (
        "modified",
        "100644",
        "100755",
        (),
        "shell",
    )


def test_binary_markers_are_skipped() -> None:
    diff = diff_of(
        "diff --git a/logo.png b/logo.png",
        "index 7777777..8888888 100644",
        "Binary files a/logo.png and b/logo.png differ",
        "diff --git a/icon.ico b/icon.ico",
        "new file mode 100644",
        "index 0000000..9999999",
        "GIT binary patch",
        "literal 4",
        "LcmZQzWMT#Y01f~L",
        "",
        "literal 0",
        "HcmV?d00001",
        "",
    )
    change = from_diff(diff)
    assert change.files == ()
    assert {(s.path, s.reason) for s in change.skipped} == {
        ("logo.png", "binary: no text to review"),
        ("icon.ico", "binary: no text to review"),
    }


def test_crlf_content_and_crlf_transport() -> None:
    diff = (
        "diff --git a/win.c b/win.c\n--- a/win.c\n+++ b/win.c\n"
        "@@ -1,2 +1,2 @@\n int a;\r\n-int b;\r\n+int c;\r\n"
    )
    f = only(from_diff(diff))
    assert f.hunks[0].added == {2}
    assert "+int c;\r\n" in f.hunks[0].text  # the hunk text is the diff as written
    transported = only(from_diff(("\ufeff" + MODIFIED.replace("\n", "\r\n")).encode()))
    assert transported.path == "pkg/mod.py"  # not 'pkg/mod.py\r'
    assert transported.added_lines == {2, 3}


def test_non_utf8_bytes_never_crash(tmp_path: Path) -> None:
    diff = b"--- a/l1.txt\n+++ b/l1.txt\n@@ -1 +1 @@\n-caf\xc3\xa9\n+caf\xe9 cr\xe8me\n"
    (tmp_path / "l1.txt").write_bytes(b"caf\xe9 cr\xe8me\n")
    f = only(from_diff(diff, tree=tmp_path))
    assert f.line_text(1) == "café crème"  # latin-1 fallback, same text as the diff line
    assert "+café crème\n" in f.hunks[0].text


def test_plain_diff_u_and_diff_ru_paths() -> None:
    plain = diff_of(
        "--- hello.py\t2024-01-01 10:00:00.000000000 +0000",
        "+++ hello.py\t2024-01-02 10:00:00.000000000 +0000",
        "@@ -1 +1,2 @@",
        " print(1)",
        "+print(2)",
    )
    f = only(from_diff(plain))
    assert (f.path, f.status, f.added_lines) == ("hello.py", "modified", {2})
    recursive = diff_of(
        "diff -ru old/src/app.js new/src/app.js",
        "--- old/src/app.js\t2024-01-01 10:00:00",
        "+++ new/src/app.js\t2024-01-02 10:00:00",
        "@@ -1 +1 @@",
        "-var a",
        "+let a",
    )
    f = only(from_diff(recursive))
    assert (f.path, f.status, f.language) == ("src/app.js", "modified", "javascript")


def test_quoted_path_is_unquoted() -> None:
    diff = diff_of(
        'diff --git "a/tab\\there.py" "b/tab\\there.py"',
        "index 1111111..2222222 100644",
        '--- "a/tab\\there.py"',
        '+++ "b/tab\\there.py"',
        "@@ -1 +1 @@",
        "-a",
        "+b",
    )
    assert only(from_diff(diff)).path == "tab\there.py"


def test_empty_context_lines_count_as_context() -> None:
    # Some tools strip the space of an empty context line; it is still a line.
    diff = "--- a/e.py\n+++ b/e.py\n@@ -1,3 +1,3 @@\n x = 1\n\n-y = 2\n+y = 3\n"
    f = only(from_diff(diff))
    assert (f.hunks[0].context, f.hunks[0].added) == ({1, 2}, {3})


def test_line_text_numbers_lines_like_git() -> None:
    # A form feed or U+2028 is not a line break for git; line 3 must stay line 3.
    after = "a\fb\nc\u2028d\nthird\n"
    f = only(from_files({"x.py": "a\fb\nc\u2028d\n"}, {"x.py": after}))
    assert f.added_lines == {3}
    assert f.line_text(3) == "third"


def test_from_files_added_deleted_modified() -> None:
    change = from_files(
        {"keep.py": "a\nb\n", "gone.py": "x\n", "same.py": "s\n"},
        {"keep.py": "a\nB\n", "new.py": "n\n", "same.py": "s\n"},
    )
    keep, new = change.files
    assert (keep.path, keep.status, keep.added_lines, keep.old_content) == (
        "keep.py",
        "modified",
        {2},
        "a\nb\n",
    )
    assert (new.path, new.status, new.new_content, new.added_lines) == (
        "new.py",
        "added",
        "n\n",
        {1},
    )
    assert [s.path for s in change.skipped] == ["gone.py"]
    assert change.file("same.py") is None


@pytest.mark.parametrize(
    ("path", "content", "reason"),
    [
        ("vendor/lib/x.go", "package x\n", "vendored: under vendor/"),
        ("web/node_modules/a/i.js", "1\n", "vendored: under node_modules/"),
        ("lib/python3.11/site-packages/m.py", "1\n", "vendored: under site-packages/"),
        ("static/app.min.js", "1\n", "generated: name ends with '.min.js'"),
        ("api/svc_pb2.py", "1\n", "generated: name ends with '_pb2.py'"),
        ("api/svc.pb.go", "1\n", "generated: name ends with '.pb.go'"),
        ("gen.go", "// Code generated by stringer. DO NOT EDIT.\n", "generated: header says"),
        ("schema.ts", "/* @generated */\nexport {}\n", "generated: header says '@generated'"),
        ("web/package-lock.json", "{}\n", "lock file: written by a package manager"),
        ("go.sum", "x\n", "lock file"),
        ("poetry.lock", "x\n", "lock file"),
        ("data.py", "a\0b\n", "binary: contains NUL bytes"),
    ],
)
def test_skips_name_their_reason(path: str, content: str, reason: str) -> None:
    change = from_files({}, {path: content, "real.py": "x = 1\n"})
    assert [f.path for f in change.files] == ["real.py"]
    assert len(change.skipped) == 1
    assert change.skipped[0].path == path
    assert change.skipped[0].reason.startswith(reason)


def test_generated_header_is_found_in_the_diff_without_a_tree() -> None:
    diff = diff_of(
        "--- a/models.go",
        "+++ b/models.go",
        "@@ -1,2 +1,2 @@",
        "-// old header",
        "+// Code generated by sqlc. DO NOT EDIT.",
        " package models",
    )
    change = from_diff(diff)
    assert change.files == ()
    assert change.skipped[0].reason.startswith("generated: header says")


def test_oversized_and_file_limit_are_skipped_not_dropped() -> None:
    limits = ChangeLimits(max_file_bytes=10, max_files=2)
    after = {"a_big.py": "x" * 11 + "\n", "a.py": "1\n", "b.py": "2\n", "c.py": "3\n"}
    change = from_files({}, after, limits=limits)
    assert [f.path for f in change.files] == ["a.py", "b.py"]
    reasons = {s.path: s.reason for s in change.skipped}
    assert reasons["a_big.py"] == "oversized: 12 bytes, over the 10-byte limit"
    assert reasons["c.py"] == "over the file limit: the change has more than 2 files"


@pytest.mark.parametrize(
    ("path", "content", "language"),
    [
        ("a/b.py", None, "python"),
        ("x.tsx", None, "typescript"),
        ("x.mjs", None, "javascript"),
        ("Dockerfile", None, "dockerfile"),
        ("Dockerfile.dev", None, "dockerfile"),
        ("build/app.dockerfile", None, "dockerfile"),
        ("x.hpp", None, "cpp"),
        ("x.h", None, "c"),
        ("lib.rs", None, "rust"),
        ("ci.yml", None, "yaml"),
        ("pyproject.toml", None, "toml"),
        ("README.md", None, "markdown"),
        ("Main.java", None, "java"),
        ("Gemfile", None, "ruby"),
        ("bin/tool", "#!/bin/bash\necho\n", "shell"),
        ("bin/tool", "#!/usr/bin/env -S python3.12 -u\n", "python"),
        ("bin/tool", "#!/usr/bin/env node\n", "javascript"),
        ("bin/tool", "no shebang\n", None),
        ("notes.txt", None, None),
    ],
)
def test_language_by_name_extension_or_shebang(
    path: str, content: str | None, language: str | None
) -> None:
    assert language_of(path, content) == language


@pytest.mark.parametrize(
    ("diff", "message"),
    [
        ("", r"empty diff: nothing changed"),
        (b"  \n\n", r"empty diff: nothing changed"),
        ("hello, this is not a diff\n", r"not a unified diff: .*'hello, this is not a diff'"),
        ("@@ -1 +1 @@\n-a\n+b\n", r"malformed diff: 'Unexpected hunk found"),
        ("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n", r"malformed diff: 'Hunk is shorter"),
        ("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n", r"'\+c', a line its header does not count"),
        (
            "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n--- a/y\n+++ b/y\n",
            r"shorter than its header counts \(it runs into '--- a/y'\)",
        ),
        (
            "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n"
            "--- a/y\n+++ b/y\n@@ -1 +1 @@\n-p\n+q\n",
            r"shorter than its header counts \(it runs into '--- a/y'\)",
        ),
        (
            "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n"
            "diff --git a/y b/y\n",
            r"malformed diff: 'Hunk diff line expected: diff --git a/y b/y'",
        ),
        ("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n", r"'Hunk is shorter than expected'"),
        (
            "--- a/../../etc/passwd\n+++ b/../../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n",
            "leaves the tree",
        ),
        ("--- /tmp/x.py\n+++ /tmp/y.py\n@@ -1 +1 @@\n-a\n+b\n", "absolute"),
    ],
)
def test_bad_diffs_raise_input_error_in_one_line(diff: str | bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        from_diff(diff)
    assert "\n" not in str(info.value)


def test_from_files_without_changes_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no changes"):
        from_files({"a.py": "x\n"}, {"a.py": "x\n"})


def test_a_patch_series_touching_a_file_twice_is_refused() -> None:
    one = diff_of("--- a/x.py", "+++ b/x.py", "@@ -1 +1 @@", "-a", "+b")
    two = diff_of("--- a/x.py", "+++ b/x.py", "@@ -1 +1 @@", "-b", "+c")
    with pytest.raises(InputError, match=r"changes 'x.py' more than once"):
        from_diff(one + two)


def test_from_diff_files_matches_from_diff_with_a_tree(tmp_path: Path) -> None:
    from review_bot.change import from_diff_files

    diff = "--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n"
    (tmp_path / "a.py").write_text("x = 1\ny = 3\n")
    assert from_diff_files(diff, {"a.py": "x = 1\ny = 3\n"}) == from_diff(diff, tree=tmp_path)
    with pytest.raises(InputError, match="not in the files"):
        from_diff_files(diff, {})
    with pytest.raises(InputError, match=r"the files does not match the diff at 'a\.py' line 2"):
        from_diff_files(diff, {"a.py": "x = 1\ny = 4\n"})
