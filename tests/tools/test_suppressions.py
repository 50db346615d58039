"""Suppressions: the base side's keep working, the change's own are cut out and reported."""

from __future__ import annotations

import shutil

import pytest

from review_bot.change import from_files
from review_bot.config.models import ToolsConfig
from review_bot.tools import run_tools
from review_bot.tools.suppressions import rewrite_suppressions


def _rewrite(path: str, before: str | None, after: str) -> tuple[list[str], set[tuple]]:
    change = from_files({path: before} if before is not None else {}, {path: after})
    result = rewrite_suppressions(change.files[0])
    assert result.text is not None
    added = {(a.line, a.tool, a.describe()) for a in result.added}
    return result.text.splitlines(), added


# -- the rewrite, per tool: kept / neutralised / narrowed / reported ---------------------------


def test_ruff_noqa_on_an_edited_line_is_kept_and_a_widened_one_narrowed() -> None:
    before = "import os  # noqa: F401\nimport re  # noqa: F401\nx = 1\n"
    after = "import os, json  # noqa: F401\nimport re  # noqa: F401,F811\nx = 2  # noqa\n"
    lines, added = _rewrite("a.py", before, after)
    assert lines[0] == "import os, json  # noqa: F401"  # kept: the base side had it
    assert lines[1] == "import re  # noqa: F401"  # widened: F811 cut out
    assert "noqa" not in lines[2]  # added blanket: inert
    assert added == {(2, "ruff", "F811"), (3, "ruff", "every rule")}


def test_ruff_file_level_noqa_kept_when_the_base_had_it_and_cut_when_added() -> None:
    kept, added = _rewrite("a.py", "# ruff: noqa\nx = 1\n", "# ruff: noqa  \nx = 2\n")
    assert kept[0].startswith("# ruff: noqa")
    assert not added
    cut, added = _rewrite("b.py", "x = 1\n", "# ruff: noqa\nx = 2\n")
    assert "noqa" not in cut[0]
    assert added == {(1, "ruff", "every rule")}


def test_bandit_nosec_kept_for_its_rule_and_cut_for_a_new_one() -> None:
    before = "subprocess.call(cmd, shell=True)  # nosec B602\n"
    after = (
        "subprocess.call(cmd2, shell=True)  # nosec B602\n"
        "subprocess.call(other, shell=True)  # nosec B602\n"
    )
    lines, added = _rewrite("a.py", before, after)
    assert lines[0].endswith("# nosec B602")
    assert "nosec" not in lines[1]
    assert added == {(2, "bandit", "B602")}


def test_semgrep_nosemgrep_moved_with_its_code_is_kept() -> None:
    before = "a = 1\nyaml.load(text)  # nosemgrep: python-yaml-unsafe-load\n"
    after = "yaml.load(text)  # nosemgrep: python-yaml-unsafe-load\na = 1\n"
    lines, added = _rewrite("a.py", before, after)
    assert "nosemgrep: python-yaml-unsafe-load" in lines[0]
    assert not added


def test_eslint_next_line_directive_in_an_edited_block_is_kept() -> None:
    before = "// eslint-disable-next-line no-eval\nreturn eval(code);\n"
    after = "// eslint-disable-next-line no-eval, no-new-func\nreturn eval(code2);\n"
    lines, added = _rewrite("a.js", before, after)
    assert lines[0] == "// eslint-disable-next-line no-eval"
    assert added == {(1, "eslint", "no-new-func")}


def test_eslint_added_file_level_disable_is_inert() -> None:
    lines, added = _rewrite("a.js", "run(x);\n", "/* eslint-disable */\nrun(x);\n")
    assert "eslint-disable" not in lines[0]
    assert lines[0].startswith("/*")
    assert lines[0].endswith("*/")
    assert added == {(1, "eslint", "every rule")}


def test_shellcheck_widened_disable_keeps_only_the_base_codes() -> None:
    before = "#!/bin/bash\n# shellcheck disable=SC2086\nrm -rf $1/*\n"
    after = "#!/bin/bash\n# shellcheck disable=SC2086,SC2115\nrm -rf $1/* $2\n"
    lines, added = _rewrite("a.sh", before, after)
    assert lines[1] == "# shellcheck disable=SC2086"
    assert added == {(2, "shellcheck", "SC2115")}


