"""Time redaction of one large change the way a recorded agents review uses it.

Prints CPU seconds (``time.process_time``: load changes wall time a lot) for:
the change scanned and redacted once (``redact_change(everywhere=True)``),
the same change asked again (agents, recorder and fingerprints each ask), and 20 model
requests that each resend the growing conversation (redact_obj per request).

    PYTHONPATH=. python benchmarks/bench_redaction.py [TREE]   # TREE: sources to redact
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from review_bot.change import from_files
from review_bot.redaction import Redactor


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    files = sorted((root / "review_bot").rglob("*.py"))[:60]
    after = {str(p.relative_to(root)): p.read_text() for p in files}
    before = {k: v.replace("def ", "def  ", 3) for k, v in after.items()}
    change = from_files(before, after)
    lines = sum(v.count("\n") for v in after.values())
    redactor = Redactor(remember=True)
    t0 = time.process_time()
    redacted = redactor.redact_change(change, everywhere=True)
    t1 = time.process_time()
    redactor.redact_change(change, everywhere=True)
    t2 = time.process_time()
    history: list[dict[str, str]] = []
    for i, file in enumerate(redacted.files[:20]):
        history.append({"role": "user", "content": file.new_content or ""})
        history.append({"role": "assistant", "content": f"finding {i}"})
        redactor.redact_obj({"messages": history})
    t3 = time.process_time()
    print(f"{len(change.files)} files, {lines} lines")
    print(f"redact_change once: {t1 - t0:.3f}s; again: {t2 - t1:.4f}s; 20 requests: {t3 - t2:.3f}s")


if __name__ == "__main__":
    main()
