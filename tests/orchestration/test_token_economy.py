"""Token economy: chunks that depend on their own files only, scoped tool answers, bounded
tool rounds (issue 14, item 5)."""

from __future__ import annotations

import itertools
import json
import re

from autogen_core.models import LLMMessage

from review_bot import change as change_mod
from review_bot.agents.tools import MAX_ANSWER_TOKENS, ChangeTools
from review_bot.change import ChangeSet
from review_bot.config.model import ModelConfig
from review_bot.config.models import ReviewConfig
from review_bot.events import NullSink, RecordingSink
from review_bot.findings import Finding
from review_bot.orchestration import build_agent_runner, plan_chunks
from review_bot.tokens import count_tokens
from tests.orchestration.orchestration_helpers import (
    FakeToolResult,
    ScriptedClients,
    bandit_finding,
    text,
    tool_call,
)


def _module(i: int, variant: int) -> str:
    lines = [f'"""Module {i}."""', "import os", ""]
    for n in range(10):
        body = (
            f"    return os.path.join('{i}', '{n}')"
            if not variant or n % 4
            else (f"    return os.path.join('{i}', str({n} + {variant}))")
        )
        lines += [f"def f_{i}_{n}(x):", f'    """Part {n}."""', body, ""]
    return "\n".join(lines) + "\n"


def _change(files: int = 20, touched: int | None = None, extra: int = 0) -> ChangeSet:
    before = {f"pkg/m{i:02d}.py": _module(i, 0) for i in range(files)}
    after = {f"pkg/m{i:02d}.py": _module(i, 1) for i in range(files)}
    if touched is not None:
        path = f"pkg/m{touched:02d}.py"
        after[path] = after[path].replace("str(4 + 1)", "str(4 + 2)")
    for j in range(extra):  # more files, sorted after every pkg/ file
        before[f"zz/extra{j}.py"] = _module(100 + j, 0)
        after[f"zz/extra{j}.py"] = _module(100 + j, 1)
    return change_mod.from_files(before, after)


def _findings(change: ChangeSet) -> tuple[Finding, ...]:
    return tuple(bandit_finding(f.path, min(f.added_lines)) for f in change.files)


def _first_prompts(clients: ScriptedClients) -> list[str]:
    """Each agent turn's first request, as the JSON of its messages."""
    prompts = []
    for _, client in clients.made:
        messages: list[LLMMessage] = client.create_calls[0]["messages"]
        prompts.append(json.dumps([m.model_dump(mode="json") for m in messages]))
    return prompts


async def _prompts(change: ChangeSet) -> list[str]:
    model = ModelConfig(model="fake-model", max_fixes_per_chunk=0)
    clients = ScriptedClients({})
    runner = build_agent_runner(model, redact=str, client_factory=clients)
    assert runner is not None
    result = await runner.run(change, FakeToolResult(_findings(change)), ReviewConfig(), NullSink())
    assert result.failures == ()
    return _first_prompts(clients)


async def test_a_change_to_one_file_leaves_the_other_chunks_prompts_byte_identical() -> None:
    first = await _prompts(_change())
    again = await _prompts(_change(touched=10))
    assert len(first) >= 8  # reviewer and security per chunk, several chunks
    changed = set(again) - set(first)
    assert changed, "the edited file's chunk must be asked again"
    assert all("pkg/m10.py" in p for p in changed)
    assert len(changed) == 2  # only the edited file's chunk: its reviewer and its security
    untouched = [p for p in first if "pkg/m10.py" not in p]
    assert untouched
    assert set(untouched) <= set(again)


async def test_prompts_hold_no_chunk_number_or_count_of_the_change() -> None:
    small = await _prompts(_change())
    larger = await _prompts(_change(extra=7))  # 7 more files, after all the others
    for prompt in larger:
        assert not re.search(r"chunk \d+\s*/\s*\d+", prompt)
        assert not re.search(r"\b(20|27) (changed )?files\b", prompt)
    # every chunk of the 20 pkg/ files but the last (which may take in the new files) reads
    # the same whatever else the change holds
    kept = set(larger)
    assert sum(p in kept for p in small) >= len(small) - 2


def test_chunks_are_planned_from_each_files_own_content() -> None:
    chunks, _ = plan_chunks(_change(), 12_000, target=600)
    touched, _ = plan_chunks(_change(touched=10), 12_000, target=600)
    assert len(chunks) > 3
    differs = [c for c in touched if c not in chunks]
    assert [c.paths for c in differs] == [c.paths for c in chunks if "pkg/m10.py" in c.paths]
    assert all(c.label == f"{c.excerpts[0].path}:{c.excerpts[0].first_line}" for c in chunks)


def _scoped_tools() -> tuple[ChangeTools, ChangeSet]:
    change = _change(files=3)
    ids = {f"T{i + 1}": f for i, f in enumerate(_findings(change))}
    return ChangeTools(change, ids, None, NullSink()), change


