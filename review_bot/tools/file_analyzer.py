"""The :class:`FileAnalyzer` agents and the fix checks use, on top of the tools phase.

Each call runs ONE analyzer on ONE file (possibly patched in memory) through the same
sandboxed tools phase as the review itself (temp copy, pinned config, scrubbed env, limits),
so agents get no capability the tools phase does not have.
"""

from __future__ import annotations

from collections.abc import Sequence

from review_bot.change import ChangeSet, FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolError, ToolMissing
from review_bot.findings import Finding
from review_bot.tools.base import Analyzer
from review_bot.tools.registry import AnalyzerCall, default_analyzers, run_tools
from review_bot.tools.sandbox import ProcessRunner

__all__ = ["ToolsFileAnalyzer"]


class ToolsFileAnalyzer:
    """Runs a named analyzer of the tools package on one file.

    Args:
        config: the review's tools config (which tools, limits).
        runner: the process runner (None: the sandboxed subprocess runner).
        call: the analyzer-call wrapper (caching, replay), as in the tools phase.
        analyzers: replaces the configured analyzers (tests).
    """

    def __init__(
        self,
        config: ToolsConfig,
        *,
        runner: ProcessRunner | None = None,
        call: AnalyzerCall | None = None,
        analyzers: Sequence[Analyzer] | None = None,
    ) -> None:
        self._config = config
        self._runner = runner
        self._call = call
        self._analyzers = {
            a.name: a for a in (analyzers if analyzers is not None else default_analyzers(config))
        }

    def available(self, file: FileChange) -> Sequence[str]:
        """Names of the configured analyzers that apply to ``file``."""
        return [name for name, a in self._analyzers.items() if a.applies_to(file)]

    async def analyze(self, name: str, file: FileChange) -> Sequence[Finding]:
        """Every finding of ``name`` on ``file`` (not filtered to changed lines)."""
        analyzer = self._analyzers.get(name)
        if analyzer is None or not analyzer.applies_to(file):
            raise ToolMissing(f"analyzer {name!r} is not available for {file.path!r}")
        result = await run_tools(
            ChangeSet(files=(file,)),
            self._config,
            runner=self._runner,
            call=self._call,
            analyzers=[analyzer],
        )
        for skip in result.skipped:
            if skip.kind == "tool":
                raise ToolMissing(skip.reason)
        for failure in result.failures:
            raise ToolError(failure.reason)
        return result.findings
