"""``review-bot api-key create|list|revoke``: the review API's keys, for operators.

Keys live in PostgreSQL (``REVIEW_BOT_API_DATABASE_URL``), hashed; ``create`` prints the key
once and it cannot be shown again.
"""

from __future__ import annotations

import argparse
import datetime
import json
from typing import get_args

from review_bot.config.api import ApiConfig, Plan, Role
from review_bot.config.settings import environment
from review_bot.errors import ConfigError, InputError

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``api-key`` subcommand."""
    parser = sub.add_parser(
        "api-key",
        help="create, list or revoke API keys of the review API",
        description="Manage the review API's keys in REVIEW_BOT_API_DATABASE_URL (PostgreSQL).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a key (printed once)")
    create.add_argument("--subject", required=True, help="who or what the key is for")
    create.add_argument("--role", required=True, choices=get_args(Role))
    create.add_argument("--plan", default="standard", choices=get_args(Plan))
    listing = actions.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--json", action="store_true", help="one JSON object per key")
    revoke = actions.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id", help="the key's id (from list) or the whole key")
    parser.set_defaults(handler=run)


def _when(stamp: float | None) -> str:
    if stamp is None:
        return "-"
    return datetime.datetime.fromtimestamp(stamp, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(args: argparse.Namespace) -> int:
    """Run one action against the key store."""
    from review_bot.service.api.keys import KeyStore

    config = ApiConfig.from_env()
    url = config.database_url if config else environment().get("REVIEW_BOT_API_DATABASE_URL")
    if not url:
        raise ConfigError(
            "API keys live in PostgreSQL: set REVIEW_BOT_API_DATABASE_URL "
            "(e.g. postgresql://user@host/db)"
        )
    store = KeyStore(url)
    try:
        if args.action == "create":
            key, row = store.create(args.subject, args.role, args.plan)
            print(key)
            print(f"id {row.id} for {row.subject!r} ({row.role}, {row.plan}); "
                  "this key is not shown again")  # fmt: skip
        elif args.action == "list":
            for row in store.list():
                if args.json:
                    print(json.dumps(row.__dict__))
                    continue
                state = f"revoked {_when(row.revoked_at)}" if row.revoked_at else "live"
                used = _when(row.last_used_at)
                print(f"{row.id}  {row.subject}  {row.role}  {row.plan}  created "
                      f"{_when(row.created_at)}  last used {used}  {state}")  # fmt: skip
        elif not store.revoke(args.key_id):
            raise InputError(f"no live key {args.key_id!r}; `review-bot api-key list` shows them")
        else:
            print(f"revoked {args.key_id}")
    finally:
        store.close()
    return 0