async def _call(tools: ChangeTools, paths: list[str], name: str, **arguments: object) -> str:
    from autogen_core import CancellationToken

    by_name = {t.name: t for t in tools.for_agent("reviewer", paths, {"T2": "T1"})}
    answer = await by_name[name].run_json(arguments, CancellationToken())
    return str(answer)


async def test_list_and_lookup_answer_about_the_chunks_files_only() -> None:
    tools, _ = _scoped_tools()
    listed = await _call(tools, ["pkg/m01.py"], "list_changed_files")
    assert "pkg/m01.py" in listed
    assert "pkg/m00.py" not in listed
    assert "pkg/m02.py" not in listed
    found = await _call(tools, ["pkg/m01.py"], "lookup_tool_findings", path="")
    body = json.loads(found.split("\n", 2)[2].rsplit("\n", 1)[0])
    assert [(f["id"], f["path"]) for f in body] == [("T1", "pkg/m01.py")]  # the chunk's name
    other = await _call(tools, ["pkg/m01.py"], "lookup_tool_findings", path="pkg/m02.py")
    assert "is not shown in this part of the change" in other


async def test_every_tool_answer_is_cut_at_the_answer_budget() -> None:
    wide = "x = '" + "abc def " * 60 + "'\n"
    change = change_mod.from_files({"big.py": ""}, {"big.py": wide * 400})
    tools = ChangeTools(change, (), None, NullSink())
    by_name = {t.name: t for t in tools.for_agent("reviewer", ["big.py"])}
    from autogen_core import CancellationToken

    answer = str(
        await by_name["read_file_lines"].run_json(
            {"path": "big.py", "start_line": 1, "end_line": 400}, CancellationToken()
        )
    )
    assert "(cut at" in answer
    assert count_tokens(answer) <= MAX_ANSWER_TOKENS + 60  # the fence and the note


async def test_each_tool_round_adds_a_bounded_number_of_tokens() -> None:
    wide = "y = '" + "ghi jkl " * 60 + "'\n"
    change = change_mod.from_files(
        {"big.py": "a = 1\n" + wide * 400}, {"big.py": "a = 2\n" + wide * 400}
    )
    reads = [
        tool_call(
            "read_file_lines",
            {"path": "big.py", "start_line": s, "end_line": s + 300},
            call_id=f"c{s}",
        )
        for s in (1, 100, 200)
    ]
    clients = ScriptedClients(
        {"reviewer": [[*reads, text({"findings": []})]], "security": [[text({"findings": []})]]}
    )
    model = ModelConfig(model="fake-model", max_fixes_per_chunk=0, max_tool_iterations=4)
    runner = build_agent_runner(model, redact=str, client_factory=clients)
    assert runner is not None
    result = await runner.run(change, FakeToolResult(), ReviewConfig(), RecordingSink())
    assert result.failures == ()
    (reviewer,) = [c for role, c in clients.made if role == "reviewer"]
    sizes = [
        count_tokens(json.dumps([m.model_dump(mode="json") for m in call["messages"]]))
        for call in reviewer.create_calls
    ]
    assert len(sizes) == 4
    growth = [b - a for a, b in itertools.pairwise(sizes)]
    # JSON escaping costs a little over the answer itself; never a whole file per round
    assert all(0 < g <= 2 * MAX_ANSWER_TOKENS for g in growth), growth


def test_a_files_excerpts_share_one_data_fence() -> None:
    from review_bot.prompts import Excerpt, review_prompt

    parts = [
        Excerpt("a.py", "python", 1, 2, "1 + x = 1\n2   y = 2"),
        Excerpt("a.py", "python", 40, 40, "40 + z = 3"),
        Excerpt("b.py", "python", 5, 5, "5 + w = 4"),
    ]
    text = review_prompt("reviewer", parts, []).text
    assert text.count("<<<DATA ") == 2
    assert "[a.py lines 1-2, 40-40 (python)]\n1 + x = 1\n2   y = 2\n…\n40 + z = 3\n<<<END" in text


def test_a_file_that_grows_moves_only_the_boundaries_up_to_the_next_anchor() -> None:
    before = {f"pkg/m{i:02d}.py": _module(i, 0) for i in range(20)}
    after = {f"pkg/m{i:02d}.py": _module(i, 1) for i in range(20)}
    grown = dict(after)
    grown["pkg/m10.py"] += "".join(f"extra_{n} = os.getcwd()\n" for n in range(40))
    chunks, _ = plan_chunks(change_mod.from_files(before, after), 12_000, target=600)
    moved, _ = plan_chunks(change_mod.from_files(before, grown), 12_000, target=600)
    gone = [c.paths for c in chunks if c not in moved]
    new = [c.paths for c in moved if c not in chunks]
    assert any("pkg/m10.py" in paths for paths in new)
    assert len(new) <= 3  # its own chunk and what it pushed along, up to the next anchor
    # everything it did not reach is exactly as before, on both sides of it
    kept = [c for c in chunks if c in moved]
    assert len(kept) == len(chunks) - len(gone)
    assert len(kept) >= len(chunks) - 3
