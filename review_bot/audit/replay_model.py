"""A model of ours that answers from a transcript (replay; no network).

It is the *provider* of the model seam (``review_bot.llm.Model``): it sits under the same
layers as the real provider did, so it receives the already redacted messages, exactly what
the recorded provider received. Each call is matched
to a recorded ``model.request`` by its request (messages, tool schemas, tool choice, output
schema; compared after redaction), and answered with the paired ``model.response``. The first
call the transcript does not hold raises :class:`ReplayMismatch` naming the closest recorded
request and where it differs.

Expected record fields (emitted by ``review_bot.llm.wrappers.Recording``):

* ``model.request``: ``agent``, ``seq`` (per-turn call number), labels such as ``chunk``,
  ``model``, ``messages`` (``review_bot.llm.Message`` dumps, the shape AutoGen's messages
  always had in transcripts), ``tools`` (tool
  schemas), ``tool_choice`` (``"auto"``/``"required"``/``"none"`` or a tool name),
  ``output_schema`` (JSON schema of the structured output, or a bool/None), ``extra``.
* ``model.response``: the same ``agent``, ``seq`` and labels, ``finish_reason``, ``content``
  (text or None), ``tool_calls`` (``[{id, name, arguments}]``), ``usage``
  (``{prompt_tokens, completion_tokens}``), ``cached``, ``thought``; optional
  ``response_id`` and ``system_fingerprint`` when the provider gave them.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from review_bot.audit.records import Record, canonical_json
from review_bot.errors import ReplayMismatch
from review_bot.llm.types import Message, ModelResponse, RequestSettings
from review_bot.llm.wire import REQUEST_FIELDS, model_request, response_from_record
from review_bot.redaction import Redactor

__all__ = ["ReplayModel", "where"]

_PAYLOAD = frozenset({*REQUEST_FIELDS, "model", "extra"})


def _key(request: Mapping[str, Any]) -> str:
    return canonical_json(Redactor().redact_obj({k: request.get(k) for k in REQUEST_FIELDS}))


def where(recorded: Any, replayed: Any, path: str = "") -> str:
    """The first place two JSON values differ, as ``path: recorded … vs replayed …``."""
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        for k in sorted(set(recorded) | set(replayed)):
            if recorded.get(k) != replayed.get(k):
                return where(recorded.get(k), replayed.get(k), f"{path}.{k}")
    if isinstance(recorded, list) and isinstance(replayed, list):
        for i, (a, b) in enumerate(zip(recorded, replayed, strict=False)):
            if a != b:
                return where(a, b, f"{path}[{i}]")
        if len(recorded) != len(replayed):
            return f"{path or 'value'}: recorded {len(recorded)} items, replayed {len(replayed)}"
    if isinstance(recorded, str) and isinstance(replayed, str):
        at = next(
            (i for i, (a, b) in enumerate(zip(recorded, replayed, strict=False)) if a != b),
            min(len(recorded), len(replayed)),
        )
        lo = max(0, at - 30)
        return (
            f"{path or 'value'} differs at character {at}: recorded "
            f"{recorded[lo : at + 40]!r} vs replayed {replayed[lo : at + 40]!r}"
        )
    return f"{path or 'value'}: recorded {recorded!r:.120} vs replayed {replayed!r:.120}"


@dataclasses.dataclass
class _Exchange:
    identity: dict[str, Any]
    request: dict[str, Any]
    response: dict[str, Any]
    used: bool = False


def _pair(records: Sequence[Record]) -> list[_Exchange]:
    exchanges: list[_Exchange] = []
    waiting: list[_Exchange] = []
    for record in records:
        if record.type == "model.request":
            identity = {k: v for k, v in record.data.items() if k not in _PAYLOAD}
            waiting.append(_Exchange(identity, record.data, {}))
        elif record.type == "model.response":
            for ex in waiting:
                if all(record.data.get(k) == v for k, v in ex.identity.items()):
                    ex.response = record.data
                    waiting.remove(ex)
                    exchanges.append(ex)
                    break
    return exchanges


class ReplayModel:
    """Serves recorded model responses; one instance can serve every agent of a review."""

    def __init__(self, records: Sequence[Record]) -> None:
        self._queues: dict[str, deque[_Exchange]] = {}
        self._all = _pair(records)
        for ex in self._all:
            self._queues.setdefault(_key(ex.request), deque()).append(ex)
        self._calls = 0
        self.first_mismatch: ReplayMismatch | None = None

    @property
    def unused(self) -> list[dict[str, Any]]:
        """Identities of recorded requests replay never made."""
        return [ex.identity for ex in self._all if not ex.used]

    def _mismatch(self, request: dict[str, Any]) -> ReplayMismatch:
        candidates = [ex for ex in self._all if not ex.used] or self._all
        if not candidates:
            return ReplayMismatch(
                f"model request #{self._calls} was made, but the transcript holds no model "
                "requests (it was recorded as a tools-only review?)"
            )
        wanted = {k: request[k] for k in REQUEST_FIELDS}

        def closeness(ex: _Exchange) -> tuple[int, int]:
            same = sum(
                1
                for a, b in zip(ex.request.get("messages", []), wanted["messages"], strict=False)
                if a == b
            )
            return (same, -abs(len(ex.request.get("messages", [])) - len(wanted["messages"])))

        best = max(candidates, key=closeness)
        recorded = {k: best.request.get(k) for k in REQUEST_FIELDS}
        return ReplayMismatch(
            f"model request #{self._calls} is not in the transcript; the closest recorded "
            f"request ({canonical_json(best.identity)}) differs at "
            f"{where(recorded, wanted)}"
        )

    async def request(
        self, messages: Sequence[Message], settings: RequestSettings
    ) -> ModelResponse:
        """The recorded answer to this request, or ReplayMismatch."""
        self._calls += 1
        request = model_request(messages, settings)
        queue = self._queues.get(_key(request))
        if not queue:
            error = self._mismatch(request)
            if self.first_mismatch is None:
                self.first_mismatch = error
            raise error
        exchange = queue.popleft()
        exchange.used = True
        return response_from_record(exchange.response)
