"""Fixtures of the API tests (the stack itself is in ``apistack``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.service.api.apistack import (
    ApiStack,
    ScriptedReviewer,
    api_config,
    start_stack,
    stop_stack,
)


@pytest.fixture
async def stack() -> AsyncIterator[ApiStack]:
    running = await start_stack(api_config(), ScriptedReviewer())
    yield running[0]
    await stop_stack(*running)


@pytest.fixture
async def gated() -> AsyncIterator[ApiStack]:
    running = await start_stack(api_config(), ScriptedReviewer(gated=True))
    yield running[0]
    await stop_stack(*running)
