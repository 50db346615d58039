"""A writer killed with SIGKILL leaves a transcript that verifies up to its last record."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from review_bot.audit.stores import FileStore
from review_bot.audit.verify import verify
from review_bot.audit.writer import TranscriptWriter

WRITER = """
import sys
from review_bot.audit.stores import FileStore
from review_bot.audit.writer import TranscriptWriter
writer = TranscriptWriter.create(FileStore(sys.argv[1]), "crash")
writer.append("review.started", {"change_hash": "x"})
n = 0
while True:
    n += 1
    writer.append("tool.run", {"n": n, "stdout": "y" * 50000})
"""


def test_sigkill_mid_write_leaves_a_verifiable_prefix(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)])
    path = tmp_path / "crash.jsonl"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if path.exists() and path.stat().st_size > 5_000_000:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    store = FileStore(tmp_path)
    result = verify((store, "crash"))
    assert result.intact, result.message()
    assert result.records > 50
    assert not result.complete
    if result.truncated:
        assert f"truncated after record {result.records}" in result.message()
    # the crashed transcript can be continued and finished, its records untouched
    before = store.read("crash").lines
    writer = TranscriptWriter.resume(store, "crash")
    writer.append("review.failed", {"reason": "killed"})
    writer.close()
    after = verify((store, "crash"))
    assert after.ok
    assert after.records == result.records + 1
    assert store.read("crash").lines[: result.records] == before[: result.records]
