"""A provider's answer that is not a usable completion is the agent's failure, named.

The OpenAI SDK and AutoGen's client turn a malformed 200 answer into whatever Python error
reading it happens to raise: ``JSONDecodeError`` for a body that is not JSON (an HTML error
page from a proxy), ``TypeError``/``AttributeError``/``IndexError`` for missing or mistyped
fields and empty ``choices``. None of those is an ``openai.OpenAIError``, so they used to end
the whole review. :func:`malformed_answers` makes them :class:`InvalidModelOutput` naming what
was wrong; :func:`complete_answer` refuses an answer the model did not finish
(``finish_reason`` ``length`` or ``content_filter``), so it is never validated or cached.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from autogen_core.models import CreateResult

from review_bot.errors import InvalidModelOutput

__all__ = ["complete_answer", "malformed_answers"]

_MALFORMED = (ValueError, TypeError, AttributeError, LookupError)
_UNFINISHED = {
    "length": "stopped at the completion token limit (finish_reason 'length'): the answer is "
    "cut off; raise the model's max tokens or review smaller chunks",
    "content_filter": "withheld its answer (finish_reason 'content_filter'): the provider's "
    "content filter refused it",
}


def _what_was_wrong(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        start = exc.doc[:60] if isinstance(exc.doc, str) else ""
        return f"a body that is not JSON ({exc.msg} at char {exc.pos}; it starts {start!r})"
    if isinstance(exc, LookupError):
        return f"a completion without the expected entries ({type(exc).__name__}: {exc})"
    return f"a completion with missing or mistyped fields ({type(exc).__name__}: {exc})"


@contextmanager
def malformed_answers(what: str) -> Iterator[None]:
    """Raise :class:`InvalidModelOutput` ``from`` any error reading the provider's answer."""
    try:
        yield
    except _MALFORMED as exc:
        raise InvalidModelOutput(f"{what} answered with {_what_was_wrong(exc)}") from exc


def complete_answer(result: CreateResult, what: str) -> CreateResult:
    """``result`` if the model finished it, else :class:`InvalidModelOutput` saying why."""
    why = _UNFINISHED.get(str(result.finish_reason))
    if why is not None:
        raise InvalidModelOutput(f"{what} {why}")
    return result
