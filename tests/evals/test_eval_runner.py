"""Running cases: durable results, resume after an interruption, settings pinned per DIR."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from eval_helpers import FILE, ScriptedReviewer, case, finding

from review_bot.config.models import ReviewConfig
from review_bot.errors import InputError, ToolError
from review_bot.evals.dataset import EvalCase, load_cases
from review_bot.evals.results import CaseResult, RunInfo
from review_bot.evals.runner import run_cases
from review_bot.evals.store import RunStore, read_results
from review_bot.evals.summary import summarise
from review_bot.findings import Finding

CONFIG = ReviewConfig(tools_only=True)


def _info(tolerance: int = 2, config: ReviewConfig = CONFIG) -> RunInfo:
    return RunInfo(
        review_config=config.model_dump(mode="json"), tools_only=True, tolerance=tolerance
    )


def _cases(tmp_path: Path, n: int = 6) -> tuple[EvalCase, ...]:
    records = [
        case(f"c{i}", expected=[{"line_start": 5 + i, "line_end": 5 + i}], source=f"s{i % 2}")
        for i in range(n)
    ]
    records.append(case("clean", is_clean=True))
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return load_cases([path])


def _script(c: EvalCase) -> list[Finding]:
    # finds the even cases' bugs, flags the clean case, adds one unlabeled style finding
    found = [finding(c.expected_findings[0].line_start)] if c.id[-1] in "024" else []
    flagged = [finding(3)] if c.is_clean else []
    return [*found, *flagged, finding(50, category="style", severity="low")]


async def _run(
    cases: tuple[EvalCase, ...], out: Path, reviewer: ScriptedReviewer, **kw: object
) -> list[CaseResult]:
    store = RunStore(out, _info())
    return await run_cases(cases, reviewer, CONFIG, store, tolerance=2, concurrency=3, **kw)  # type: ignore[arg-type]


async def test_results_are_written_per_case_and_in_dataset_order(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    reviewer = ScriptedReviewer(_script)
    results = await _run(cases, tmp_path / "run", reviewer)
    assert [r.case_id for r in results] == [c.id for c in cases]
    stored = read_results(tmp_path / "run" / "cases.jsonl")
    assert sorted(r.case_id for r in stored) == sorted(c.id for c in cases)
    by_id = {r.case_id: r for r in results}
    assert by_id["c0"].score.units[0].found
    assert not by_id["c1"].score.units[0].found
    assert by_id["clean"].score.clean_flagged
    assert by_id["c0"].usage.prompt_tokens == 200


async def test_second_run_reviews_nothing_and_gives_the_same_results(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    first = await _run(cases, tmp_path / "run", ScriptedReviewer(_script))
    again = ScriptedReviewer(_script)
    resumed: list[bool] = []
    second = await _run(cases, tmp_path / "run", again, on_result=lambda r, s: resumed.append(s))
    assert again.calls == []
    assert resumed == [True] * len(cases)
    assert second == first


async def test_interrupted_run_resumes_to_the_uninterrupted_metrics(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    baseline = await _run(cases, tmp_path / "full", ScriptedReviewer(_script))

    interrupted = ScriptedReviewer(_script, interrupt_after=3)
    with pytest.raises(KeyboardInterrupt):
        # a fresh loop, as the CLI has: Ctrl-C ends the whole asyncio.run
        await asyncio.to_thread(asyncio.run, _run(cases, tmp_path / "part", interrupted))
    saved = read_results(tmp_path / "part" / "cases.jsonl")
    assert 0 < len(saved) <= 3

    rest = ScriptedReviewer(_script)
    resumed = await _run(cases, tmp_path / "part", rest)
    assert sorted(rest.calls) == sorted({c.id for c in cases} - {r.case_id for r in saved})
    assert summarise(resumed, {}).model_dump(exclude={"usage", "usage_by_source"}) == summarise(
        baseline, {}
    ).model_dump(exclude={"usage", "usage_by_source"})


async def test_torn_last_line_is_rerun(tmp_path: Path) -> None:
    cases = _cases(tmp_path, n=2)
    await _run(cases, tmp_path / "run", ScriptedReviewer(_script))
    path = tmp_path / "run" / "cases.jsonl"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # crash in the middle of the last line
    again = ScriptedReviewer(_script)
    results = await _run(cases, tmp_path / "run", again)
    assert len(again.calls) == 1
    assert len(results) == 3
    assert len(read_results(path)) == 3


async def test_review_error_is_recorded_and_retried_next_time(tmp_path: Path) -> None:
    cases = _cases(tmp_path, n=2)

    def failing(c: EvalCase) -> list[Finding]:
        if c.id == "c1":
            raise ToolError("semgrep crashed")
        return _script(c)

    results = await _run(cases, tmp_path / "run", ScriptedReviewer(failing))
    errored = next(r for r in results if r.case_id == "c1")
    assert errored.error == "ToolError: semgrep crashed"
    assert not errored.score.units[0].found
    again = ScriptedReviewer(_script)
    await _run(cases, tmp_path / "run", again)
    assert again.calls == ["c1"]


def test_other_settings_in_the_same_dir_are_refused(tmp_path: Path) -> None:
    RunStore(tmp_path, _info(tolerance=2))
    with pytest.raises(InputError, match=r"holds a run with other settings.*--restart"):
        RunStore(tmp_path, _info(tolerance=3))
    weaker = CONFIG.model_copy(
        update={"tools": CONFIG.tools.model_copy(update={"disabled": ("bandit",)})}
    )
    with pytest.raises(InputError, match="other settings"):
        RunStore(tmp_path, _info(config=weaker))


async def test_restart_discards_previous_results(tmp_path: Path) -> None:
    cases = _cases(tmp_path, n=2)
    await _run(cases, tmp_path / "run", ScriptedReviewer(_script))
    store = RunStore(tmp_path / "run", _info(tolerance=3), restart=True)
    assert store.completed() == {}


async def test_changed_case_is_reviewed_again(tmp_path: Path) -> None:
    cases = _cases(tmp_path, n=2)
    await _run(cases, tmp_path / "run", ScriptedReviewer(_script))
    edited = cases[0].model_copy(
        update={"change": cases[0].change.model_copy(update={"files_after": {FILE: "x = 1\n"}})}
    )
    again = ScriptedReviewer(_script)
    await _run((edited, *cases[1:]), tmp_path / "run", again)
    assert again.calls == ["c0"]
