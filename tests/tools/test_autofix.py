"""The tools' own autofixes (eslint ``fix``, semgrep ``fix:``, ruff ``fix.edits``) as
suggestions for exactly the finding's lines, or none."""

from __future__ import annotations

import json
from pathlib import Path

from review_bot.tools import EslintAnalyzer, SemgrepAnalyzer
from review_bot.tools.ruff import RuffAnalyzer
from review_bot.tools.sandbox import ProcessResult

JS = "const a = 1;\nvar b = a == 2;\nconsole.log(b);\n"


def _result(output: object) -> ProcessResult:
    return ProcessResult(
        argv=("x",), exit_code=1, stdout=json.dumps(output), stderr="", duration_s=0.1
    )


def test_eslint_fix_ranges_become_the_replacement_of_the_line(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text(JS)
    start = JS.index("==")
    messages = [
        {"ruleId": "eqeqeq", "severity": 2, "message": "use ===", "line": 2, "endLine": 2,
         "fix": {"range": [start, start + 2], "text": "==="}},
        {"ruleId": "no-var", "severity": 2, "message": "no var", "line": 2, "endLine": 2,
         # a fix that reaches the next line is not a suggestion for line 2
         "fix": {"range": [JS.index("var"), JS.index("console") + 3], "text": "let"}},
        {"ruleId": "broken", "severity": 2, "message": "bad", "line": 1,
         "fix": {"range": "nope"}},
    ]  # fmt: skip
    output = [{"filePath": str(tmp_path / "a.js"), "messages": messages}]
    found = {f.rule_id: f for f in EslintAnalyzer().parse(_result(output), tmp_path)}
    assert found["eqeqeq"].suggestion == "var b = a === 2;\n"
    assert found["no-var"].suggestion is None
    assert found["broken"].suggestion is None  # an unreadable fix costs only the fix


def test_semgrep_fix_over_the_match_becomes_the_replacement(tmp_path: Path) -> None:
    text = "import yaml\ndata = yaml.load(raw)\n"
    (tmp_path / "m.py").write_text(text)
    start = text.index("yaml.load")
    end = text.index("(raw)") + len("(raw)")
    item = {
        "check_id": "rules.yaml-load",
        "path": str(tmp_path / "m.py"),
        "start": {"line": 2, "col": 8, "offset": len(text[:start].encode())},
        "end": {"line": 2, "col": 23, "offset": len(text[:end].encode())},
        "extra": {"message": "unsafe yaml", "severity": "ERROR", "metadata": {},
                  "fix": "yaml.safe_load(raw)"},
    }  # fmt: skip
    (finding,) = SemgrepAnalyzer().parse(_result({"results": [item], "errors": []}), tmp_path)
    assert finding.suggestion == "data = yaml.safe_load(raw)\n"


def test_ruff_takes_safe_fixes_only(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import os\nx = 1\n")

    def diagnostic(applicability: str) -> dict[str, object]:
        return {
            "code": "F401", "message": "unused", "filename": str(tmp_path / "a.py"),
            "location": {"row": 1, "column": 8}, "end_location": {"row": 1, "column": 10},
            "fix": {"applicability": applicability, "edits": [
                {"content": "", "location": {"row": 1, "column": 1},
                 "end_location": {"row": 2, "column": 1}}]},
        }  # fmt: skip

    safe, unsafe = RuffAnalyzer().parse(
        _result([diagnostic("safe"), diagnostic("unsafe")]), tmp_path
    )
    assert safe.suggestion == ""  # delete the line
    assert unsafe.suggestion is None
