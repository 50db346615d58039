"""Re-run a recorded review offline and prove it reproduces.

:func:`replay` refuses a transcript that does not verify, rebuilds the (redacted) change and
the configuration from ``review.started``, and runs :func:`review_bot.pipeline.review` with:

* an ``analyzer_call`` serving each analyzer's recorded result by its request (tool, our
  config hash, files and their redacted content hashes), and a process runner that refuses
  to start anything: no tool process runs, whether or not the tools are installed;
* model answers from :class:`~review_bot.audit.replay_model.ReplayModel`, a provider of the
  model seam in our own types (given to the caller's ``agents`` factory, which builds the
  agent runner around it);
* the recorded clock readings.

The replayed Review, redacted and canonicalised, must equal the recorded one byte for byte.
The first request the transcript does not hold raises (and is reported as)
:class:`ReplayMismatch`, naming the request and how it differs from the closest recorded one.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from review_bot.audit.recording import analyzer_request, config_hash, sha256_text
from review_bot.audit.records import Record, canonical_json
from review_bot.audit.replay_model import ReplayModel, where
from review_bot.audit.stores import RawTranscript, TranscriptStore
from review_bot.audit.verify import load_records
from review_bot.change import ChangeSet, FileChange
from review_bot.config.models import ReviewConfig
from review_bot.errors import ReplayMismatch, TranscriptError, TranscriptTampered
from review_bot.events import EventKind, RecordingSink
from review_bot.findings import Review
from review_bot.pipeline import AgentRunner, Services, review
from review_bot.redaction import Redactor
from review_bot.tools import Analyzer, AnalyzerCall, AnalyzerResult, Limits, ProcessResult

__all__ = ["AgentsFactory", "ReplayResult", "replay"]

AgentsFactory = Callable[[ReplayModel, ReviewConfig, Mapping[str, Any], AnalyzerCall], AgentRunner]
"""Builds the agent runner of a replayed review around the replay model; the agents'
analyzer runs (their ``run_analyzer`` tool, fix checks) must go through the given call, which
serves the recorded runs."""


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of a replay.

    Attributes:
        location: the transcript replayed.
        identical: the replayed Review JSON equals the recorded one byte for byte.
        recorded: the recorded Review JSON (canonical).
        replayed: the replayed Review JSON (canonical, redacted), None if replay stopped.
        mismatch: the first request the transcript did not hold, or the first difference
            of the reviews.
        review: the replayed Review.
        head: the transcript's final hash (the recorded review's ``transcript_hash``).
    """

    location: str
    identical: bool
    recorded: str
    replayed: str | None
    mismatch: str = ""
    review: Review | None = None
    events: list[tuple[EventKind, dict[str, Any]]] = field(default_factory=list)
    head: str = ""


class _NoProcesses:
    """A process runner that refuses to run anything: replay starts no tool."""

    async def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        limits: Limits,
        env: Mapping[str, str] | None = None,
    ) -> ProcessResult:
        raise ReplayMismatch(
            f"replay tried to start a process {list(argv)!r}: a recorded tool run is missing"
        )


def _loose_key(request: dict[str, Any]) -> str:
    return canonical_json({k: v for k, v in request.items() if k != "config_hash"})


class _ToolRuns:
    """Serves recorded analyzer results by request."""

    def __init__(self, records: Sequence[Record]) -> None:
        self._runs: list[tuple[dict[str, Any], dict[str, Any]]] = [
            (r.data["request"], r.data["result"]) for r in records if r.type == "tool.run"
        ]
        self._queues: dict[str, deque[dict[str, Any]]] = {}
        # the same tool over the same file contents, whatever our config for it was then: a
        # transcript recorded by an older version (other flags, another adapter) still
        # replays its tools' recorded output; the exact request is preferred
        self._loose: dict[str, deque[dict[str, Any]]] = {}
        for request, result in self._runs:
            self._queues.setdefault(canonical_json(request), deque()).append(result)
            self._loose.setdefault(_loose_key(request), deque()).append(result)
        self._redactor = Redactor()
        self.first_mismatch: ReplayMismatch | None = None

    def _mismatch(self, request: dict[str, Any]) -> ReplayMismatch:
        same_tool = [req for req, _ in self._runs if req["tool"] == request["tool"]]
        if not same_tool:
            why = f"the transcript holds no run of {request['tool']!r}"
        else:
            why = "closest recorded run differs at " + where(same_tool[0], request)
        return ReplayMismatch(f"tool run {canonical_json(request)} is not in the transcript: {why}")

    async def __call__(
        self, analyzer: Analyzer, files: Sequence[FileChange], workdir: Path
    ) -> AnalyzerResult:
        digests = [
            (
                f.path,
                sha256_text(
                    None if f.new_content is None else self._redactor.redact(f.new_content)
                ),
            )
            for f in files
        ]
        request = analyzer_request(analyzer.name, analyzer.config_hash(), digests)
        queue = self._queues.get(canonical_json(request)) or self._loose.get(_loose_key(request))
        if not queue:
            error = self._mismatch(request)
            if self.first_mismatch is None:
                self.first_mismatch = error
            raise error
        return AnalyzerResult.model_validate(queue.popleft())


