"""``review-bot worker``: a Celery worker that runs queued reviews (needs REDIS_URL)."""

from __future__ import annotations

import argparse
from pathlib import Path

from review_bot.config.logs import LogConfig
from review_bot.config.service import ServiceConfig
from review_bot.config.settings import environment, load_settings
from review_bot.logs import configure_logging

__all__ = ["register", "run"]

DEFAULT_CONCURRENCY = 4


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``worker`` subcommand."""
    parser = sub.add_parser(
        "worker",
        help="run queued reviews (Celery on Redis)",
        description="Consume review jobs queued by 'review-bot serve' "
        "with REVIEW_BOT_QUEUE=celery.",
    )
    parser.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="reviews at once (threads)"
    )
    parser.add_argument("--metrics-port", type=int, help="serve this worker's /metrics on a port")
    parser.add_argument(
        "--config",
        type=Path,
        help="config TOML ([review], [model], [cache], [resilience], [audit]); "
        "REVIEW_BOT_MODEL/OPENAI_* add the agents, REVIEW_BOT_TRANSCRIPTS sets the transcripts",
    )
    parser.add_argument("--loglevel", default="INFO")
    parser.add_argument("--reviewer", help=argparse.SUPPRESS)  # module:function, for tests
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the Celery worker in this process; returns when it stops."""
    from prometheus_client import start_http_server

    from review_bot.service.metrics import ServiceMetrics
    from review_bot.service.server import build_worker

    config = ServiceConfig.from_env()
    settings = load_settings(args.config)
    metrics = ServiceMetrics()
    worker = build_worker(config, settings, args.reviewer, metrics)
    log_config = LogConfig.from_env({"REVIEW_BOT_LOG_LEVEL": args.loglevel, **environment()})
    configure_logging(log_config)
    # Celery would otherwise replace our handler (and its JSON lines) with its own
    worker.celery.conf.worker_hijack_root_logger = False
    if args.metrics_port:
        start_http_server(args.metrics_port, registry=metrics.registry)
    try:
        worker.celery.worker_main(
            [
                "worker",
                "--pool=threads",
                f"--concurrency={args.concurrency}",
                f"--queues={config.celery_queue}",
                f"--loglevel={args.loglevel}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        )
    finally:
        worker.close()
    return 0
