"""A provider's answer that is not a usable completion is the agent's failure, named.

The OpenAI SDK and AutoGen's client turn a malformed 200 answer into whatever Python error
reading it happens to raise: ``JSONDecodeError`` for a body that is not JSON (an HTML error
page from a proxy), ``TypeError``/``AttributeError``/``IndexError`` for missing or mistyped
fields and empty ``choices``. None of those is an ``openai.OpenAIError``, so they used to end
the whole review. :func:`malformed_answers` makes them :class:`InvalidModelOutput` naming what
was wrong (``review_bot.llm.wrappers.complete_answer`` refuses an answer the model did not
finish: ``finish_reason`` ``length`` or ``content_filter``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from review_bot.errors import InvalidModelOutput

__all__ = ["malformed_answers"]

_MALFORMED = (ValueError, TypeError, AttributeError, LookupError)


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
