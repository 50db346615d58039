"""Properties of the changed-line sets, over random before/after texts.

Whatever produced the diff (our own writer, difflib, git), the lines a ChangeSet calls
added must be exactly the lines of ``after`` outside the diff's alignment, and every
line number it hands out must exist in ``after``.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import tempfile
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from review_bot._diffparse import split_lines
from review_bot.change import ChangeSet, FileChange, from_diff, from_files
from review_bot.errors import InputError

# A small alphabet makes repeated and shifted lines (the hard cases) common.
LINE = st.sampled_from(["a", "b", "c", "", "  indent", "x\r", "caf\u00e9", "f\fg", "u\u2028v"])
TEXT = st.builds(
    lambda lines, final_newline: "".join(f"{line}\n" for line in lines)[
        : None if final_newline or not lines else -1
    ],
    st.lists(LINE, max_size=25),
    st.booleans(),
)
SETTINGS = settings(max_examples=100, deadline=None)
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": os.defpath}


def lcs_length(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev_diag = 0
        for j, y in enumerate(b, 1):
            prev_diag, row[j] = row[j], prev_diag + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def check_alignment(f: FileChange, before: str, after: str) -> list[str]:
    """Assert the line sets are exact against ``after``; return the kept (aligned) lines."""
    a, b = split_lines(before), split_lines(after)
    added, context = f.added_lines, f.context_lines
    removed = frozenset().union(*(h.removed for h in f.hunks))
    assert not added & context
    assert all(1 <= n <= len(b) for n in added | context)
    assert all(1 <= n <= len(a) for n in removed)
    kept_after = [line for n, line in enumerate(b, 1) if n not in added]
    kept_before = [line for n, line in enumerate(a, 1) if n not in removed]
    assert kept_after == kept_before  # the unchanged lines line up, in order
    for hunk in f.hunks:  # the + lines of each hunk are those lines of after, in order
        plus = [line[1:] for line in split_lines(hunk.text) if line.startswith("+")]
        shown = [b[n - 1].removesuffix("\n") for n in sorted(hunk.added)]
        assert [p.removesuffix("\n") for p in plus] == shown
    for n, line in enumerate(b, 1):
        kind = f.line_kind(n)
        assert kind == ("added" if n in added else "context" if n in context else "outside")
        assert f.line_text(n) == line.removesuffix("\n").removesuffix("\r")
    assert f.line_kind(len(b) + 1) == "outside"
    return kept_after


def single(change: ChangeSet) -> FileChange:
    assert len(change.files) == 1, change
    return change.files[0]


@SETTINGS
@given(before=TEXT, after=TEXT)
def test_from_files_line_sets_are_exact(before: str, after: str) -> None:
    assume(before != after)
    f = single(from_files({"f.py": before}, {"f.py": after}))
    assert f.new_content == after
    check_alignment(f, before, after)


@SETTINGS
@given(after=TEXT)
def test_from_files_added_file_is_all_added(after: str) -> None:
    f = single(from_files({}, {"new.py": after}))
    assert f.added_lines == frozenset(range(1, len(split_lines(after)) + 1))
    assert f.new_content == after


def difflib_diff(before: str, after: str) -> str:
    out = []
    for line in difflib.unified_diff(
        split_lines(before), split_lines(after), "a/f.py", "b/f.py"
    ):  # difflib writes no "\ No newline" marker: add it as diff(1) does
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


@SETTINGS
@given(before=TEXT, after=TEXT)
def test_from_diff_of_difflib_output_is_exact(before: str, after: str) -> None:
    assume(before != after and before and after)
    with tempfile.TemporaryDirectory() as tree:
        (Path(tree) / "f.py").write_bytes(after.encode("utf-8"))
        f = single(from_diff(difflib_diff(before, after), tree=Path(tree)))
    check_alignment(f, before, after)


@SETTINGS
@given(before=TEXT, after=TEXT)
def test_from_diff_of_git_output_is_exact_and_minimal(before: str, after: str) -> None:
    assume(before != after and after)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "old").write_bytes(before.encode("utf-8"))
        (Path(tmp) / "new").write_bytes(after.encode("utf-8"))
        proc = subprocess.run(
            ["git", "diff", "--no-index", "--no-color", "--no-ext-diff", "--minimal", "old", "new"],
            cwd=tmp,
            env=GIT_ENV,
            capture_output=True,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr  # 1: the files differ
        f = single(from_diff(proc.stdout, tree=Path(tmp)))
    kept = check_alignment(f, before, after)
    # every line git kept is kept here, no more; git's --minimal is not always minimal (a
    # last line without its newline can cost it a match: 'a\na' -> 'b\na\nb' keeps none)
    body = proc.stdout.decode("utf-8").split("\n@@", 1)[1].splitlines()
    git_added = sum(1 for line in body if line.startswith("+"))
    assert len(kept) == len(split_lines(after)) - git_added
    assert len(kept) <= lcs_length(split_lines(before), split_lines(after))


SAMPLE = (
    b"diff --git a/m.py b/m.py\nindex 1111111..2222222 100644\n--- a/m.py\n+++ b/m.py\n"
    b"@@ -1,3 +1,3 @@ def f():\n a\n-b\n+B\xe9\r\n c\n\\ No newline at end of file\n"
    b"diff --git a/n.sh b/n.sh\nnew file mode 100755\n--- /dev/null\n+++ b/n.sh\n"
    b"@@ -0,0 +1 @@\n+echo\ndiff --git a/o b/p\nsimilarity index 90%\nrename from o\n"
    b"rename to p\nBinary files a/o and b/p differ\n"
)


@SETTINGS
@given(data=st.data())
def test_mangled_diffs_give_a_changeset_or_input_error_never_a_crash(data: st.DataObject) -> None:
    lines = SAMPLE.split(b"\n")
    kept = data.draw(st.lists(st.sampled_from(range(len(lines))), max_size=len(lines)))
    noise = data.draw(st.binary(max_size=20))
    mangled = b"\n".join(lines[i] for i in sorted(kept)) + noise
    try:
        change = from_diff(mangled)
    except InputError:
        return
    for f in change.files:
        assert all(n >= 1 for n in f.added_lines | f.context_lines)


@SETTINGS
@given(raw=st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_input_gives_a_changeset_or_input_error(raw: bytes | str) -> None:
    try:
        from_diff(raw)
    except InputError as exc:
        message = str(exc)
    else:
        return
    assert "\n" not in message  # one line, fit for a CLI error
