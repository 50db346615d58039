"""The library's front door: the same review as the CLI's, from Python.

``review(change)`` loads the settings the CLI would (config file, ``REVIEW_BOT_MODEL``,
``OPENAI_*``, ``REDIS_URL``...), builds the process's collaborators once through the
composition root (:class:`review_bot.compose.Runtime`: agents when a model is configured,
the cache, the resilience policies, transcripts) and runs the review with them. Every part
is injectable: pass ``settings`` instead of reading the environment, a long-lived ``runtime``
to share policies and cache across reviews, or ``services`` to run the bare pipeline with
collaborators of your own (tests, replay).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from review_bot import pipeline
from review_bot.change import ChangeSet
from review_bot.config.models import ReviewConfig
from review_bot.config.settings import Settings, load_settings
from review_bot.events import EventSink
from review_bot.findings import Review

if TYPE_CHECKING:  # the composition root loads the cache, audit and agent stacks: on first use
    from review_bot.compose import Runtime

__all__ = ["review", "review_sync"]


async def review(
    change: ChangeSet,
    config: ReviewConfig | None = None,
    services: pipeline.Services | None = None,
    *,
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    events: EventSink | None = None,
    record: bool | None = None,
) -> Review:
    """Review ``change`` as ``review-bot review`` would and return the :class:`Review`.

    Args:
        change: what to review (``from_git``, ``from_diff``, ``from_files``).
        config: the review's settings; default: the ``[review]`` of ``settings``.
        services: run :func:`review_bot.pipeline.review` with exactly these collaborators
            instead of the composition root (nothing is read from the environment).
        settings: the process settings; default :func:`load_settings` (config file + env).
        runtime: a Runtime to reuse (its settings win); default: one built for this call
            and closed after it.
        events: receives the review's progress and audit events.
        record: write a transcript (default: the settings' ``[audit] enabled``).
    """
    if services is not None:
        return await pipeline.review(change, config, services)
    if runtime is not None:
        return await runtime.review(change, config, events=events, record=record)
    from review_bot.compose import Runtime

    own = Runtime.from_settings(settings if settings is not None else load_settings())
    try:
        return await own.review(change, config, events=events, record=record)
    finally:
        await own.aclose()


def review_sync(
    change: ChangeSet,
    config: ReviewConfig | None = None,
    services: pipeline.Services | None = None,
    *,
    settings: Settings | None = None,
    events: EventSink | None = None,
    record: bool | None = None,
) -> Review:
    """Blocking :func:`review` for callers without an event loop (one loop per call)."""
    return asyncio.run(
        review(change, config, services, settings=settings, events=events, record=record)
    )
