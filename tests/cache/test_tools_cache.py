"""Tool-output caching through run_tools: a second run of the same change runs no tool."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from review_bot.cache import MemoryStore, SqliteStore, TieredCache
from review_bot.cache.store import CacheStats
from review_bot.cache.tools import CACHED_REASON, caching_analyzer_call
from review_bot.change import FileChange, from_files
from review_bot.config.models import ToolsConfig
from review_bot.findings import Finding, Skip
from review_bot.tools import run_tools
from review_bot.tools.base import AnalyzerResult, ToolRun
from review_bot.tools.sandbox import ProcessResult, ProcessRunner


class NoProcesses:
    """A runner that must not be used (the fake analyzer runs in-process)."""

    async def run(self, *args: object, **kwargs: object) -> ProcessResult:
        raise AssertionError("the fake analyzer never starts a process")


class FakeAnalyzer:
    """Reports one finding on line 1 of every Python file it is given."""

    name = "fakelint"

    def __init__(self, version: str = "1.0") -> None:
        self._version = version
        self.batches: list[list[str]] = []

    def applies_to(self, file: FileChange) -> bool:
        return file.path.endswith(".py")

    async def version(self, runner: ProcessRunner) -> str | None:
        return self._version

    def config_hash(self) -> str:
        return "config-1"

    async def analyze(
        self, files: Sequence[FileChange], workdir: Path, runner: ProcessRunner, config: ToolsConfig
    ) -> AnalyzerResult:
        self.batches.append([f.path for f in files])
        findings = tuple(
            Finding(
                path=f.path,
                line=1,
                end_line=1,
                severity="low",
                category="style",
                rule_id="F1",
                message=f"first line of {f.path}",
                sources=("tool:fakelint",),
            )
            for f in files
        )
        run = ToolRun(
            tool=self.name, version=self._version, status="ok", files=tuple(f.path for f in files)
        )
        return AnalyzerResult(run=run, findings=findings)


BEFORE = {"a.py": "x = 1\n", "b.py": "y = 2\n"}
AFTER = {"a.py": "x = 10\n", "b.py": "y = 20\n"}


async def review_tools(
    cache: TieredCache, analyzer: FakeAnalyzer, after: dict[str, str], stats: CacheStats
):  # type: ignore[no-untyped-def]
    config = ToolsConfig()
    call = caching_analyzer_call(cache, NoProcesses(), config, ttl_s=60, stats=stats)
    return await run_tools(from_files(BEFORE, after), config, call=call, analyzers=[analyzer])


async def test_second_run_is_served_from_cache_with_identical_findings(tmp_path: Path) -> None:
    analyzer = FakeAnalyzer()
    cold_stats, warm_stats = CacheStats(), CacheStats()
    cache = TieredCache(MemoryStore(1 << 20), SqliteStore(tmp_path, 1 << 20))
    cold = await review_tools(cache, analyzer, AFTER, cold_stats)
    # a new process: fresh L1, same local store
    fresh = TieredCache(MemoryStore(1 << 20), SqliteStore(tmp_path, 1 << 20))
    warm = await review_tools(fresh, analyzer, AFTER, warm_stats)
    assert analyzer.batches == [["a.py", "b.py"]]
    assert warm.findings == cold.findings
    assert warm.runs[0].reason == CACHED_REASON
    assert (cold_stats.misses, warm_stats.hits) == (2, 2)
    assert (cold_stats.stores, warm_stats.stores) == (2, 0)  # the review's own count
    await cache.close()
    await fresh.close()


async def test_only_changed_files_are_analyzed_again() -> None:
    analyzer = FakeAnalyzer()
    cache = TieredCache(MemoryStore(1 << 20), None)
    await review_tools(cache, analyzer, AFTER, CacheStats())
    result = await review_tools(cache, analyzer, {**AFTER, "b.py": "y = 21\n"}, CacheStats())
    assert analyzer.batches == [["a.py", "b.py"], ["b.py"]]
    assert sorted(f.path for f in result.findings) == ["a.py", "b.py"]


async def test_a_new_tool_version_misses() -> None:
    cache = TieredCache(MemoryStore(1 << 20), None)
    await review_tools(cache, FakeAnalyzer("1.0"), AFTER, CacheStats())
    upgraded = FakeAnalyzer("2.0")
    await review_tools(cache, upgraded, AFTER, CacheStats())
    assert upgraded.batches == [["a.py", "b.py"]]


class HalfCheckingAnalyzer(FakeAnalyzer):
    """Checks a.py; says it could not check b.py (as a Go analyzer does for a package whose
    imports are not in the change)."""

    async def analyze(
        self, files: Sequence[FileChange], workdir: Path, runner: ProcessRunner, config: ToolsConfig
    ) -> AnalyzerResult:
        result = await super().analyze(files, workdir, runner, config)
        skips = tuple(
            Skip(kind="file", name=f.path, reason="fakelint: not checked")
            for f in files
            if f.path == "b.py"
        )
        findings = tuple(f for f in result.findings if f.path != "b.py")
        return result.model_copy(update={"findings": findings, "file_skips": skips})


async def test_a_file_the_tool_could_not_check_is_never_served_from_cache() -> None:
    analyzer = HalfCheckingAnalyzer()
    cache = TieredCache(MemoryStore(1 << 20), None)
    first = await review_tools(cache, analyzer, AFTER, CacheStats())
    second = await review_tools(cache, analyzer, AFTER, CacheStats())
    assert analyzer.batches == [["a.py", "b.py"], ["b.py"]]  # a.py cached, b.py asked again
    for phase in (first, second):
        assert [(s.kind, s.name) for s in phase.skipped] == [("file", "b.py")]
        assert [f.path for f in phase.findings] == ["a.py"]


class PackageAnalyzer(FakeAnalyzer):
    """Like go vet: its answer for a file depends on the file's package siblings."""

    name = "fakevet"
    package_context = ("*.py",)


async def test_an_entry_of_a_package_analyzer_is_keyed_on_the_siblings_too(
    tmp_path: Path,
) -> None:
    analyzer = PackageAnalyzer()
    config = ToolsConfig()
    cache = TieredCache(MemoryStore(1 << 20), None)
    call = caching_analyzer_call(cache, NoProcesses(), config, ttl_s=60)
    change = from_files({}, {"pkg/a.py": "x = 1\n"})
    workdir = tmp_path / "work"
    (workdir / "pkg").mkdir(parents=True)
    (workdir / "pkg" / "a.py").write_text("x = 1\n")
    sibling = workdir / "pkg" / "b.py"  # context: not in the change, read by the analyzer

    async def run(sibling_text: str) -> AnalyzerResult:
        sibling.write_text(sibling_text)
        return await call(analyzer, change.files, workdir)

    first = await run("y = 1\n")
    again = await run("y = 1\n")
    changed = await run("y = 2\n")
    assert (first.run.cached, again.run.cached, changed.run.cached) == (False, True, False)
    assert analyzer.batches == [["pkg/a.py"], ["pkg/a.py"]]
    plain = FakeAnalyzer()  # an analyzer that reads one file at a time ignores the siblings
    await call(plain, change.files, workdir)
    sibling.write_text("y = 3\n")
    assert (await call(plain, change.files, workdir)).run.cached
