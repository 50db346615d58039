"""detect-secrets' ``scan -- FILES``, run in this process instead of a new Python one.

A ``python -m detect_secrets`` process costs ~0.4 CPU-s (interpreter, imports, plugins, and
the pool of workers it forks for more than one file); this process has detect-secrets loaded
already (redaction runs the same detectors over the same text). The CLI's own argument parser
configures detect-secrets' global settings exactly as the CLI does, inside
``transient_settings`` so they are put back afterwards, and each file is scanned as the
CLI's workers scan it; the answer is the JSON the CLI prints. Those settings are global, so
one scan runs at a time (a lock); a caller that cannot get it soon runs the CLI instead.

Trust: detect-secrets reads the files as text and matches regexes and entropy on each line;
nothing in the reviewed content is executed or imported. Unlike a tool process it has no
memory or CPU rlimit and cannot be killed: a wall timeout fails the run and leaves the scan to
finish in its thread (the lock then sends later scans to the sandboxed CLI).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

from detect_secrets.core import baseline
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.main import parse_args
from detect_secrets.settings import transient_settings

__all__ = ["scan_in_process"]

_LOCK = threading.Lock()
_LOCK_WAIT_S = 2.0


def scan_in_process(paths: Sequence[str], workdir: Path) -> str | None:
    """The CLI's JSON for ``paths`` (relative to ``workdir``), or None when another scan
    holds detect-secrets' settings for too long."""
    if not _LOCK.acquire(timeout=_LOCK_WAIT_S):
        return None
    try:
        with transient_settings({}):
            # absolute: the parser checks nothing against our cwd; the settings are the CLI's
            parse_args(["scan", "--", *(str(workdir / p) for p in paths)])
            secrets = SecretsCollection(root=str(workdir))
            for path in paths:
                secrets.scan_file(path)
            return json.dumps(baseline.format_for_output(secrets))
    finally:
        _LOCK.release()
