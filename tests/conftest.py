"""Suite-wide isolation: no test touches the user's cache or transcripts or sees a model."""

from __future__ import annotations

import os
import tempfile

import pytest

_STATE = tempfile.mkdtemp(prefix="review-bot-tests-")
# set at import so subprocesses started by any test (CLI, serve, worker) inherit it too
os.environ["REVIEW_BOT_CACHE_DIR"] = os.path.join(_STATE, "cache")
os.environ["REVIEW_BOT_TRANSCRIPTS"] = os.path.join(_STATE, "transcripts")
for _name in ("REVIEW_BOT_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "REVIEW_BOT_CONFIG",
              "LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY", "REDIS_URL"):  # fmt: skip
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def state_dir() -> str:
    """The suite's private state folder (cache, transcripts)."""
    return _STATE
