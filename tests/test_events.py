"""Event kinds are one typed list: producers, the audit view and the transcript agree on it."""

from __future__ import annotations

import ast
from pathlib import Path

import review_bot
from review_bot.audit.records import Record
from review_bot.audit.view import _VIEWS, entries
from review_bot.events import EVENT_KINDS, FanOut, RecordingSink

PACKAGE = Path(review_bot.__file__).parent


def _emitted_literals() -> dict[str, list[str]]:
    """Every string literal passed as the first argument of an ``.emit(...)`` call."""
    found: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "examples" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "emit"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
                found.setdefault(node.args[0].value, []).append(where)
    return found


def test_every_emitted_kind_is_declared() -> None:
    emitted = _emitted_literals()
    assert emitted, "the scan found no emit calls: it is looking in the wrong place"
    undeclared = {kind: where for kind, where in emitted.items() if kind not in EVENT_KINDS}
    assert not undeclared, f"kinds emitted but missing from events.EventKind: {undeclared}"


def test_the_view_table_names_only_declared_kinds() -> None:
    assert set(_VIEWS) <= EVENT_KINDS, set(_VIEWS) - EVENT_KINDS


def test_the_view_dispatches_on_the_table_and_shows_unknown_kinds_generically() -> None:
    records = [
        Record(seq=0, ts="t0", type="review.started", data={"files": ["a.py"]}, prev="", hash=""),
        Record(seq=1, ts="t1", type="tool.started", data={"tool": "ruff"}, prev="", hash=""),
        Record(
            seq=2, ts="t2", type="resilience.retry", data={"tool": "ruff", "n": 1}, prev="", hash=""
        ),
        Record(
            seq=3, ts="t3", type="error", data={"error": "Boom", "message": "m"}, prev="", hash=""
        ),
    ]
    shown = entries(records)
    assert [(e.kind, e.who) for e in shown] == [
        ("start", "review"),
        ("event", "ruff"),
        ("error", "review"),
    ]
    assert shown[0].title == "Review started: a.py"
    assert shown[2].title == "error: Boom"


def test_fan_out_forwards_kind_and_data_in_order() -> None:
    first, second = RecordingSink(), RecordingSink()
    FanOut([first, second]).emit("tool.started", tool="ruff", files=1)
    assert first.events == second.events == [("tool.started", {"tool": "ruff", "files": 1})]
    assert first.kinds() == ["tool.started"]
