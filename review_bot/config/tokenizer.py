"""Where tiktoken looks for its BPE files: the one environment variable it reads.

tiktoken takes its cache directory only from ``TIKTOKEN_CACHE_DIR`` at the moment an encoding
is loaded, so :func:`tiktoken_cache_dir` sets it for that moment and puts back what was
there. Callers hold a lock around it (``tokens.py`` does): the environment is process-wide.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["tiktoken_cache_dir"]

_VAR = "TIKTOKEN_CACHE_DIR"


@contextmanager
def tiktoken_cache_dir(directory: Path) -> Iterator[None]:
    """tiktoken reads its BPE files from ``directory`` inside the block."""
    previous = os.environ.get(_VAR)
    os.environ[_VAR] = str(directory)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(_VAR, None)
        else:
            os.environ[_VAR] = previous
