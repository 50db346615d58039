"""Each analyzer against the real tool on small files with known defects."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest
from tools_helpers import ScriptedRunner, added_file, modified_file

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.findings import Finding
from review_bot.tools.bandit import BanditAnalyzer
from review_bot.tools.base import CommandAnalyzer
from review_bot.tools.eslint import EslintAnalyzer
from review_bot.tools.ruff import RuffAnalyzer
from review_bot.tools.sandbox import SubprocessRunner, materialize
from review_bot.tools.secrets import SecretsAnalyzer
from review_bot.tools.semgrep import SemgrepAnalyzer
from review_bot.tools.shellcheck import ShellcheckAnalyzer
from review_bot.tools.suppressions import neutralize_added_suppressions

CONFIG = ToolsConfig(timeout_s=120)

PY_BAD = """\
import subprocess

import yaml


def run(cmd):
    subprocess.call(cmd, shell=True)  # nosec
    return undefined_thing  # noqa: F821


def load(text):
    return yaml.load(text)  # nosemgrep
"""

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
GH_TOKEN = "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"


async def _analyze(analyzer: CommandAnalyzer, files: list[FileChange], root: Path) -> list[Finding]:
    materialize(files, root, content=neutralize_added_suppressions)
    result = await analyzer.analyze(files, root, SubprocessRunner(), CONFIG)
    assert result.run.status == "ok", result.run.reason
    assert result.run.version
    assert result.run.files == tuple(f.path for f in files)
    return list(result.findings)


def _require_semgrep() -> None:
    if SemgrepAnalyzer().executable() is None:
        pytest.fail("semgrep is not installed: pip install -e '.[semgrep]' (CI installs it)")


def _require(binary: str, how: str) -> None:
    """These analyzers are run for real: a missing one fails the test (./dev test installs it)."""
    if shutil.which(binary) is None:
        pytest.fail(f"{binary} is not on PATH: {how} (./dev test installs it)")


async def test_ruff_reports_undefined_name_at_its_line_despite_noqa(workdir: Path) -> None:
    findings = await _analyze(RuffAnalyzer(), [added_file("pkg/app.py", PY_BAD, "python")], workdir)
    undefined = [f for f in findings if f.rule_id == "F821"]
    assert [(f.path, f.line, f.end_line) for f in undefined] == [("pkg/app.py", 8, 8)]
    assert undefined[0].severity == "high"
    assert undefined[0].category == "bug"
    assert undefined[0].sources == ("tool:ruff",)
    assert "undefined_thing" in undefined[0].message


async def test_ruff_ignores_a_hostile_config_in_the_change(workdir: Path) -> None:
    hostile = added_file(
        "pyproject.toml", '[tool.ruff]\nexclude = ["*"]\n[tool.ruff.lint]\nignore = ["ALL"]\n'
    )
    ruff_toml = added_file("ruff.toml", 'exclude = ["*"]\n[lint]\nselect = []\n')
    app = added_file("app.py", PY_BAD, "python")
    materialize([hostile, ruff_toml], workdir)
    findings = await _analyze(RuffAnalyzer(), [app], workdir)
    assert any(f.rule_id == "F821" for f in findings)


async def test_ruff_reports_syntax_errors_as_bugs(workdir: Path) -> None:
    findings = await _analyze(RuffAnalyzer(), [added_file("broken.py", "x = (\n")], workdir)
    assert findings
    assert findings[0].rule_id == "invalid-syntax"
    assert findings[0].severity == "high"


async def test_bandit_finds_shell_true_and_yaml_load_with_cwe_despite_nosec(workdir: Path) -> None:
    hostile = [
        added_file(".bandit", "[bandit]\nskips = B602,B506\nexclude = *\n"),
        added_file("setup.cfg", "[bandit]\nskips = B602,B506\n"),
        added_file("pyproject.toml", '[tool.bandit]\nskips = ["B602", "B506"]\n'),
    ]
    materialize(hostile, workdir)
    findings = await _analyze(BanditAnalyzer(), [added_file("app.py", PY_BAD, "python")], workdir)
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["B602"].line == 7
    assert by_rule["B602"].cwe == ("CWE-78",)
    assert by_rule["B602"].severity == "high"
    assert by_rule["B506"].line == 12
    assert by_rule["B506"].cwe == ("CWE-20",)
    assert all(f.category == "security" and f.sources == ("tool:bandit",) for f in findings)


SEMGREP_PY = """\
import hashlib
import pickle
import subprocess
import tempfile

import yaml


def handler(cmd, data, cur, uid):
    subprocess.run(cmd, shell=True)  # nosemgrep
    subprocess.run("ls -l", shell=True)
    yaml.load(data)
    yaml.load(data, Loader=yaml.SafeLoader)
    pickle.loads(data)
    cur.execute("select * from t where id = %s" % uid)
    cur.execute("select * from t where id = %s", (uid,))
    tempfile.mktemp()
    return hashlib.md5(data).hexdigest()
