"""The webhook service: verified deliveries, queued jobs, workers that post reviews."""

from review_bot.service.app import create_app
from review_bot.service.jobs import Ignored, ReviewJob, job_from_event
from review_bot.service.metrics import ServiceMetrics
from review_bot.service.queue import CeleryQueue, EmbeddedQueue, JobQueue
from review_bot.service.runner import JobBusy, RunnerDeps, job_key, run_job
from review_bot.service.signature import sign, verify_signature
from review_bot.service.store import MemoryStore, RedisStore, StateStore

__all__ = [
    "CeleryQueue",
    "EmbeddedQueue",
    "Ignored",
    "JobBusy",
    "JobQueue",
    "MemoryStore",
    "RedisStore",
    "ReviewJob",
    "RunnerDeps",
    "ServiceMetrics",
    "StateStore",
    "create_app",
    "job_from_event",
    "job_key",
    "run_job",
    "sign",
    "verify_signature",
]
