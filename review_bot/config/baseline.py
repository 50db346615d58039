"""The baseline file: fingerprints of findings a team has accepted for now.

``review-bot baseline`` writes it (default ``.review-bot-baseline.json`` at the repository
root, meant to be committed so CLI and service share it); a review given the baseline
(``--baseline FILE``, ``[review.controls]`` of the operator's config, or ``[baseline]`` of
the repository's ``.review-bot.toml``, read from the base side) hides those findings and says
how many it hid. Format::

    {"version": 1, "base": "<sha or null>", "fingerprints": ["<32 hex>", ...],
     "findings": [{"fingerprint", "path", "rule_id", "severity", "message"}, ...]}

``findings`` is for the reader; only ``fingerprints`` is used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from review_bot.errors import ConfigError

__all__ = ["BASELINE_VERSION", "dump_baseline", "parse_baseline", "read_baseline_file"]

BASELINE_VERSION = 1
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")


def parse_baseline(text: str, where: str) -> tuple[str, ...]:
    """The fingerprints of a baseline file's text, sorted; ConfigError naming what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"baseline {where!r} is not JSON ({exc.msg} at line {exc.lineno}): "
            "write it again with `review-bot baseline`"
        ) from exc
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        got = data.get("version") if isinstance(data, dict) else type(data).__name__
        raise ConfigError(
            f"baseline {where!r} is not a version-{BASELINE_VERSION} baseline (got {got!r}): "
            "write it again with `review-bot baseline`"
        )
    prints = data.get("fingerprints")
    if not isinstance(prints, list):
        raise ConfigError(f"baseline {where!r} has no 'fingerprints' list")
    bad = next((p for p in prints if not isinstance(p, str) or not _FINGERPRINT.fullmatch(p)), None)
    if bad is not None:
        raise ConfigError(
            f"baseline {where!r} holds {bad!r}, which is not a finding fingerprint "
            "(32 lowercase hex digits): write it again with `review-bot baseline`"
        )
    return tuple(sorted(set(prints)))


def read_baseline_file(path: Path) -> tuple[str, ...]:
    """The fingerprints of the baseline file at ``path`` (the CLI's ``--baseline``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"baseline file {str(path)!r} does not exist: create it with `review-bot baseline`"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read baseline file {str(path)!r}: {exc}") from exc
    return parse_baseline(text, str(path))


def dump_baseline(findings: Iterable[Mapping[str, Any]], base: str | None) -> str:
    """The baseline file's text for ``findings`` (dicts with at least a ``fingerprint``)."""
    kept = sorted(
        (
            {k: f.get(k) for k in ("fingerprint", "path", "rule_id", "severity", "message")}
            for f in findings
            if f.get("fingerprint")
        ),
        key=lambda f: (str(f["path"]), str(f["fingerprint"])),
    )
    payload = {
        "version": BASELINE_VERSION,
        "base": base,
        "fingerprints": sorted({str(f["fingerprint"]) for f in kept}),
        "findings": kept,
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
