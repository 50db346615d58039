"""Record one review: the recorder, the analyzer-call wrapper and the clock, wired together.

What ``review.started`` holds beyond the pipeline's own fields (change hash, files, config):

* ``change``: the **redacted** ChangeSet (files, old/new contents, hunks). Replay rebuilds the
  change from it. The transcript must never hold a secret, so the real contents cannot be
  kept; instead everything a review's outcome depends on is made a function of the redacted
  change: tools still run on the real files (a secrets scanner must see the secret), but
  their results are recorded under a request keyed by the redacted contents' hashes,
  findings are fingerprinted on redacted line text (``Services.line_text``), and the agents
  only ever see redacted text. Redaction keeps line numbers, so hunks and locations hold.
* ``redacted_change_hash``, ``config_hash``, ``versions`` (review_bot, the agent runtime,
  python, every tool), ``prompt_hashes`` and ``model_settings``, ``transcript`` (location).

``review.finished`` gets ``clock``: every reading of the review's clock, in order, so replay
reproduces ``duration_s`` and anything else derived from time.
It also gets ``extra_stats``: the counters kept outside the pipeline (cache, resilience),
which replay serves back instead of recounting.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from review_bot.audit.records import canonical_json
from review_bot.audit.signing import Signer
from review_bot.audit.stores import TranscriptStore
from review_bot.audit.writer import TranscriptRecorder, TranscriptWriter, new_transcript_id
from review_bot.change import ChangeSet, FileChange
from review_bot.config.controls import Controls
from review_bot.config.models import ReviewConfig
from review_bot.events import FanOut
from review_bot.findings import Review
from review_bot.pipeline import Services, review
from review_bot.redaction import Redactor
from review_bot.tools import Analyzer, AnalyzerCall, AnalyzerResult, SubprocessRunner
from review_bot.tools.registry import default_analyzers

__all__ = [
    "PACKAGES",
    "RecordingClock",
    "analyzer_request",
    "config_hash",
    "prompt_hashes",
    "record_review",
]

PACKAGES = ("review-bot-orchestrator",)
"""Our own distribution; the agent runtime's come from the composition root (``packages``)."""


def sha256_text(text: str | None) -> str | None:
    """sha256 of a text (None stays None)."""
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def config_hash(config: ReviewConfig) -> str:
    """sha256 of the configuration's canonical JSON (default team controls left out, so
    transcripts recorded before controls existed keep their hash)."""
    data = config.model_dump(
        mode="json", exclude={"controls"} if config.controls == Controls() else None
    )
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def prompt_hashes() -> dict[str, str]:
    """sha256 of every prompt template file shipped in ``review_bot.prompts``."""
    out: dict[str, str] = {}
    for item in sorted(resources.files("review_bot.prompts").iterdir(), key=lambda i: i.name):
        if item.name.endswith(".md"):
            out[item.name] = hashlib.sha256(item.read_bytes()).hexdigest()
    return out


