"""GitHub: the REST client, App auth, reading pull requests, and posting reviews."""

from review_bot.github.auth import AppAuth, Auth, TokenAuth, app_jwt
from review_bot.github.checks import post_check_run, post_failure_check
from review_bot.github.client import GitHubClient, GitHubRateLimited, GitHubStatusError, make_auth
from review_bot.github.posting import publish_review
from review_bot.github.publish import PublishResult
from review_bot.github.pulls import (
    ChangedFile,
    PullRequest,
    build_change,
    changed_since,
    fetch_files,
    fetch_pull,
    has_write_access,
    read_repo_config,
)

__all__ = [
    "AppAuth",
    "Auth",
    "ChangedFile",
    "GitHubClient",
    "GitHubRateLimited",
    "GitHubStatusError",
    "PublishResult",
    "PullRequest",
    "TokenAuth",
    "app_jwt",
    "build_change",
    "changed_since",
    "fetch_files",
    "fetch_pull",
    "has_write_access",
    "make_auth",
    "post_check_run",
    "post_failure_check",
    "publish_review",
    "read_repo_config",
]