def test_detect_secrets_pragma_added_is_neutralised() -> None:
    lines, added = _rewrite("a.ini", "x = 1\n", 'key = "v"  # pragma: allowlist secret\n')
    assert "allowlist" not in lines[0]
    assert added == {(1, "secrets", "every rule")}


def test_copying_a_comment_only_directive_elsewhere_does_not_suppress() -> None:
    before = "# shellcheck disable=SC2086\necho $a\n\necho ok\n"
    after = "# shellcheck disable=SC2086\necho $a\n\n# shellcheck disable=SC2086\necho $b\n"
    lines, added = _rewrite("a.sh", before, after)
    assert lines[0] == "# shellcheck disable=SC2086"  # unchanged line: untouched
    assert "shellcheck" not in lines[3]
    assert added == {(4, "shellcheck", "SC2086")}


def test_without_an_old_side_every_added_directive_counts_as_added() -> None:
    lines, added = _rewrite("a.py", None, "import os  # noqa: F401\n")
    assert "noqa" not in lines[0]
    assert added == {(1, "ruff", "F401")}


# -- the real tools: kept / neutralised / reported, end to end ---------------------------------


PY_BEFORE = """\
import os  # noqa: F401
import subprocess


def run(cmd):
    subprocess.call(cmd, shell=True)  # nosec B602
"""
PY_AFTER = """\
import os, json  # noqa: F401
import subprocess
import sys  # noqa: F401


def run(cmd, flag):
    subprocess.call(cmd + flag, shell=True)  # nosec B602
    subprocess.call(flag, shell=True)  # nosec
"""
JS_BEFORE = (
    "export function run(code) {\n  // eslint-disable-next-line no-eval\n  return eval(code);\n}\n"
)
JS_AFTER = (
    "export function run(code) {\n  // eslint-disable-next-line no-eval\n"
    "  return eval(code + 1);\n}\n// eslint-disable-next-line no-eval\nexport const y = eval(z);\n"
)
# (a directive right after the shebang would cover the whole file: a command comes first)
SH_BEFORE = "#!/bin/bash\nset -e\n# shellcheck disable=SC2086\nrm -rf $1\n"
SH_AFTER = (
    "#!/bin/bash\nset -e\n# shellcheck disable=SC2086\nrm -rf $1 $3\n"
    "# shellcheck disable=SC2086\necho $2\n"
)


async def test_real_tools_honour_base_suppressions_and_report_added_ones() -> None:
    if shutil.which("shellcheck") is None or shutil.which("eslint") is None:
        pytest.fail("shellcheck and eslint must be installed (./dev test installs them)")
    change = from_files(
        {"app.py": PY_BEFORE, "ui.js": JS_BEFORE, "clean.sh": SH_BEFORE},
        {"app.py": PY_AFTER, "ui.js": JS_AFTER, "clean.sh": SH_AFTER},
    )
    config = ToolsConfig(enabled=("ruff", "bandit", "eslint", "shellcheck"))
    result = await run_tools(change, config)
    assert not result.failures, result.failures
    got = {(f.path, f.line, f.rule_id) for f in result.findings}
    # kept: the base side's suppressions on edited lines
    assert ("app.py", 1, "F401") not in got
    assert ("app.py", 7, "B602") not in got
    assert ("ui.js", 3, "no-eval") not in got
    assert ("clean.sh", 4, "SC2086") not in got
    # neutralised: the change's own suppressions hide nothing
    assert ("app.py", 3, "F401") in got
    assert ("app.py", 8, "B602") in got
    assert ("ui.js", 6, "no-eval") in got
    assert ("clean.sh", 6, "SC2086") in got
    # reported: each added suppression is an info finding
    notes = {(f.path, f.line) for f in result.findings if f.rule_id == "suppression-added"}
    assert notes == {("app.py", 3), ("app.py", 8), ("ui.js", 5), ("clean.sh", 5)}
    note = next(f for f in result.findings if f.rule_id == "suppression-added")
    assert note.severity == "info"
    assert "adds a suppression" in note.message


def test_eslint_inline_rule_config_added_by_the_change_is_inert() -> None:
    lines, added = _rewrite("a.js", "run(x);\n", '/* eslint no-eval: "off" */\nrun(x);\n')
    assert lines[0].startswith("/* review-bot-ignored no-eval")
    assert added == {(1, "eslint", "no-eval")}