"""

SEMGREP_JS = """\
const cp = require("child_process");
function render(el, input) {
  el.innerHTML = input;
  cp.exec("convert " + input);
  eval(input);
}
"""


async def test_semgrep_reports_our_rules_at_their_lines(workdir: Path) -> None:
    _require_semgrep()
    hostile = [
        added_file(".semgrep.yml", "rules: []\n"),
        added_file(".semgrepignore", "*\n"),
    ]
    materialize(hostile, workdir)
    files = [
        added_file("svc/h.py", SEMGREP_PY, "python"),
        added_file("ui.js", SEMGREP_JS, "javascript"),
    ]
    findings = await _analyze(SemgrepAnalyzer(), files, workdir)
    got = {(f.path, f.line, f.rule_id) for f in findings}
    assert got == {
        ("svc/h.py", 10, "python-subprocess-shell-true"),
        ("svc/h.py", 12, "python-yaml-unsafe-load"),
        ("svc/h.py", 14, "python-unsafe-deserialization"),
        ("svc/h.py", 15, "python-sql-string-formatting"),
        ("svc/h.py", 15, "python-sql-built-from-strings"),
        ("svc/h.py", 17, "python-tempfile-mktemp"),
        ("svc/h.py", 18, "python-weak-hash"),
        ("ui.js", 3, "js-inner-html"),
        ("ui.js", 4, "js-child-process-exec"),
        ("ui.js", 5, "js-eval-non-literal"),
    }
    shell = next(f for f in findings if f.rule_id == "python-subprocess-shell-true")
    assert shell.cwe == ("CWE-78",)
    assert shell.severity == "high"
    assert shell.sources == ("tool:semgrep",)


async def test_secrets_found_without_the_value_in_any_output(workdir: Path) -> None:
    text = (
        "[default]\n"
        f"aws_access_key_id = {AWS_KEY}\n"
        f'token = "{GH_TOKEN}"  # pragma: allowlist secret\n'
    )
    files = [added_file("deploy/credentials.ini", text)]
    materialize(files, workdir, content=neutralize_added_suppressions)
    analyzer = SecretsAnalyzer()
    result = await analyzer.analyze(files, workdir, SubprocessRunner(), CONFIG)
    assert result.run.status == "ok", result.run.reason
    lines = {(f.line, f.rule_id) for f in result.findings}
    assert (2, "AWS Access Key") in lines
    assert (3, "GitHub Token") in lines
    for finding in result.findings:
        assert finding.cwe == ("CWE-798",)
        assert finding.severity == "high"
        assert finding.category == "security"
    dumped = result.model_dump_json()
    assert AWS_KEY not in dumped
    assert GH_TOKEN not in dumped


async def test_secrets_honour_an_allowlist_pragma_that_was_already_there(workdir: Path) -> None:
    text = f'key = "{AWS_KEY}"  # pragma: allowlist secret\nother = 1\n'
    files = [modified_file("settings.py", text, added=[2], language="python")]
    materialize(files, workdir, content=neutralize_added_suppressions)
    result = await SecretsAnalyzer().analyze(files, workdir, SubprocessRunner(), CONFIG)
    assert result.run.status == "ok"
    assert result.findings == ()


async def test_shellcheck_reports_despite_an_added_disable_directive(workdir: Path) -> None:
    _require("shellcheck", "apt-get install shellcheck")
    script = "#!/bin/sh\n# shellcheck disable=SC2086,SC2115\nrm -rf $1/*\n"
    materialize([added_file(".shellcheckrc", "disable=all\n")], workdir)
    findings = await _analyze(
        ShellcheckAnalyzer(), [added_file("bin/clean.sh", script, "shell")], workdir
    )
    rules = {(f.path, f.line, f.rule_id) for f in findings}
    assert ("bin/clean.sh", 3, "SC2086") in rules
    assert ("bin/clean.sh", 3, "SC2115") in rules


JS_BAD = """\
/* eslint-disable */
export function run(code) {
  // eslint-disable-next-line no-eval
  return eval(code);
}

export function same(x) {
  return x === x;
}
"""


async def test_eslint_runs_our_config_and_never_the_repositorys(workdir: Path) -> None:
    """The reviewed repo's eslint configs are code: a hostile one must never execute."""
    _require("eslint", "npm install eslint@9")
    marker = workdir.parent / "repo-config-ran"
    write = f"writeFileSync({str(marker)!r}, 'x');"
    hostile_esm = f"import fs from 'node:fs';\nfs.{write}\nexport default [];\n"
    hostile_cjs = f"require('fs').{write}\nmodule.exports = {{}};\n"
    materialize(
        [
            added_file("eslint.config.js", hostile_esm),
            added_file("eslint.config.mjs", hostile_esm),
            added_file(".eslintrc.js", hostile_cjs),
        ],
        workdir,
    )
    findings = await _analyze(
        EslintAnalyzer(), [added_file("src/run.js", JS_BAD, "javascript")], workdir
    )
    rules = {(f.path, f.line, f.rule_id, f.severity) for f in findings}
    assert ("src/run.js", 4, "no-eval", "high") in rules  # despite both disable comments
    assert ("src/run.js", 8, "no-self-compare", "low") in rules
    assert not marker.exists()


