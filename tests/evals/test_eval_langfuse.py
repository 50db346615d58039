"""Langfuse export: off without keys (nothing imported, nothing sent), and the mapping."""

from __future__ import annotations

from eval_helpers import case, model, pred

from review_bot.config.evals import EvalConfig, LangfuseConfig
from review_bot.evals.langfuse_export import export_run, langfuse_records
from review_bot.evals.results import CaseResult
from review_bot.evals.scoring import score_case


def test_off_without_both_keys() -> None:
    assert not LangfuseConfig.from_env({}).enabled
    assert not LangfuseConfig.from_env({"LANGFUSE_PUBLIC_KEY": "pk"}).enabled
    on = LangfuseConfig.from_env(
        {"LANGFUSE_PUBLIC_KEY": "pk", "LANGFUSE_SECRET_KEY": "sk", "LANGFUSE_HOST": "http://h"}
    )
    assert on.enabled
    assert on.host == "http://h"
    assert "sk" not in repr(on)
    assert export_run(LangfuseConfig(), [], "run") == 0


def test_records_carry_scores_per_case() -> None:
    c = model(
        case("a", expected=[{"line_start": 5, "line_end": 5}, {"line_start": 30, "line_end": 30}])
    )
    clean = model(case("b", is_clean=True))
    results = [
        CaseResult(
            case_id=x.id,
            case_hash="h",
            run_hash="r",
            source=x.source_name,
            language=x.language,
            is_clean=x.is_clean,
            findings=tuple(f),
            score=score_case(x, f, 2),
        )
        for x, f in ((c, [pred(5), pred(50, category="style")]), (clean, [pred(1)]))
    ]
    first, second = langfuse_records(results)
    assert first.item_id == "a"
    assert first.scores == {"recall": 0.5, "tp": 1.0, "labeled_fp": 0.0, "unlabeled": 1.0}
    assert second.scores["clean_flagged"] == 1.0
    assert "recall" not in second.scores
    assert len(first.output["findings"]) == 2


def test_eval_config_round_trips() -> None:
    config = EvalConfig(tolerance=3, concurrency=4)
    assert EvalConfig.model_validate(config.model_dump()) == config
