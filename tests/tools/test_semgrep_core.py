"""semgrep-core run directly gives the findings the ``semgrep`` wrapper gives.

Each case runs both engines over the same files and compares every field of every finding
(rule id, lines, message, severity, category, CWE, suggestion from the rule's ``fix``).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from tools_helpers import added_file

from review_bot.change import FileChange
from review_bot.compose import example_change
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.tools import _semgrep_core as core
from review_bot.tools.base import AnalyzerResult
from review_bot.tools.sandbox import SubprocessRunner, materialize
from review_bot.tools.semgrep import SemgrepAnalyzer, SemgrepEngine

DATA = Path(__file__).parents[1] / "data" / "semgrep-rules"


def _require_core() -> None:
    if SemgrepAnalyzer().executable() is None or core.core_binary() is None:
        pytest.fail(
            "semgrep with a tested semgrep-core is not installed: pip install -e '.[semgrep]'"
        )


async def _run(
    engine: SemgrepEngine, files: list[FileChange], workdir: Path, rules: Path | None = None
) -> AnalyzerResult:
    analyzer = SemgrepAnalyzer(rules=rules, engine=engine)
    return await analyzer.analyze(files, workdir, SubprocessRunner(), ToolsConfig())


async def _both(
    files: list[FileChange], workdir: Path, rules: Path | None = None
) -> tuple[list[str], list[str]]:
    """The findings of the wrapper and of semgrep-core, as sorted JSON lines."""
    _require_core()
    materialize(files, workdir)
    out = []
    for engine, binary in (("wrapper", "semgrep"), ("core", "semgrep-core")):
        result = await _run(engine, files, workdir, rules)
        assert result.run.status == "ok", result.run.reason
        assert Path(result.run.argv[0]).name == binary
        out.append(sorted(json.dumps(f.model_dump(mode="json")) for f in result.findings))
    return out[0], out[1]


def _data_files() -> list[FileChange]:
    return [
        added_file(p.name, p.read_text(encoding="utf-8"))
        for p in sorted(DATA.iterdir())
        if p.is_file()
    ]


async def test_rule_test_files_give_the_same_findings(workdir: Path) -> None:
    wrapper, direct = await _both(_data_files(), workdir)
    assert len(wrapper) > 100  # every language's positives
    assert direct == wrapper


async def test_bundled_example_gives_the_same_findings(workdir: Path) -> None:
    analyzer = SemgrepAnalyzer()
    files = [f for f in example_change().files if f.new_content and analyzer.applies_to(f)]
    wrapper, direct = await _both(files, workdir)
    assert wrapper
    assert direct == wrapper


RULES = """\
rules:
  - id: demo-shell
    languages: [python]
    severity: WARNING
    message: call $F with shell=$S in $FUNC
    patterns:
      - pattern-inside: |
          def $FUNC(...):
            ...
      - pattern: subprocess.$F($C, shell=$S)
    fix: subprocess.$F($C, shell=False)
    metadata: {cwe: ["CWE-78: OS command injection"], category: bug, review-bot-severity: low}
  - id: demo-paths
    languages: [python]
    severity: INFO
    message: eval here
    pattern: eval(...)
    paths:
      include: ["*.py"]
      exclude: ["tests/"]
  - id: demo-js
    languages: [javascript, typescript]
    severity: ERROR
    message: eval of $X
    pattern: eval($X)
    metadata: &meta {cwe: ["CWE-95"]}
  - id: demo-js-fn
    languages: [js]
    severity: ERROR
    message: Function of $X
    pattern: new Function($X)
    metadata: *meta
"""

PY = """\
import subprocess
def f(cmd):
    subprocess.run(cmd, shell=True)
    subprocess.run(cmd, shell=True)  # nosemgrep
    subprocess.call(cmd, shell=1)  # nosemgrep: demo-shell
    subprocess.run(cmd, shell=True)  # nosemgrep: other-rule
    eval(cmd)
