"""Build the service's collaborators from a :class:`ServiceConfig` (one place, no globals)."""

from __future__ import annotations

import asyncio
import importlib
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from review_bot.change import ChangeSet
from review_bot.config.audit import AuditConfig
from review_bot.config.models import ReviewConfig
from review_bot.config.service import ServiceConfig
from review_bot.errors import ConfigError, TranscriptError
from review_bot.events import EventSink
from review_bot.findings import Review
from review_bot.github.client import GitHubClient, make_auth
from review_bot.github.pacing import Counter, MemoryCounter, WriteBudget
from review_bot.ownership import Owner, current_owner
from review_bot.pipeline import Services
from review_bot.service.observe import current_job, job_attributes
from review_bot.service.runner import Reviewer
from review_bot.service.store import MemoryStore, RedisStore, StateStore
from review_bot.tracing import TraceContext

if TYPE_CHECKING:
    from review_bot.compose import Runtime

__all__ = [
    "READY_TIMEOUT_S",
    "PipelineReview",
    "github_factory",
    "load_reviewer",
    "make_store",
    "pipeline_reviewer",
    "runtime_reviewer",
    "transcripts_check",
]

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 3.0  # a /ready probe of the transcript store gives up after this

PipelineReview = Callable[[ChangeSet, ReviewConfig, Services], Awaitable[Review]]
"""``review_bot.pipeline.review``'s signature (what ``--reviewer module:function`` names)."""


def github_factory(
    config: ServiceConfig,
    transport: httpx.AsyncBaseTransport | None = None,
    counter: Counter | None = None,
) -> Callable[[int | None], GitHubClient]:
    """Clients per installation sharing one auth (so installation tokens are cached) and one
    write budget per installation, counted in ``counter`` (the state store: shared by every
    worker on the same Redis)."""
    config.require_github_credentials()
    key = config.github_app_private_key
    token = config.github_token
    auth = make_auth(
        api_url=config.github_api_url,
        token=token.get_secret_value() if token else None,
        app_id=config.github_app_id,
        private_key_pem=key.get_secret_value() if key else None,
        transport=transport,
        bot_login=config.github_bot_login,
    )
    budget = WriteBudget(
        counter or MemoryCounter(),
        per_minute=config.writes_per_minute,
        per_hour=config.writes_per_hour,
        max_wait_s=config.rate_limit_max_wait_s,
    )

    def client(installation_id: int | None) -> GitHubClient:
        return GitHubClient(
            config.github_api_url,
            auth,
            installation_id=installation_id,
            transport=transport,
            max_retries=config.github_retries,
            max_wait_s=config.rate_limit_max_wait_s,
            budget=budget,
        )

    return client


def runtime_reviewer(runtime: Runtime) -> Reviewer:
    """Jobs reviewed by the process's :class:`~review_bot.compose.Runtime` (caching,
    resilience policies, agents when a model is configured, transcripts).

    The job being run (:func:`~review_bot.service.observe.current_job`) names the review's
    owner (repository, requester) and labels its span with the review id.
    """

    async def review(change: ChangeSet, config: ReviewConfig, events: EventSink) -> Review:
        job = current_job()
        if job is None:  # an API job, or a test: the owner it set, if any
            return await runtime.review(change, config, events=events, owner=current_owner())
        return await runtime.review(
            change,
            config,
            events=events,
            trace=TraceContext(attributes={k: str(v) for k, v in job_attributes(job).items()}),
            owner=Owner(repo=job.repo, subject=job.requested_by),
        )

    return review


def pipeline_reviewer(fn: PipelineReview) -> Reviewer:
    """Adapt a function with the pipeline's signature (bare Services carrying the events)."""

    async def review(change: ChangeSet, config: ReviewConfig, events: EventSink) -> Review:
        return await fn(change, config, Services(events=events))

    return review


def load_reviewer(spec: str) -> Reviewer:
    """The review function named ``module:attr`` (the pipeline's signature), for tests."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigError(
            f"reviewer {spec!r} is not 'module:function'; e.g. 'review_bot.pipeline:review'"
        )
    try:
        module = importlib.import_module(module_name)
        fn: PipelineReview = getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load reviewer {spec!r}: {exc}; check the module path") from exc
    return pipeline_reviewer(fn)


def transcripts_check(
    audit: AuditConfig, timeout_s: float = READY_TIMEOUT_S
) -> Callable[[], Awaitable[bool]]:
    """A readiness probe of the transcript store: a directory we can create files in, or a
    PostgreSQL store that answers a query (through the audit store itself)."""
    where = audit.transcripts
    probe: Callable[[], None]
    if where.startswith(("postgresql://", "postgres://")):
        probe = _postgres_probe(where, timeout_s)
    else:
        probe = _directory_probe(Path(where))

    async def check() -> bool:
        if not audit.enabled:
            return True
        try:
            await asyncio.wait_for(asyncio.to_thread(probe), timeout_s)
        except TimeoutError:  # before OSError, of which it is a subclass
            log.warning("transcript store not ready: no answer within %.1fs", timeout_s)
            return False
        except (OSError, TranscriptError) as exc:
            log.warning("transcript store not ready: %s", exc)
            return False
        return True

    return check


def _directory_probe(directory: Path) -> Callable[[], None]:
    def probe() -> None:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory, prefix=".ready-") as handle:
            handle.write(b"ok")

    return probe


def _postgres_probe(url: str, timeout_s: float) -> Callable[[], None]:
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    if not any(k == "connect_timeout" for k, _ in query):
        query.append(("connect_timeout", str(max(1, int(timeout_s)))))
    bounded = urlunsplit(parts._replace(query=urlencode(query)))
    # imported now, not in the first probe: the probe's timeout is for the database's answer,
    # and importing psycopg on a loaded machine took longer than that by itself
    from review_bot.audit.postgres import PostgresStore

    def probe() -> None:
        store = PostgresStore.from_url(bounded)
        try:
            store.exists("ready-probe")  # a SELECT on the transcripts table
        finally:
            store.close()

    return probe


def make_store(config: ServiceConfig) -> StateStore:
    """Redis when REDIS_URL is set, else an in-process store (single process only)."""
    if config.redis_url:
        return RedisStore.from_url(config.redis_url, config.redis_prefix)
    if config.queue == "celery":
        raise ConfigError("REVIEW_BOT_QUEUE='celery' needs REDIS_URL (the broker and shared state)")
    return MemoryStore()
