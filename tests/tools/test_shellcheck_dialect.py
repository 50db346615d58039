"""shellcheck gets the dialect from the directive, shebang or extension (default bash)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tools_helpers import added_file

from review_bot.config.models import ToolsConfig
from review_bot.tools.sandbox import SubprocessRunner, materialize
from review_bot.tools.shellcheck import ShellcheckAnalyzer, dialect_of


@pytest.mark.parametrize(
    ("path", "text", "dialect"),
    [
        ("a.sh", "echo hi\n", "bash"),
        ("a", "#!/bin/sh\necho hi\n", "sh"),
        ("a.sh", "#!/usr/bin/env dash\n", "dash"),
        ("a.sh", "#!/usr/bin/env -S bash -e\n", "bash"),
        ("a.ksh", "echo hi\n", "ksh"),
        ("a.sh", "#!/bin/bash\n# shellcheck shell=sh\n", "sh"),
        ("a.sh", "#!/bin/zsh\n", None),
    ],
)
def test_dialect_of(path: str, text: str, dialect: str | None) -> None:
    assert dialect_of(added_file(path, text, "shell")) == dialect


def test_zsh_scripts_are_not_given_to_shellcheck() -> None:
    assert not ShellcheckAnalyzer().applies_to(added_file("a.sh", "#!/bin/zsh\nx=1\n", "shell"))


async def test_each_dialect_is_checked_as_itself(workdir: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is not installed (apt-get install shellcheck)")
    files = [
        # no shebang: bash by default, so no "shell unknown" SC2148 and arrays are fine
        added_file("lib.sh", 'arr=(a b)\necho "${arr[0]}"\n', "shell"),
        # sh: arrays are not POSIX (SC3030)
        added_file("run.sh", '#!/bin/sh\narr=(a b)\necho "$arr"\n', "shell"),
    ]
    materialize(files, workdir)
    result = await ShellcheckAnalyzer().analyze(
        files, workdir, SubprocessRunner(), ToolsConfig(timeout_s=120)
    )
    assert result.run.status == "ok", result.run.reason
    got = {(f.path, f.rule_id) for f in result.findings}
    assert not any(path == "lib.sh" for path, _ in got), got
    assert ("run.sh", "SC3030") in got
    assert result.run.files == ("lib.sh", "run.sh")
    assert "--shell=bash" in result.run.argv
    assert "--shell=sh" in result.run.argv
