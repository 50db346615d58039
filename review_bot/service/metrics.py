"""Prometheus metrics of one service or worker process, on its own registry.

Each :class:`ServiceMetrics` owns a ``CollectorRegistry`` (no global singletons), so tests
and several apps in one process never clash. The web app serves it on ``/metrics``; a Celery
worker can serve its own with ``--metrics-port``.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from review_bot.events import EventKind
from review_bot.findings import ReviewStats

__all__ = ["BREAKER_STATES", "BreakerMetricsSink", "ServiceMetrics"]

BREAKER_STATES: dict[str, int] = {"closed": 0, "half-open": 1, "open": 2}
_DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 900, 1800)
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    """Counters, gauges and histograms of deliveries, the queue and reviews."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.deliveries = Counter(
            "review_bot_webhook_deliveries",
            "Webhook deliveries by outcome",
            ["outcome"],
            registry=r,
        )
        self.ack_seconds = Histogram(
            "review_bot_webhook_ack_seconds",
            "Time from a webhook request's arrival to its answer",
            buckets=_ACK_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge("review_bot_queue_depth", "Review jobs waiting", registry=r)
        self.jobs = Counter(
            "review_bot_jobs", "Review jobs finished by outcome", ["outcome"], registry=r
        )
        self.review_duration = Histogram(
            "review_bot_review_duration_seconds",
            "Wall time of a review job",
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self.model_calls = Counter("review_bot_model_calls", "Language-model calls", registry=r)
        self.model_tokens = Counter(
            "review_bot_model_tokens", "Language-model tokens", ["kind"], registry=r
        )
        self.model_cost = Counter(
            "review_bot_model_cost_usd", "Estimated language-model cost (configured prices)",
            registry=r,
        )
        self.tool_runs = Counter(
            "review_bot_tool_runs", "Analyzer processes run (cache hits excluded)", registry=r
        )
        self.cache_lookups = Counter(
            "review_bot_cache_lookups", "Cache lookups by result", ["result"], registry=r
        )
        self.cache_hit_ratio = Gauge(
            "review_bot_cache_hit_ratio", "Cache hits / lookups since start", registry=r
        )
        self.breaker_state = Gauge(
            "review_bot_breaker_state",
            "Circuit breaker state (0 closed, 1 half-open, 2 open)",
            ["dependency"],
            registry=r,
        )
        self._hits = 0
        self._lookups = 0

    def delivery(self, outcome: str, ack_s: float | None = None) -> None:
        """Count one webhook delivery (accepted, duplicate, ignored, bad_signature, ...).

        ``ack_s`` is how long its answer took (the acknowledgement latency alert reads it).
        """
        self.deliveries.labels(outcome=outcome).inc()
        if ack_s is not None:
            self.ack_seconds.observe(ack_s)

    def job_finished(self, outcome: str, duration_s: float, stats: ReviewStats | None) -> None:
        """Record one finished job and, when it produced a review, its usage.

        ``outcome`` is the runner's: posted, already_posted or skipped.
        """
        self.jobs.labels(outcome=outcome).inc()
        self.review_duration.observe(duration_s)
        if stats is None:
            return
        self.model_calls.inc(stats.llm_calls)
        self.model_tokens.labels(kind="prompt").inc(stats.prompt_tokens)
        self.model_tokens.labels(kind="completion").inc(stats.completion_tokens)
        self.model_cost.inc(stats.cost_usd)
        self.tool_runs.inc(stats.tool_runs)
        self.cache_lookups.labels(result="hit").inc(stats.cache_hits)
        self.cache_lookups.labels(result="miss").inc(stats.cache_misses)
        self._hits += stats.cache_hits
        self._lookups += stats.cache_hits + stats.cache_misses
        if self._lookups:
            self.cache_hit_ratio.set(self._hits / self._lookups)

    def job_ended(self, outcome: str) -> None:
        """Count a job that produced no review: ``rescheduled`` (it runs again later) or
        ``failed`` (given up, with a failing check run)."""
        self.jobs.labels(outcome=outcome).inc()

    def breaker(self, dependency: str, state: Literal["closed", "half-open", "open"]) -> None:
        """Publish a breaker's state (fed by :class:`BreakerMetricsSink`)."""
        self.breaker_state.labels(dependency=dependency).set(BREAKER_STATES[state])

    def render(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)


class BreakerMetricsSink:
    """An EventSink that turns ``resilience.breaker`` events into the breaker-state gauge.

    The resilience policies announce every transition as an event of the review that saw
    it; giving each review this sink is how the gauge learns about them without the
    resilience package knowing about Prometheus.
    """

    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics

    def emit(self, kind: EventKind, /, **data: Any) -> None:
        """Forward breaker transitions; ignore everything else."""
        if kind != "resilience.breaker":
            return
        state, dependency = data.get("new"), data.get("dependency")
        if isinstance(dependency, str) and state in BREAKER_STATES:
            self._metrics.breaker(dependency, cast(Literal["closed", "half-open", "open"], state))
