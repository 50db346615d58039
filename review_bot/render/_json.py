"""The JSON contract of DESIGN.md: the Review model, stable key order, UTF-8."""

from __future__ import annotations

from review_bot.findings import Review


def render_json(review: Review) -> str:
    """Pretty JSON of the review, ending with a newline."""
    return review.model_dump_json(indent=2) + "\n"
