"""The replay model answers what the agents' client recorded, and names a mismatch."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from autogen_core.models import SystemMessage, UserMessage
from autogen_ext.models.replay import ReplayChatCompletionClient

from review_bot.agents.client import ReviewModelClient
from review_bot.audit.render import render_html
from review_bot.audit.replay_model import ReplayModel
from review_bot.audit.stores import FileStore
from review_bot.audit.verify import load_records
from review_bot.audit.writer import TranscriptRecorder, TranscriptWriter
from review_bot.errors import ReplayMismatch
from review_bot.events import EventSink, NullSink
from review_bot.llm.budget import UsageLedger
from review_bot.redaction import Redactor

GH_TOKEN = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
ANSWERS = {
    "reviewer": '{"findings": [], "summary": "reviewer: the loop is off by one"}',
    "security": '{"findings": [], "summary": "security: shell=True with user input"}',
}


def _client(inner, agent: str, events: EventSink) -> ReviewModelClient:  # type: ignore[no-untyped-def]
    return ReviewModelClient(
        inner,
        agent=agent,
        model="fake-model",
        redact=Redactor().redact,
        events=events,
        ledger=UsageLedger(token_budget=100_000, turn_cap=10),
        labels={"chunk": 1},
    )


def _messages(agent: str, code: str) -> list[SystemMessage | UserMessage]:
    return [
        SystemMessage(content=f"You are the {agent} agent."),
        UserMessage(content=f"Review this:\n{code}", source="user"),
    ]


async def _record(tmp_path: Path) -> FileStore:
    store = FileStore(tmp_path)
    writer = TranscriptWriter.create(store, "agents")
    recorder = TranscriptRecorder(writer)
    recorder.emit("review.started", files=["a.py"])
    for agent, answer in ANSWERS.items():
        inner = ReplayChatCompletionClient([answer])
        result = await _client(inner, agent, recorder).create(
            _messages(agent, f'token = "{GH_TOKEN}"\nfor i in range(n + 1): pass')
        )
        assert result.content == answer
    recorder.emit("review.finished", review={"mode": "agents", "summary": "done"})
    writer.close()
    return store


async def test_recorded_answers_are_served_to_the_same_requests(tmp_path: Path) -> None:
    store = await _record(tmp_path)
    records, checked = load_records((store, "agents"))
    assert checked.ok
    assert GH_TOKEN not in "\n".join(store.read("agents").lines)
    replayer = ReplayModel(records)
    for agent in ("security", "reviewer"):  # order does not matter, the request does
        result = await _client(replayer, agent, NullSink()).create(
            _messages(agent, f'token = "{GH_TOKEN}"\nfor i in range(n + 1): pass')
        )
        assert result.content == ANSWERS[agent]
        assert result.finish_reason == "stop"
    assert replayer.unused == []


async def test_an_unrecorded_request_raises_naming_where_it_differs(tmp_path: Path) -> None:
    store = await _record(tmp_path)
    records, _ = load_records((store, "agents"))
    replayer = ReplayModel(records)
    with pytest.raises(ReplayMismatch) as caught:
        await _client(replayer, "reviewer", NullSink()).create(
            _messages("reviewer", f'token = "{GH_TOKEN}"\nfor i in range(n + 2): pass')
        )
    message = str(caught.value)
    assert "model request #1 is not in the transcript" in message
    assert '"agent":"reviewer"' in message
    assert ".messages[1].content differs at character" in message
    assert "n + 2" in message
    assert replayer.first_mismatch is caught.value


class _Turns(HTMLParser):
    """Collects the text of every agent-turn section of a rendered DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.turns: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._depth:
            self._depth += tag == "section"
        elif tag == "section" and "turn" in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self.turns.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag == "section":
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.turns[-1] += data


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is required: apt-get install -y chromium"
    return found


def _dump_dom(page: Path, profile: Path) -> subprocess.CompletedProcess[str]:
    """The DOM headless Chromium renders from ``page`` (no network, throwaway profile)."""
    return subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_html_page_shows_every_agent_turn_in_a_real_browser(tmp_path: Path) -> None:
    store = await _record(tmp_path / "store")
    records, checked = load_records((store, "agents"))
    page = tmp_path / "transcript.html"
    html = render_html(records, checked)
    assert "http://" not in html
    assert "https://" not in html
    page.write_text(html, encoding="utf-8")
    profile = tmp_path / "profile"
    proc = _dump_dom(page, profile)
    assert proc.returncode == 0, proc.stderr[-2000:]
    parser = _Turns()
    parser.feed(proc.stdout)
    expected = [r for r in records if r.type in ("model.request", "model.response")]
    assert len(parser.turns) == len(expected)
    dom = "\n".join(parser.turns)
    for agent, answer in ANSWERS.items():
        assert f"{agent} (chunk 1)" in dom
        assert answer in dom
        assert "Review this:" in dom
    assert "completion tokens" in dom
    assert GH_TOKEN not in proc.stdout


async def test_cli_show_html_writes_one_page(tmp_path: Path) -> None:
    from review_bot.cli import main

    store = await _record(tmp_path / "store")
    out = tmp_path / "page.html"
    code = main(["audit", "show", str(store.path("agents")), "--format", "html", "-o", str(out)])
    assert code == 0
    text = out.read_text()
    assert text.count('class="entry turn"') == 4
    assert "<link" not in text
    assert "<script" not in text
