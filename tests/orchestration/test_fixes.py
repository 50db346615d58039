"""A coder patch becomes a suggestion for exactly the finding's lines, or no suggestion."""

from __future__ import annotations

from orchestration_helpers import ShellTrueAnalyzer, bandit_finding

from review_bot.agents.schemas import Patch
from review_bot.change import from_files
from review_bot.orchestration.fixes import check_fix
from review_bot.suggestions import replace_lines

_HEAD = "import subprocess\n" + "".join(f"X{i} = {i}\n" for i in range(6)) + "\n\n"
BEFORE = {"run.py": _HEAD + "def run(cmd):\n    return cmd\n"}
AFTER = {
    "run.py": _HEAD
    + "def run(cmd):\n"
    + "    subprocess.call(cmd, shell=True)\n"
    + "    subprocess.call(cmd, shell=False)\n"
    + "    return cmd\n"
}
L = 11  # the shell=True line


def _patch(start: int, end: int, replacement: str) -> Patch:
    return Patch(
        finding_id="T1", path="run.py", start_line=start, end_line=end, replacement=replacement
    )


async def test_a_patch_on_the_finding_line_is_the_replacement_of_that_line() -> None:
    file = from_files(BEFORE, AFTER).file("run.py")
    assert file is not None
    check = await check_fix(
        bandit_finding("run.py", L), _patch(L, L, "    subprocess.call(cmd.split())"), file,
        ShellTrueAnalyzer(),
    )  # fmt: skip
    assert check.suggestion is not None
    assert (check.suggestion.line, check.suggestion.end_line) == (L, L)
    assert check.suggestion.replacement == "    subprocess.call(cmd.split())\n"


async def test_a_wider_patch_inside_the_diff_re_anchors_the_finding() -> None:
    file = from_files(BEFORE, AFTER).file("run.py")
    assert file is not None
    new = "    args = cmd.split()\n    subprocess.call(args)\n    subprocess.call(args)"
    check = await check_fix(
        bandit_finding("run.py", L), _patch(L, L + 1, new), file, ShellTrueAnalyzer()
    )
    assert check.suggestion is not None, check.reason
    s = check.suggestion
    assert (s.line, s.end_line) == (L, L + 1)
    content = AFTER["run.py"]
    assert replace_lines(content, s.line, s.end_line, s.replacement) == replace_lines(
        content, L, L + 1, new
    )


async def test_a_patch_reaching_unchanged_lines_or_far_away_is_dropped() -> None:
    file = from_files(BEFORE, AFTER).file("run.py")
    assert file is not None
    agent = bandit_finding("run.py", L).model_copy(update={"sources": ("agent:security",)})
    # line 6 is not shown in the diff (3 lines of context): a comment cannot span 6-11
    same = "X5 = 5\n\n\ndef run(cmd):\n    subprocess.call(cmd.split())"
    narrowed = await check_fix(agent, _patch(6, L, "X4 = 4\n" + same), file, None)
    assert narrowed.suggestion is not None  # lines 6-10 repeat the file: only 11 changes
    assert (narrowed.suggestion.line, narrowed.suggestion.end_line) == (L, L)
    wide = await check_fix(agent, _patch(6, L, "X4 = 44\n" + same), file, None)
    assert wide.suggestion is None
    assert "outside the diff" in wide.reason
    far = await check_fix(agent, _patch(2, 2, "X0 = 0  # changed"), file, None)
    assert far.suggestion is None
    assert "does not touch" in far.reason
