"""Parsers on recorded real-format output (eslint 9 JSON), independent of what is installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tools_helpers import ScriptedRunner, added_file

from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.tools import EslintAnalyzer, SemgrepAnalyzer
from review_bot.tools.bandit import BanditAnalyzer
from review_bot.tools.base import CommandAnalyzer
from review_bot.tools.ruff import RuffAnalyzer
from review_bot.tools.sandbox import ProcessResult
from review_bot.tools.secrets import SecretsAnalyzer
from review_bot.tools.shellcheck import ShellcheckAnalyzer

# Recorded from `eslint -f json` (ESLint 9) on a file with eval and a syntax error.
ESLINT_JSON = [
    {
        "filePath": "{root}/web/app.js",
        "messages": [
            {
                "ruleId": "no-eval",
                "severity": 2,
                "message": "eval can be harmful.",
                "line": 3,
                "column": 3,
                "nodeType": "CallExpression",
                "messageId": "unexpected",
                "endLine": 3,
                "endColumn": 14,
            },
            {
                "ruleId": "no-unreachable",
                "severity": 1,
                "message": "Unreachable code.",
                "line": 5,
                "column": 3,
                "endLine": 6,
                "endColumn": 4,
            },
        ],
        "suppressedMessages": [],
        "errorCount": 1,
        "warningCount": 1,
    },
    {
        "filePath": "{root}/web/broken.js",
        "messages": [
            {
                "ruleId": None,
                "fatal": True,
                "severity": 2,
                "message": "Parsing error: Unexpected token )",
                "line": 1,
                "column": 9,
            }
        ],
    },
]


class RootedRunner(ScriptedRunner):
    """Substitutes the sandbox directory into recorded output, as the real tool would."""

    def __init__(self, template: str, exit_code: int = 1) -> None:
        super().__init__(template, exit_code=exit_code)
        self.template = template

    async def run(self, argv, *, cwd, limits, env=None):  # type: ignore[no-untyped-def]
        self.stdout = self.template.replace("{root}", str(cwd))
        return await super().run(argv, cwd=cwd, limits=limits, env=env)


async def test_eslint_output_becomes_findings(tmp_path: Path) -> None:
    analyzer = EslintAnalyzer("/bin/true")  # any existing executable: the runner is fake
    files = [added_file("web/app.js", "x\n" * 6, "javascript"), added_file("web/broken.js", "f(\n")]
    runner = RootedRunner(json.dumps(ESLINT_JSON))
    result = await analyzer.analyze(files, tmp_path, runner, ToolsConfig())
    assert result.run.status == "ok"
    got = [(f.path, f.line, f.end_line, f.rule_id, f.severity, f.category) for f in result.findings]
    assert got == [
        ("web/app.js", 3, 3, "no-eval", "high", "security"),
        ("web/app.js", 5, 6, "no-unreachable", "low", "correctness"),
        ("web/broken.js", 1, 1, "parse-error", "high", "bug"),
    ]
    argv = runner.calls[-1]
    assert "--no-config-lookup" in argv
    # inline directives apply: the ones the change adds are cut from the temp copy
    assert "--no-inline-config" not in argv


def _fake_eslint(root: Path, *, with_parser: bool) -> Path:
    """An npm install layout: node_modules/.bin/eslint -> ../eslint/bin/eslint.js."""
    modules = root / "node_modules"
    script = modules / "eslint" / "bin" / "eslint.js"
    script.parent.mkdir(parents=True)
    script.write_text("#!/usr/bin/env node\n")
    script.chmod(0o755)
    (modules / ".bin").mkdir()
    link = modules / ".bin" / "eslint"
    link.symlink_to("../eslint/bin/eslint.js")
    if with_parser:
        parser = modules / "@typescript-eslint" / "parser"
        (parser / "dist").mkdir(parents=True)
        (parser / "dist" / "index.js").write_text("export default {};\n")
        meta = {"name": "@typescript-eslint/parser", "version": "8.74.0", "main": "dist/index.js"}
        (parser / "package.json").write_text(json.dumps(meta))
    return link


def test_typescript_goes_to_eslint_only_with_the_parser_beside_it(tmp_path: Path) -> None:
    js, ts = added_file("a.js", "x\n"), added_file("a.ts", "x\n", "typescript")
    bare = EslintAnalyzer(str(_fake_eslint(tmp_path / "bare", with_parser=False)))
    assert bare.applies_to(js)
    assert not bare.applies_to(ts)
    assert bare.env(tmp_path) == {}
    full = EslintAnalyzer(str(_fake_eslint(tmp_path / "full", with_parser=True)))
    parser = (tmp_path / "full/node_modules/@typescript-eslint/parser/dist/index.js").resolve()
    assert full.applies_to(ts)
    assert full.env(tmp_path) == {"REVIEW_BOT_TS_PARSER": str(parser)}
    assert full.config_hash() != bare.config_hash()  # cached results know the parser


async def test_semgrep_output_without_results_fails_the_run(tmp_path: Path) -> None:
    analyzer = SemgrepAnalyzer("/bin/true")
    runner = RootedRunner(json.dumps({"errors": [{"message": "boom"}]}), exit_code=0)
    result = await analyzer.analyze([added_file("a.py", "x\n")], tmp_path, runner, ToolsConfig())
    assert result.run.status == "failed"
    assert "results" in result.run.reason


async def test_semgrep_argv_disables_metrics_and_version_check(tmp_path: Path) -> None:
    runner = RootedRunner(json.dumps({"results": [], "errors": []}), exit_code=0)
    analyzer = SemgrepAnalyzer("/bin/true")
    await analyzer.analyze([added_file("a.py", "x\n")], tmp_path, runner, ToolsConfig())
    argv = runner.calls[-1]
    for flag in ("--metrics=off", "--disable-version-check", "--json"):
        assert flag in argv
    # base-side nosemgrep comments apply (added ones are cut from the temp copy)
    assert "--disable-nosem" not in argv
    assert analyzer.env(tmp_path)["SEMGREP_SEND_METRICS"] == "off"


@pytest.mark.parametrize(
    ("analyzer", "output", "says"),
    [
        (RuffAnalyzer(), [{"filename": "{root}/a.py", "message": "m"}], "ruff diagnostic"),
        (BanditAnalyzer(), {"results": [{"filename": "{root}/a.py"}]}, "bandit result"),
        (SemgrepAnalyzer(), {"results": [{"path": "{root}/a.py"}]}, "semgrep result"),
        (ShellcheckAnalyzer(), {"comments": [{"file": "{root}/a.sh"}]}, "shellcheck comment"),
        (
            EslintAnalyzer(),
            [{"filePath": "{root}/a.js", "messages": [{"line": 2}]}],
            "eslint message",
        ),
        (SecretsAnalyzer(), {"results": {"{root}/a.py": [{"type": "x"}]}}, "secrets result"),
    ],
)
def test_an_output_item_missing_a_field_names_the_tool_and_the_item(
    analyzer: CommandAnalyzer, output: object, says: str, tmp_path: Path
) -> None:
    text = json.dumps(output).replace("{root}", str(tmp_path))
    result = ProcessResult(argv=("x",), exit_code=1, stdout=text, stderr="", duration_s=0.1)
    with pytest.raises(ToolOutputError, match=f"^{says} .* lacks "):
        analyzer.parse(result, tmp_path)


def test_items_outside_the_workdir_are_skipped_not_failed(tmp_path: Path) -> None:
    output = [{"filename": "/elsewhere/a.py", "message": "m"}]  # and no location at all
    result = ProcessResult(
        argv=("x",), exit_code=1, stdout=json.dumps(output), stderr="", duration_s=0.1
    )
    assert RuffAnalyzer().parse(result, tmp_path) == []
