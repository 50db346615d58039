"""Builders for the tests against the strict fake GitHub: an App on it, an injected clock,
runner deps whose clients sleep on that clock, and trees of generated files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from review_bot.config.models import ReviewConfig
from review_bot.config.service import ServiceConfig
from review_bot.github.client import GitHubClient, make_auth
from review_bot.github.pacing import MemoryCounter, WriteBudget
from review_bot.service.jobs import ReviewJob
from review_bot.service.metrics import ServiceMetrics
from review_bot.service.runner import RunnerDeps
from review_bot.service.store import MemoryStore
from review_bot.service.wiring import pipeline_reviewer
from tests.fakes.github_server import FakeGitHub, serve_fake_github
from tests.fakes.github_spec import GitHubSpec
from tests.github.helpers import APP_ID, NOW
from tests.service import fake_reviewer
from tests.service.helpers import REPO

BOT = "review-bot[bot]"


@dataclass
class Clock:
    """Injected time: ``sleep`` moves it on instead of waiting."""

    now: float = NOW
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@contextmanager
def strict_github(
    spec: GitHubSpec, keys: tuple[str, str], **state: Any
) -> Iterator[tuple[FakeGitHub, str]]:
    """The strict fake; every request and answer of the block must match GitHub's
    OpenAPI description (checked on leaving it)."""
    gh = FakeGitHub(strict=True, spec=spec, app_id=APP_ID, app_public_key=keys[1], **state)
    with serve_fake_github(gh) as url:
        yield gh, url
    assert gh.spec_checked > 0
    assert gh.spec_errors == [], gh.spec_errors[:5]


def app_client(
    url: str,
    keys: tuple[str, str],
    clock: Clock,
    *,
    budget: WriteBudget | None = None,
    installation: int | None = 42,
) -> GitHubClient:
    auth = make_auth(api_url=url, token=None, app_id=APP_ID, private_key_pem=keys[0])
    return GitHubClient(
        url, auth, installation_id=installation, sleep=clock.sleep, clock=clock, budget=budget
    )


def budget(clock: Clock, per_minute: int = 60, per_hour: int = 450) -> WriteBudget:
    return WriteBudget(
        MemoryCounter(clock),
        per_minute=per_minute,
        per_hour=per_hour,
        max_wait_s=120,
        sleep=clock.sleep,
        clock=clock,
    )


def app_deps(
    url: str, keys: tuple[str, str], clock: Clock, reviewer: Any = None, **config: Any
) -> RunnerDeps:
    """Runner deps on the strict fake as an App; clients share one auth and budget."""
    service = ServiceConfig(
        github_app_id=APP_ID,
        github_app_private_key=SecretStr(keys[0]),
        github_api_url=url,
        **config,
    )
    auth = make_auth(api_url=url, token=None, app_id=APP_ID, private_key_pem=keys[0])
    shared = budget(clock)

    def client(installation: int | None) -> GitHubClient:
        return GitHubClient(
            url,
            auth,
            installation_id=installation,
            sleep=clock.sleep,
            clock=clock,
            budget=shared,
        )

    return RunnerDeps(
        config=service,
        store=MemoryStore(),
        github=client,
        reviewer=reviewer or pipeline_reviewer(fake_reviewer.review),
        base_config=ReviewConfig(),
        metrics=ServiceMetrics(),
    )


def job(head: str, *, number: int = 7, before: str | None = None, **kw: Any) -> ReviewJob:
    return ReviewJob(
        **{
            "delivery_id": "d-1",
            "trigger": "push",
            "repo": REPO,
            "number": number,
            "action": "synchronize" if before else "opened",
            "head_sha": head,
            "before_sha": before,
            "installation_id": 42,
            **kw,
        }
    )


def eval_lines(n: int) -> str:
    """A file with ``n`` distinct lines the fake reviewer flags."""
    return "".join(f"v{i} = eval('{i}')\n" for i in range(n))
