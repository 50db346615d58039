"""``review-bot serve``: the GitHub webhook service (ASGI on uvicorn)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from review_bot.config.api import ApiConfig
from review_bot.config.logs import LogConfig
from review_bot.config.service import (
    ServiceConfig,
    export_serve_worker_args,
    serve_worker_args,
)
from review_bot.config.settings import load_settings
from review_bot.errors import ConfigError
from review_bot.logs import configure_logging

if TYPE_CHECKING:
    from starlette.types import ASGIApp

__all__ = ["app_from_env", "register", "run", "uvicorn_options"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
# how the parent hands --config/--reviewer to its uvicorn worker processes


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand."""
    parser = sub.add_parser(
        "serve",
        help="run the GitHub webhook service",
        description="Serve POST /webhooks/github, /health, /ready and /metrics. Settings come "
        "from GITHUB_WEBHOOK_SECRET, GITHUB_TOKEN+GITHUB_BOT_LOGIN or "
        "GITHUB_APP_ID+GITHUB_APP_PRIVATE_KEY, GITHUB_API_URL, REDIS_URL, REVIEW_BOT_QUEUE "
        "(embedded|celery) and REVIEW_BOT_FORK_POLICY (tools-only|skip).",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"bind address (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="web server processes sharing the port (more than one needs REDIS_URL, "
        "where they share delivery dedup; one process acknowledges about 4,000 deliveries/s "
        "with the Celery queue on this 2-core machine)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="config TOML ([review], [model], [cache], [resilience], [audit]); "
        "REVIEW_BOT_MODEL/OPENAI_* add the agents, REVIEW_BOT_TRANSCRIPTS sets the transcripts",
    )
    parser.add_argument("--reviewer", help=argparse.SUPPRESS)  # module:function, for tests
    parser.set_defaults(handler=run)


def _build(config_path: Path | None, reviewer: str | None) -> ASGIApp:
    from review_bot.service.server import build_app

    config = ServiceConfig.from_env()
    settings = load_settings(config_path)
    log_access = LogConfig.from_env().access_log
    return build_app(
        config, settings, reviewer, ApiConfig.from_env(), log_access=log_access
    )


def uvicorn_options(host: str, port: int) -> dict[str, object]:
    """uvicorn's settings: its own access log off (ours is one line per request in our
    format, from ``service/observe.py``) and no logging config of its own, so its startup
    and error lines reach our handler (JSON when configured) instead of its text handlers."""
    return {"host": host, "port": port, "access_log": False, "log_config": None}


def app_from_env() -> ASGIApp:
    """The app inside a uvicorn worker process (``--workers`` > 1), from the parent's args.

    A worker process is a fresh interpreter: it sets up logging itself, or its lines
    (access log included) would reach no handler.
    """
    configure_logging(LogConfig.from_env())
    args = serve_worker_args()
    path = args.get("config")
    return _build(Path(path) if path else None, args.get("reviewer"))


def run(args: argparse.Namespace) -> int:
    """Build the app from the environment and serve until interrupted."""
    configure_logging(LogConfig.from_env())
    options: dict[str, Any] = uvicorn_options(args.host, args.port)
    if args.workers <= 1:
        uvicorn.run(_build(args.config, args.reviewer), **options)
        return 0
    config = ServiceConfig.from_env()
    if not config.redis_url:
        raise ConfigError(
            f"--workers {args.workers} needs REDIS_URL: without it each process would keep "
            "its own delivery dedup and queue; set REDIS_URL or use --workers 1"
        )
    _build(args.config, args.reviewer)  # fail here, once, on a bad configuration
    export_serve_worker_args(
        {"config": str(args.config) if args.config else None, "reviewer": args.reviewer}
    )
    uvicorn.run(
        "review_bot.cli.serve:app_from_env",
        factory=True,
        workers=args.workers,
        **options,
    )
    return 0
