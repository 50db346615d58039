"""Run a reviewer over eval cases: bounded concurrency, durable per-case results, resume.

The reviewer is injected (``async (case, change, config, events) -> Review``): the CLI passes
the real pipeline (``Runtime.review``), tests pass a fake. A case is reviewed exactly as a
user's change would be; only ``change`` reaches it. ``events`` is the sink the review's
progress events go to: the runner times each analyzer from them (:mod:`.tooltime`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from review_bot.change import ChangeSet
from review_bot.config.models import ReviewConfig
from review_bot.errors import ReviewError
from review_bot.evals.dataset import EvalCase
from review_bot.evals.results import CaseResult, CaseUsage
from review_bot.evals.scoring import predicted, score_case
from review_bot.evals.store import RunStore
from review_bot.evals.tooltime import ToolTimer
from review_bot.events import EventSink
from review_bot.findings import Review

__all__ = ["Reviewer", "run_cases"]

Reviewer = Callable[[EvalCase, ChangeSet, ReviewConfig, EventSink], Awaitable[Review]]
"""Reviews one case's change, sending its events to the sink; gets the case only to name
per-case artefacts (transcripts)."""


def _usage(review: Review, wall_s: float, timer: ToolTimer) -> CaseUsage:
    s = review.stats
    return CaseUsage(
        llm_calls=s.llm_calls,
        prompt_tokens=s.prompt_tokens,
        completion_tokens=s.completion_tokens,
        cost_usd=s.cost_usd,
        tool_runs=s.tool_runs,
        cache_hits=s.cache_hits,
        review_s=s.duration_s,
        wall_s=round(wall_s, 4),
        tools=timer.usage(),
    )


async def _one(
    case: EvalCase,
    reviewer: Reviewer,
    config: ReviewConfig,
    *,
    run_hash: str,
    tolerance: int,
    clock: Callable[[], float],
) -> CaseResult:
    started = clock()
    base = {
        "case_id": case.id,
        "case_hash": case.content_hash(),
        "run_hash": run_hash,
        "source": case.source_name,
        "language": case.language,
        "is_clean": case.is_clean,
    }
    timer = ToolTimer()
    try:
        review = await reviewer(case, case.to_change(), config, timer)
    except ReviewError as exc:
        # recorded, scored as finding nothing, and retried on the next run of the same DIR
        return CaseResult(
            **base,
            error=f"{type(exc).__name__}: {exc}",
            score=score_case(case, (), tolerance),
            usage=CaseUsage(wall_s=round(clock() - started, 4), tools=timer.usage()),
        )
    findings = predicted(review.findings)
    return CaseResult(
        **base,
        mode=review.mode,
        partial=review.partial,
        failures=tuple(f"{f.component}: {f.reason}" for f in review.failures),
        findings=findings,
        score=score_case(case, findings, tolerance),
        usage=_usage(review, clock() - started, timer),
    )


async def run_cases(
    cases: Sequence[EvalCase],
    reviewer: Reviewer,
    config: ReviewConfig,
    store: RunStore,
    *,
    tolerance: int,
    concurrency: int,
    on_result: Callable[[CaseResult, bool], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[CaseResult]:
    """Review and score every case not already in ``store``; results in ``cases`` order.

    ``on_result(result, resumed)`` is called once per case (``resumed`` for cases taken from
    the store), e.g. to advance a progress bar. Each new result is stored durably before
    ``on_result`` sees it, so interrupting the run (Ctrl-C) loses only cases in flight.
    """
    done = store.completed()
    results: dict[str, CaseResult] = {}
    todo: list[EvalCase] = []
    for case in cases:
        prior = done.get(case.id)
        if prior is not None and prior.case_hash == case.content_hash():
            results[case.id] = prior
            if on_result is not None:
                on_result(prior, True)
        else:
            todo.append(case)

    gate = asyncio.Semaphore(concurrency)

    async def worker(case: EvalCase) -> None:
        async with gate:
            result = await _one(
                case, reviewer, config, run_hash=store.run_hash, tolerance=tolerance, clock=clock
            )
        store.append(result)
        results[case.id] = result
        if on_result is not None:
            on_result(result, False)

    try:
        async with asyncio.TaskGroup() as group:
            for case in todo:
                group.create_task(worker(case))
    except BaseExceptionGroup as group:
        # a bug in one review stops the run (the other cases are cancelled); show that error
        # itself rather than a group of one, so the CLI's error boundary names it
        raise group.exceptions[0] from None
    finally:
        store.close()
    return [results[c.id] for c in cases]