"""

JS = "eval(x);\neval(y) // nosemgrep\nnew Function(body);\n"


async def test_messages_fixes_paths_and_nosemgrep_match_the_wrapper(
    workdir: Path, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES, encoding="utf-8")
    names = ["a.py", "tests/b.py", "node_modules/c.py", "e.pyi"]
    names += ["a.js", "a.min.js", "a.jsx", "a.mjs", "a.cjs", "a.ts", "a.tsx", "a.d.ts"]
    files = [added_file(n, PY if ".py" in n else JS) for n in names]
    wrapper, direct = await _both(files, workdir, rules)
    assert direct == wrapper
    found = [json.loads(line) for line in direct]
    evals = {f["path"] for f in found if f["rule_id"] == "demo-paths"}
    assert evals == {"a.py", "node_modules/c.py"}  # include *.py, exclude tests/
    shell = [f for f in found if f["rule_id"] == "demo-shell" and f["path"] == "a.py"]
    assert [f["line"] for f in shell] == [3, 6]
    assert shell[0]["message"] == "call run with shell=True in f"
    assert shell[0]["cwe"] == ["CWE-78"]
    assert shell[0]["severity"] == "low"
    assert "subprocess.run(cmd, shell=False)" in shell[0]["suggestion"]
    assert any(f["message"] == "Function of body" for f in found)


async def test_rules_the_direct_path_does_not_map_run_the_wrapper(
    workdir: Path, tmp_path: Path
) -> None:
    _require_core()
    rules = tmp_path / "generic.yml"
    rules.write_text(
        "rules:\n  - id: todo\n    languages: [generic]\n    severity: INFO\n"
        "    message: a todo\n    pattern: TODO\n",
        encoding="utf-8",
    )
    assert core.load_core_rules(rules) is None
    files = [added_file("a.py", "x = 1  # TODO\n")]
    materialize(files, workdir)
    result = await _run("auto", files, workdir, rules)
    assert Path(result.run.argv[0]).name == "semgrep"
    with pytest.raises(ToolOutputError, match="engine='core'"):
        await _run("core", files, workdir, rules)


async def test_rejected_rules_fail_the_run_naming_the_rule(workdir: Path, tmp_path: Path) -> None:
    _require_core()
    rules = tmp_path / "bad.yml"
    rules.write_text(
        "rules:\n  - id: broken\n    languages: [python]\n    severity: INFO\n"
        "    message: m\n    pattern: 'foo(('\n",
        encoding="utf-8",
    )
    files = [added_file("a.py", "foo(1)\n")]
    materialize(files, workdir)
    result = await _run("core", files, workdir, rules)
    assert result.run.status == "failed"
    assert "broken" in result.run.reason


def test_only_tested_semgrep_versions_use_the_engine_directly() -> None:
    low, high = core.TESTED_VERSIONS
    assert core.tested_version(f"{low[0]}.{low[1]}.0")
    assert not core.tested_version(f"{high[0]}.{high[1]}.0")
    assert not core.tested_version("1.99.3")
    assert not core.tested_version("nightly")


def test_rule_ids_get_the_wrappers_prefix(tmp_path: Path) -> None:
    rules = tmp_path / "r.yml"
    rules.write_text(RULES, encoding="utf-8")
    loaded = core.load_core_rules(rules)
    assert loaded is not None
    prefix = ".".join(rules.resolve().parts[1:-1])
    assert set(loaded.by_id) == {
        f"{prefix}.{name}" for name in ("demo-shell", "demo-paths", "demo-js", "demo-js-fn")
    }
    # anchors resolved: semgrep-core reads no YAML aliases
    assert loaded.by_id[f"{prefix}.demo-js-fn"]["metadata"] == {"cwe": ["CWE-95"]}


def test_the_semgrep_extra_pins_the_tested_versions() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))
    (low, high) = core.TESTED_VERSIONS
    wanted = f"semgrep>={low[0]}.{low[1]},<{high[0]}.{high[1]}"
    assert pyproject["project"]["optional-dependencies"]["semgrep"] == [wanted]
