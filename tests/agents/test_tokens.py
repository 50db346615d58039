"""Offline token counting."""

from __future__ import annotations

import os

import tiktoken

from review_bot.tokens import count_tokens, truncate_to_tokens


def test_counts_offline_without_leaving_the_env_changed() -> None:
    before = os.environ.get("TIKTOKEN_CACHE_DIR")
    assert count_tokens("hello world", "gpt-4o") == 2
    assert count_tokens("hello world", "gpt-4") == 2
    assert os.environ.get("TIKTOKEN_CACHE_DIR") == before
    # the encodings are now known to tiktoken in-process (AutoGen's own counting works)
    assert tiktoken.get_encoding("cl100k_base").encode("hi") == [6151]


def test_truncate_fits_the_limit() -> None:
    text = "word " * 1000
    cut = truncate_to_tokens(text, 10)
    assert count_tokens(cut) <= 10
    assert text.startswith(cut)
