"""The live review page in a real headless Chromium (Debian's), against the real runtime and a
simulated model: tool findings appear while the agents wait on the model, then the final review."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from review_bot.compose import Runtime
from review_bot.config.audit import AuditConfig
from review_bot.config.model import ModelConfig
from review_bot.config.settings import Settings
from review_bot.service.wiring import runtime_reviewer
from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, Reply
from tests.service.api.apistack import ApiStack, api_config, start_stack, stop_stack

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AGENT_MESSAGE = "run() evaluates text its caller controls"


class HeldModel:
    """The reviewer flags app.py line 3; every agent call waits until :attr:`release` is set."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()

    def __call__(self, request: RecordedRequest) -> Reply:
        system = request.body["messages"][0]["content"]
        self.asked.set()
        self.release.wait(120)
        if "You are the *reviewer*" in system:
            finding = {
                "path": "app.py", "line": 3, "confidence": 0.9, "severity": "high",
                "category": "correctness", "rule_id": "eval-of-input", "message": AGENT_MESSAGE,
            }  # fmt: skip
            return Reply(json.dumps({"findings": [finding], "summary": "checked"}), 800, 200)
        if "You are the *security*" in system:
            return Reply(json.dumps({"findings": [], "triage": []}), 800, 50)
        return Reply(json.dumps({"patches": []}))


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[tuple[ApiStack, HeldModel]]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail("chromium is missing: apt-get install -y chromium (./dev test does)")
    held = HeldModel()
    with FakeOpenAIServer(default=held) as model:
        audit = AuditConfig(transcripts=str(tmp_path / "transcripts"))
        settings = Settings(
            model=ModelConfig(
                model="fake-model", base_url=model.base_url, api_key=SecretStr("test"),
                prompt_price_per_mtok=2.0, completion_price_per_mtok=8.0,
            ),
            audit=audit,
        )  # fmt: skip
        runtime = Runtime.from_settings(settings, testing=True)
        running = await start_stack(api_config(), runtime_reviewer(runtime), audit=audit)  # type: ignore[arg-type]
        try:
            yield running[0], held
        finally:
            held.release.set()
            await stop_stack(*running)
            await runtime.aclose()


async def _text(page: Any, selector: str) -> str:
    return str(await page.text_content(selector) or "")


async def test_findings_appear_live_then_the_final_review(live: tuple[ApiStack, HeldModel]) -> None:
    from playwright.async_api import async_playwright

    stack, held = live
    review_id = await stack.submit()
    url = f"http://127.0.0.1:{stack.port}/ui/reviews/{review_id}#token={stack.token()}"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            page = await browser.new_page(viewport={"width": 360, "height": 740})  # a phone
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on(
                "response",
                lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            await page.goto(url)
            # the analyzers' findings show while every agent is still waiting on the model
            await page.locator("#findings li", has_text="eval").first.wait_for()
            await asyncio.to_thread(held.asked.wait, 60)
            assert (await _text(page, "#status")).startswith("running")
            assert await page.locator("#final").is_hidden()
            assert AGENT_MESSAGE not in await _text(page, "#findings")
            assert "app.py" in await _text(page, "#files")
            assert "eval(x)" in await _text(page, "#files")
            assert "#token" not in page.url  # the token left the address bar
            second = await browser.new_page()  # another viewer of the same review, joining late
            await second.goto(url)
            held.release.set()
            await page.locator("#status", has_text="done").wait_for()
            await page.locator("#findings li", has_text=AGENT_MESSAGE).wait_for()
            assert "B307" in await _text(page, "#findings") or "S307" in await _text(
                page, "#findings"
            )
            assert await page.locator("#final").is_visible()
            assert await page.locator("#transcript").is_enabled()
            assert (await _text(page, "#cost")) != "$0.0000"
            assert "bandit" in await _text(page, "#tools")
            assert "reviewer" in await _text(page, "#agents")
            await second.locator("#status", has_text="done").wait_for()
            assert await _text(second, "#findings") == await _text(page, "#findings")
            # keyboard: j moves to the first finding, k stays within the list
            await page.keyboard.press("j")
            assert await page.evaluate("document.activeElement.classList.contains('finding')")
            # narrow window: nothing wider than the viewport
            assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            assert errors == []
        finally:
            await browser.close()
