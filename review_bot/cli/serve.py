"""``review-bot serve``: the GitHub webhook service (ASGI on uvicorn)."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import uvicorn

from review_bot.config.service import ServiceConfig
from review_bot.config.settings import load_settings

__all__ = ["register", "run"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand."""
    parser = sub.add_parser(
        "serve",
        help="run the GitHub webhook service",
        description="Serve POST /webhooks/github, /health, /ready and /metrics. Settings come "
        "from GITHUB_WEBHOOK_SECRET, GITHUB_TOKEN or GITHUB_APP_ID+GITHUB_APP_PRIVATE_KEY, "
        "GITHUB_API_URL, REDIS_URL and REVIEW_BOT_QUEUE (embedded|celery).",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"bind address (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="config TOML ([review], [model], [cache], [resilience], [audit]); "
        "REVIEW_BOT_MODEL/OPENAI_* add the agents, REVIEW_BOT_TRANSCRIPTS sets the transcripts",
    )
    parser.add_argument("--reviewer", help=argparse.SUPPRESS)  # module:function, for tests
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build the app from the environment and serve until interrupted."""
    from review_bot.service.server import build_app

    config = ServiceConfig.from_env(os.environ)
    settings = load_settings(args.config, os.environ)
    app = build_app(config, settings, args.reviewer)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="info")
    return 0