class _Clock:
    def __init__(self, readings: Sequence[float]) -> None:
        self._readings = deque(readings)
        self.first_mismatch: ReplayMismatch | None = None

    def __call__(self) -> float:
        if not self._readings:
            error = ReplayMismatch(
                "the replayed review read the clock more often than the recorded one"
            )
            self.first_mismatch = self.first_mismatch or error
            raise error
        return self._readings.popleft()


def _recorded_fields(replayed: Any, recorded: Any) -> Any:
    """``replayed`` without the object keys ``recorded`` does not have: fields added to the
    Review since the transcript was recorded have nothing to be compared with."""
    if isinstance(replayed, dict) and isinstance(recorded, dict):
        return {k: _recorded_fields(v, recorded[k]) for k, v in replayed.items() if k in recorded}
    if isinstance(replayed, list) and isinstance(recorded, list) and len(replayed) == len(recorded):
        return [_recorded_fields(a, b) for a, b in zip(replayed, recorded, strict=True)]
    return replayed


def _one(records: Sequence[Record], type_: str) -> Record:
    for record in records:
        if record.type == type_:
            return record
    raise TranscriptError(f"the transcript has no {type_!r} record: it cannot be replayed")


async def replay(
    transcript: str | RawTranscript | tuple[TranscriptStore, str],
    *,
    agents: AgentsFactory | None = None,
    keyring: Mapping[str, bytes] | None = None,
) -> ReplayResult:
    """Replay a transcript (a location, a store and id, or raw lines); see the module doc.

    With a ``keyring`` a signed transcript's signature is checked first (a forged one is
    refused like any other break)."""
    records, checked = load_records(transcript, keyring)
    if not checked.ok:
        raise TranscriptTampered(
            f"refusing to replay {checked.location!r}: {checked.message()}", record=checked.broken
        )
    started = _one(records, "review.started").data
    finished = [r for r in records if r.type == "review.finished"]
    if not finished:
        raise TranscriptError(
            f"{checked.location!r} has no review.finished record: the review failed, there is "
            "nothing to reproduce"
        )
    recorded_review = finished[-1].data["review"]
    recorded = canonical_json(recorded_review)
    change = ChangeSet.model_validate(started["change"])
    config = ReviewConfig.model_validate(started["config"])
    if change.content_hash() != started.get("redacted_change_hash"):
        raise TranscriptError("the recorded change does not match its recorded hash")
    # the hash of the config as recorded, or as this version dumps it: a transcript recorded
    # before a config field existed lacks it (and replays with its default)
    raw_hash = hashlib.sha256(canonical_json(started["config"]).encode()).hexdigest()
    if started.get("config_hash") not in (raw_hash, config_hash(config)):
        raise TranscriptError("the recorded config does not match its recorded hash")

    tools = _ToolRuns(records)
    clock = _Clock(finished[-1].data.get("clock", []))
    extra_stats: dict[str, object] = dict(finished[-1].data.get("extra_stats") or {})
    settings = started.get("model_settings") or {}
    model = ReplayModel(records)
    runner: AgentRunner | None = None
    if recorded_review.get("mode") == "agents":
        if agents is None:
            raise TranscriptError(
                "this transcript is of an agents review: pass an agents factory to replay "
                "(review_bot.compose wires the default)"
            )
        runner = agents(model, config, settings, tools)
    sink = RecordingSink()
    services = Services(
        events=sink,
        runner=_NoProcesses(),
        analyzer_call=tools,
        agents=runner,
        clock=clock,
        transcript_location=started.get("transcript"),
        line_text=change.line_text,
        extra_stats=lambda: extra_stats,
    )
    mismatch = ""
    result: Review | None = None
    try:
        result = await review(change, config, services)
    except ReplayMismatch as exc:
        mismatch = str(exc)
    first = tools.first_mismatch or model.first_mismatch or clock.first_mismatch
    if first is not None:
        mismatch = str(first)
    replayed = None
    if result is not None:
        replayed = canonical_json(
            _recorded_fields(Redactor().redact_obj(result.model_dump(mode="json")), recorded_review)
        )
        if not mismatch and replayed != recorded:
            mismatch = "the replayed review differs from the recorded one at " + where(
                recorded_review, json.loads(replayed)
            )
    return ReplayResult(
        location=checked.location,
        identical=not mismatch and replayed == recorded,
        recorded=recorded,
        replayed=replayed,
        mismatch=mismatch,
        review=result,
        events=sink.events,
        head=checked.head,
    )
