"""Fixtures for the conversation manager tests (helpers live in orchestration_helpers)."""

from __future__ import annotations

import pytest
from orchestration_helpers import AFTER, BEFORE

from review_bot import change as change_mod
from review_bot.change import ChangeSet
from review_bot.config.model import ModelConfig


@pytest.fixture
def change() -> ChangeSet:
    return change_mod.from_files(BEFORE, AFTER)


@pytest.fixture
def model() -> ModelConfig:
    return ModelConfig(model="fake-model", prompt_price_per_mtok=1.0, completion_price_per_mtok=2.0)
