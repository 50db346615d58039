"""Optional export of an eval run to Langfuse as a dataset run with per-case scores.

Off unless :class:`~review_bot.config.evals.LangfuseConfig` has both keys; when off nothing is
imported and nothing is printed. :func:`langfuse_records` (pure) decides what is sent, so it
is tested without a network; :func:`export_run` only ships those records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from review_bot.config.evals import LangfuseConfig
from review_bot.evals.results import CaseResult

__all__ = ["LangfuseRecord", "export_run", "langfuse_records"]

DATASET_PREFIX = "review-bot-eval"


class LangfuseRecord(BaseModel):
    """One dataset item, the run's output for it, and its scores."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str
    input: dict[str, Any]
    expected_output: dict[str, Any]
    output: dict[str, Any]
    scores: dict[str, float]
    metadata: dict[str, Any]


def langfuse_records(results: Sequence[CaseResult]) -> list[LangfuseRecord]:
    """Map per-case results to Langfuse items; recall is left out for cases without units."""
    records = []
    for r in results:
        units = len(r.score.units)
        found = sum(1 for u in r.score.units if u.found)
        labeled_fp = r.score.count("negative") + r.score.count("clean")
        scores: dict[str, float] = {
            "labeled_fp": float(labeled_fp),
            "unlabeled": float(r.score.count("unlabeled")),
            "tp": float(r.score.count("tp")),
        }
        if units:
            scores["recall"] = found / units
        if r.is_clean:
            scores["clean_flagged"] = 1.0 if r.score.clean_flagged else 0.0
        records.append(
            LangfuseRecord(
                item_id=r.case_id,
                input={"case_id": r.case_id, "language": r.language, "source": r.source},
                expected_output={"units": units, "is_clean": r.is_clean},
                output={
                    "findings": [f.model_dump(mode="json") for f in r.findings],
                    "error": r.error,
                },
                scores=scores,
                metadata={
                    "source": r.source,
                    "language": r.language,
                    "mode": r.mode,
                    "usage": r.usage.model_dump(mode="json"),
                },
            )
        )
    return records


def export_run(
    config: LangfuseConfig, results: Sequence[CaseResult], run_name: str
) -> int:  # pragma: no cover - needs a Langfuse server
    """Send the run to Langfuse; returns the number of items exported (0 when disabled)."""
    if not config.enabled:
        return 0
    from langfuse import Langfuse

    client = Langfuse(public_key=config.public_key, secret_key=config.secret_key, host=config.host)
    dataset = DATASET_PREFIX
    client.create_dataset(name=dataset, description="review-bot eval cases")
    records = langfuse_records(results)
    for record in records:
        client.create_dataset_item(
            dataset_name=dataset,
            id=record.item_id,
            input=record.input,
            expected_output=record.expected_output,
            metadata=record.metadata,
        )
        with client.start_as_current_observation(
            name="eval-case", input=record.input, output=record.output
        ) as span:
            trace_id = span.trace_id
        client.api.dataset_run_items.create(
            run_name=run_name, dataset_item_id=record.item_id, trace_id=trace_id
        )
        for name, value in record.scores.items():
            client.create_score(trace_id=trace_id, name=name, value=value)
    client.flush()
    return len(records)
