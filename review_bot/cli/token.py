"""``review-bot token``: mint a review-API token (JWT HS256 signed with ``API_SECRET_KEY``)."""

from __future__ import annotations

import argparse
from typing import get_args

from review_bot.config.api import ApiConfig, Plan, Role
from review_bot.errors import ConfigError

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``token`` subcommand."""
    parser = sub.add_parser(
        "token",
        help="mint a token for the review API",
        description="Print a JWT for SUBJECT with ROLE, signed with API_SECRET_KEY; its "
        "lifetime is --ttl or REVIEW_BOT_API_TOKEN_TTL_S.",
    )
    parser.add_argument("--subject", required=True, help="who the token is for (claim sub)")
    parser.add_argument("--role", required=True, choices=get_args(Role))
    parser.add_argument("--plan", default="standard", choices=get_args(Plan))
    parser.add_argument("--ttl", type=int, help="seconds until it expires")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the token."""
    from review_bot.service.api.auth import mint_token

    config = ApiConfig.from_env()
    if config is None:
        raise ConfigError("set API_SECRET_KEY (the key the server checks tokens with)")
    ttl = args.ttl if args.ttl is not None else config.token_ttl_s
    if ttl <= 0:
        raise ConfigError(f"--ttl {ttl} must be a positive number of seconds")
    print(
        mint_token(
            config.secret_bytes(), sub=args.subject, role=args.role, plan=args.plan, ttl_s=ttl
        )
    )
    return 0