TS_BAD = """\
interface Options {
  strict: boolean;
}

export function run(code: string): unknown;
export function run(code: string, options: Options): unknown;
export function run(code: string, options?: Options): unknown {
  return options?.strict ? null : eval(code);
}

export const same = <T,>(x: T): boolean => x === x;
"""


async def test_eslint_reviews_typescript_with_our_parser(workdir: Path) -> None:
    _require("eslint", "npm install eslint@9")
    if EslintAnalyzer().ts_parser() is None:
        pytest.fail("@typescript-eslint/parser is not beside eslint (./dev test installs it)")
    findings = await _analyze(
        EslintAnalyzer(), [added_file("src/run.ts", TS_BAD, "typescript")], workdir
    )
    rules = {(f.path, f.line, f.rule_id) for f in findings}
    assert ("src/run.ts", 8, "no-eval") in rules
    assert ("src/run.ts", 11, "no-self-compare") in rules
    # overloads, an interface and a generic arrow parse, and raise nothing else
    assert {f.rule_id for f in findings} == {"no-eval", "no-self-compare"}


class _EnvRecorder(SubprocessRunner):
    """The real runner, remembering the extra environment of each run."""

    def __init__(self) -> None:
        super().__init__()
        self.envs: list[dict[str, str]] = []

    async def run(self, argv, *, cwd, limits, env=None):  # type: ignore[no-untyped-def]
        self.envs.append(dict(env or {}))
        return await super().run(argv, cwd=cwd, limits=limits, env=env)


async def test_eslint_loads_the_typescript_parser_only_for_typescript(workdir: Path) -> None:
    _require("eslint", "npm install eslint@9")
    if EslintAnalyzer().ts_parser() is None:
        pytest.fail("@typescript-eslint/parser is not beside eslint (./dev test installs it)")
    js, ts = added_file("src/run.js", JS_BAD, "javascript"), added_file("src/t.ts", TS_BAD)
    materialize([js, ts], workdir, content=neutralize_added_suppressions)
    found = {}
    for batch in ([js], [js, ts]):
        runner = _EnvRecorder()
        result = await EslintAnalyzer().analyze(batch, workdir, runner, CONFIG)
        assert result.run.status == "ok", result.run.reason
        eslint_env = runner.envs[-1]
        assert ("REVIEW_BOT_TS_PARSER" in eslint_env) is (len(batch) == 2)
        found[len(batch)] = {f for f in result.findings if f.path == "src/run.js"}
    assert found[1]
    assert found[1] == found[2]  # the JavaScript findings do not depend on it


async def test_secrets_in_process_match_the_detect_secrets_cli(workdir: Path) -> None:
    """The in-process scan gives the CLI's findings, file for file (ours added to both)."""
    semgrep_data = Path(__file__).parents[1] / "data" / "semgrep-rules"
    files = [added_file(p.name, p.read_text(encoding="utf-8")) for p in semgrep_data.iterdir()]
    files += [
        added_file("deploy/creds.ini", f"[default]\naws_access_key_id = {AWS_KEY}\n"),
        added_file("app/settings.py", f'GITHUB_TOKEN = "{GH_TOKEN}"\npassword = "hunter2xyz"\n'),
        added_file(".env", "STRIPE_KEY=sk_live_51Habcdefghijklmnopqrstuv\n"),
        added_file("web/app.js", 'const key = "AKIAQ7R2XK5N4HJD3WTY";\n'),
    ]
    materialize(files, workdir, content=neutralize_added_suppressions)
    found = {}
    for in_process in (True, False):
        result = await SecretsAnalyzer(in_process=in_process).analyze(
            files, workdir, SubprocessRunner(), CONFIG
        )
        assert result.run.status == "ok", result.run.reason
        assert ("in process" in result.run.argv[0]) is in_process
        found[in_process] = sorted(f.model_dump_json() for f in result.findings)
    assert len(found[True]) >= 5
    assert found[True] == found[False]


def test_eslint_version_is_read_as_eslint_prints_it() -> None:
    _require("eslint", "npm install eslint@9")
    analyzer = EslintAnalyzer()
    printed = subprocess.run(
        [*(analyzer.executable() or []), "--version"], capture_output=True, text=True, check=True
    ).stdout
    runner = ScriptedRunner("")  # a version asked of a process would be "" here
    assert asyncio.run(analyzer.version(runner)) == printed.strip().lstrip("v")
    assert runner.calls == []
