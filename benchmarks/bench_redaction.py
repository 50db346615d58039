"""Time redaction of one large change the way a recorded agents review uses it.

Prints seconds for: the change scanned and redacted once (``redact_change(everywhere=True)``),
the same change asked again (agents, recorder and fingerprints each ask), and 20 model
requests that each resend the growing conversation (redact_obj per request).

    PYTHONPATH=. python benchmarks/bench_redaction.py
"""

from __future__ import annotations

import time
from pathlib import Path

from review_bot.change import from_files
from review_bot.redaction import Redactor


def main() -> None:
    root = Path(__file__).resolve().parent.parent / "review_bot"
    after = {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.py"))}
    before = {k: v.replace("def ", "def  ", 3) for k, v in after.items()}
    change = from_files(before, after)
    lines = sum(v.count("\n") for v in after.values())
    redactor = Redactor(remember=True)
    t0 = time.perf_counter()
    redacted = redactor.redact_change(change, everywhere=True)
    t1 = time.perf_counter()
    redactor.redact_change(change, everywhere=True)
    t2 = time.perf_counter()
    history: list[dict[str, str]] = []
    for i, file in enumerate(redacted.files[:20]):
        history.append({"role": "user", "content": file.new_content or ""})
        history.append({"role": "assistant", "content": f"finding {i}"})
        redactor.redact_obj({"messages": history})
    t3 = time.perf_counter()
    print(f"{len(change.files)} files, {lines} lines")
    print(f"redact_change once: {t1 - t0:.3f}s; again: {t2 - t1:.4f}s; 20 requests: {t3 - t2:.3f}s")


if __name__ == "__main__":
    main()
