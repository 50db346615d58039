"""The eval harness: labeled datasets → the real review pipeline → scores, reports, comparisons.

Layout: ``dataset`` (load/validate/filter), ``topics`` + ``scoring`` (one case, pure),
``summary`` (aggregation, pure), ``store`` + ``runner`` (durable, resumable runs),
``report_md`` / ``reports`` / ``charts`` (files in ``--out``), ``compare`` (two runs),
``langfuse_export`` (optional).
"""

from review_bot.evals.compare import Comparison, compare_runs
from review_bot.evals.dataset import CaseFilter, EvalCase, filter_cases, load_cases
from review_bot.evals.reports import write_reports
from review_bot.evals.results import CaseResult, RunInfo, run_hash
from review_bot.evals.runner import Reviewer, run_cases
from review_bot.evals.scoring import CaseScore, score_case
from review_bot.evals.store import RunStore, read_results
from review_bot.evals.summary import Metrics, Summary, summarise

__all__ = [
    "CaseFilter",
    "CaseResult",
    "CaseScore",
    "Comparison",
    "EvalCase",
    "Metrics",
    "Reviewer",
    "RunInfo",
    "RunStore",
    "Summary",
    "compare_runs",
    "filter_cases",
    "load_cases",
    "read_results",
    "run_cases",
    "run_hash",
    "score_case",
    "summarise",
    "write_reports",
]