def _versions(packages: Sequence[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in dict.fromkeys((*PACKAGES, *packages)):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def analyzer_request(
    analyzer_name: str, config_digest: str, files: Sequence[tuple[str, str | None]]
) -> dict[str, Any]:
    """The identity of one analyzer run: tool, our config for it, and each file's path and
    the sha256 of its (redacted) content. Replay matches recorded runs by it."""
    return {
        "tool": analyzer_name,
        "config_hash": config_digest,
        "files": [{"path": path, "sha256": digest} for path, digest in files],
    }


class RecordingClock:
    """Wraps a clock and keeps every reading, for ``review.finished``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.readings: list[float] = []

    def __call__(self) -> float:
        value = self._clock()
        self.readings.append(value)
        return value


def _recording_call(
    inner: AnalyzerCall | None,
    config: ReviewConfig,
    services: Services,
    redacted_content: Callable[[FileChange], str | None],
    recorder: TranscriptRecorder,
) -> AnalyzerCall:
    runner = services.runner or SubprocessRunner()

    async def call(
        analyzer: Analyzer, files: Sequence[FileChange], workdir: Path
    ) -> AnalyzerResult:
        if inner is not None:
            result = await inner(analyzer, files, workdir)
        else:
            result = await analyzer.analyze(files, workdir, runner, config.tools)
        digests = [(f.path, sha256_text(redacted_content(f))) for f in files]
        request = analyzer_request(analyzer.name, analyzer.config_hash(), digests)
        run = result.run
        recorder.emit(
            "tool.run",
            request=request,
            argv=list(run.argv),
            version=run.version,
            exit_code=run.exit_code,
            status=run.status,
            duration_s=run.duration_s,
            result=result.model_dump(mode="json"),
        )
        return result

    return call


async def record_review(
    change: ChangeSet,
    config: ReviewConfig,
    services: Services,
    store: TranscriptStore,
    *,
    transcript_id: str | None = None,
    redactor: Redactor | None = None,
    model_settings: Mapping[str, Any] | None = None,
    fsync_on: Sequence[str] | None = None,
    bind_analyzer_call: Callable[[AnalyzerCall], None] | None = None,
    signer: Signer | None = None,
    packages: Sequence[str] = (),
    owner: Mapping[str, str] | None = None,
) -> Review:
    """Run the review with every event recorded to a new transcript in ``store``.

    The returned Review's ``transcript`` is the transcript's location, and it is redacted
    like its ``review.finished`` record (some tools quote the secret they found).
    ``redactor`` should be the same (remembering) redactor the agents use for outgoing
    text. ``bind_analyzer_call`` receives the recording analyzer call, for collaborators built
    before the recorder (the agents' analyzer): their tool runs must be in the transcript too,
    or replay cannot serve them. A review that raises is recorded as ``error`` +
    ``review.failed``, then re-raised. With a ``signer`` the transcript ends with its
    signature either way; the Review's ``transcript_hash`` is the final record's hash.
    ``packages`` names the distributions (the agent runtime's) whose versions are recorded
    beside ours. ``owner`` (repo, subject) is kept in ``review.started`` so the transcript
    can be found and erased by either.
    """
    redactor = redactor or Redactor(remember=True)
    tid = transcript_id or new_transcript_id()
    options: dict[str, Any] = {} if fsync_on is None else {"fsync_on": fsync_on}
    writer = TranscriptWriter.create(store, tid, **options)
    redacted = redactor.redact_change(change, everywhere=True)

    def redacted_content(file: FileChange) -> str | None:
        same = redacted.file(file.path)
        original = change.file(file.path)
        if same is not None and original is not None and original.new_content == file.new_content:
            return same.new_content
        return None if file.new_content is None else redactor.redact(file.new_content)

    tool_versions: dict[str, str | None] = {}
    runner = services.runner or SubprocessRunner()
    for analyzer in default_analyzers(config.tools):
        tool_versions[analyzer.name] = await analyzer.version(runner)
    clock = RecordingClock(services.clock)
    started_extra = {
        "change": redacted.model_dump(mode="json"),
        "redacted_change_hash": redacted.content_hash(),
        "config_hash": config_hash(config),
        "versions": {**_versions(packages), "tools": tool_versions},
        "prompt_hashes": prompt_hashes(),
        "model_settings": dict(model_settings or {}),
        "transcript": writer.location,
    }
    if owner:
        started_extra["owner"] = dict(owner)
    recorder = TranscriptRecorder(
        writer,
        redactor,
        enrich={
            "review.started": lambda: started_extra,
            # counters kept outside the pipeline (cache, resilience) are part of the review's
            # stats; replay cannot recount them, it serves these
            "review.finished": lambda: {
                "clock": list(clock.readings),
                "extra_stats": dict(services.extra_stats()) if services.extra_stats else {},
            },
        },
    )
    recording_call = _recording_call(
        services.analyzer_call, config, services, redacted_content, recorder
    )
    if bind_analyzer_call is not None:
        bind_analyzer_call(recording_call)
    recorded = replace(
        services,
        events=FanOut([services.events, recorder]),
        analyzer_call=recording_call,
        clock=clock,
        transcript_location=writer.location,
        line_text=redacted.line_text,
    )
    try:
        result = await review(change, config, recorded)
    except BaseException as exc:
        recorder.emit("error", error=type(exc).__name__, message=str(exc))
        recorder.emit("review.failed", error=type(exc).__name__)
        raise
    finally:
        if signer is not None:
            writer.sign(signer)
        writer.close()
    # what the caller gets is what was recorded: redacted (a tool may quote a secret)
    data = redactor.redact_obj(result.model_dump(mode="json"))
    return Review.model_validate({**data, "transcript_hash": writer.head})
