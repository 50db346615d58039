"""Suggestions have GitHub's semantics: committing one replaces exactly the finding's lines.

The end-to-end test reviews a Python change whose tools offer autofixes, applies every
suggestion of the review the way GitHub commits a ```suggestion``` block (lines line..end_line
replaced by its text) and re-runs the tools on the result.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from review_bot.change import from_files
from review_bot.config.models import ReviewConfig, ToolsConfig
from review_bot.events import RecordingSink
from review_bot.pipeline import Services, review
from review_bot.suggestions import Edit, anchor, apply_edits, replace_lines, suggestion_diff
from review_bot.tools.file_analyzer import ToolsFileAnalyzer

BEFORE = {"pkg/app.py": "def greet(name):\n    return name\n"}
AFTER = {
    "pkg/app.py": (
        "import os\n"
        "import json\n"
        "\n"
        "\n"
        "def greet(name):\n"
        '    label = f"hello"\n'
        "    return json.dumps([label, name])\n"
    )
}


def test_replace_lines_is_githubs_commit_of_a_suggestion() -> None:
    text = "a\nb\nc\nd\n"
    assert replace_lines(text, 2, 3, "B\nC") == "a\nB\nC\nd\n"
    assert replace_lines(text, 2, 3, "X\n") == "a\nX\nd\n"
    assert replace_lines(text, 2, 2, "") == "a\nc\nd\n"  # an empty suggestion deletes
    assert replace_lines("a\nb", 2, 2, "B") == "a\nB"  # no newline added at the end


def test_anchor_widens_to_the_finding_and_drops_what_is_far_away() -> None:
    text = "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\n"
    # the patch changes line 4 only; the finding spans 3-5: the suggestion covers 3-5
    patched = replace_lines(text, 4, 4, "L4")
    got = anchor(text, patched, 3, 5)
    assert got is not None
    assert (got.line, got.end_line, got.replacement) == (3, 5, "l3\nL4\nl5\n")
    # the patch reaches line 6 beyond a finding on line 5: the range widens to 5-6
    got = anchor(text, replace_lines(text, 5, 6, "L5\nL6"), 5, 5)
    assert got is not None
    assert (got.line, got.end_line) == (5, 6)
    # an insertion above the finding's line
    got = anchor(text, replace_lines(text, 3, 3, "import x\nl3"), 4, 4)
    assert got is not None
    assert replace_lines(text, got.line, got.end_line, got.replacement) == replace_lines(
        text, 3, 3, "import x\nl3"
    )
    # a change 6 lines away from the finding is not its fix
    assert anchor(text, replace_lines(text, 10, 10, "L10"), 2, 2) is None
    assert anchor(text, text, 2, 2) is None


_lines = st.lists(st.sampled_from(["a", "b", "c", "", "  x = 1"]), min_size=1, max_size=12)


@given(_lines, st.data())
def test_an_anchored_suggestion_reproduces_the_patched_file(
    lines: list[str], data: st.DataObject
) -> None:
    text = "\n".join(lines) + "\n"
    total = len(lines)
    start = data.draw(st.integers(1, total))
    end = data.draw(st.integers(start, total))
    replacement = "\n".join(data.draw(_lines))
    patched = replace_lines(text, start, end, replacement)
    line = data.draw(st.integers(1, total))
    got = anchor(text, patched, line, line, slack=total)
    if patched == text:
        assert got is None
        return
    assert got is not None
    assert got.line <= line <= got.end_line
    assert replace_lines(text, got.line, got.end_line, got.replacement) == patched


def test_apply_edits_refuses_overlaps() -> None:
    assert apply_edits("abcdef", [Edit(1, 2, "X"), Edit(4, 6, "")]) == "aXcd"
    assert apply_edits("abcdef", [Edit(1, 4, "X"), Edit(3, 5, "")]) is None
    assert apply_edits("abc", [Edit(2, 9, "")]) is None


def test_suggestion_diff_shows_the_replaced_lines() -> None:
    change = from_files(BEFORE, AFTER)
    from review_bot.findings import Finding

    finding = Finding(
        path="pkg/app.py",
        line=6,
        end_line=6,
        severity="low",
        category="correctness",
        rule_id="F541",
        message="f-string without placeholders",
        sources=("tool:ruff",),
        suggestion='    label = "hello"\n',
    )
    assert suggestion_diff(finding, change) == ['-    label = f"hello"', '+    label = "hello"']
    assert suggestion_diff(finding, None) == ['+    label = "hello"']


async def test_every_suggestion_applied_as_github_does_clears_its_finding() -> None:
    change = from_files(BEFORE, AFTER)
    config = ReviewConfig(tools=ToolsConfig(enabled=("ruff",)), filter_mode="added")
    events = RecordingSink()
    result = await review(change, config, Services(events=events))
    with_fix = [f for f in result.findings if f.suggestion is not None]
    # ruff's safe fixes: the unused import (F401) and the placeholder-less f-string (F541)
    assert {f.rule_id for f in with_fix} == {"F401", "F541"}
    assert [d["accepted"] for k, d in events.events if k == "tool.fix"] == [True, True]
    content = AFTER["pkg/app.py"]
    analyzer = ToolsFileAnalyzer(config.tools)
    file = change.file("pkg/app.py")
    assert file is not None
    before = await analyzer.analyze("ruff", file)
    for finding in with_fix:
        assert finding.suggestion is not None
        patched = replace_lines(content, finding.line, finding.end_line, finding.suggestion)
        after = await analyzer.analyze("ruff", file.model_copy(update={"new_content": patched}))
        assert finding.rule_id not in {f.rule_id for f in after if f.line == finding.line}
        assert len(after) == len(before) - 1  # cleared, and nothing new
        compile(patched, "app.py", "exec")
    os_import = next(f for f in with_fix if f.rule_id == "F401")
    assert (os_import.line, os_import.end_line, os_import.suggestion) == (1, 1, "")
