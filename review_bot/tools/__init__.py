"""Static-analysis tools: sandboxed runner, analyzers (ruff, bandit, semgrep, shellcheck,
eslint with its security plugins, detect-secrets, go vet, staticcheck, actionlint, zizmor,
hadolint) and the tools phase that runs them once per review."""

from review_bot.tools.bandit import BanditAnalyzer
from review_bot.tools.base import Analyzer, AnalyzerResult, CommandAnalyzer, ToolRun, ToolStatus
from review_bot.tools.eslint import EslintAnalyzer
from review_bot.tools.golang import GoVetAnalyzer, StaticcheckAnalyzer
from review_bot.tools.hadolint import HadolintAnalyzer
from review_bot.tools.registry import (
    ANALYZER_NAMES,
    AnalyzerCall,
    ToolEvent,
    ToolPhaseResult,
    default_analyzers,
    run_tools,
)
from review_bot.tools.ruff import RuffAnalyzer
from review_bot.tools.sandbox import (
    Limits,
    ProcessResult,
    ProcessRunner,
    SubprocessRunner,
    materialize,
    scrubbed_env,
)
from review_bot.tools.secrets import SecretsAnalyzer
from review_bot.tools.semgrep import SemgrepAnalyzer
from review_bot.tools.shellcheck import ShellcheckAnalyzer
from review_bot.tools.suppressions import neutralize_added_suppressions
from review_bot.tools.workflows import ActionlintAnalyzer, ZizmorAnalyzer

__all__ = [
    "ANALYZER_NAMES",
    "ActionlintAnalyzer",
    "Analyzer",
    "AnalyzerCall",
    "AnalyzerResult",
    "BanditAnalyzer",
    "CommandAnalyzer",
    "EslintAnalyzer",
    "GoVetAnalyzer",
    "HadolintAnalyzer",
    "Limits",
    "ProcessResult",
    "ProcessRunner",
    "RuffAnalyzer",
    "SecretsAnalyzer",
    "SemgrepAnalyzer",
    "ShellcheckAnalyzer",
    "StaticcheckAnalyzer",
    "SubprocessRunner",
    "ToolEvent",
    "ToolPhaseResult",
    "ToolRun",
    "ToolStatus",
    "ZizmorAnalyzer",
    "default_analyzers",
    "materialize",
    "neutralize_added_suppressions",
    "run_tools",
    "scrubbed_env",
]
