"""Render a :class:`~review_bot.findings.Review` as text, JSON, SARIF 2.1.0 or Markdown."""

from __future__ import annotations

from typing import Literal

from review_bot.change import ChangeSet
from review_bot.render._json import render_json
from review_bot.render._markdown import render_markdown
from review_bot.render._sarif import render_sarif, sarif_log
from review_bot.render._text import render_text

__all__ = [
    "Format",
    "render",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_text",
    "sarif_log",
]

Format = Literal["text", "json", "sarif", "markdown"]
FORMATS: tuple[Format, ...] = ("text", "json", "sarif", "markdown")


def render(
    review: object, fmt: Format, change: ChangeSet | None = None, *, color: bool = False
) -> str:
    """Render ``review`` in ``fmt``; ``change`` gives code context to text and Markdown."""
    from review_bot.findings import Review

    assert isinstance(review, Review)
    if fmt == "json":
        return render_json(review)
    if fmt == "sarif":
        return render_sarif(review)
    if fmt == "markdown":
        return render_markdown(review, change)
    return render_text(review, change, color=color)
