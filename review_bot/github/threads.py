"""Review threads through GitHub's GraphQL API: which threads exist, and resolving them.

REST has no call to resolve a review thread; GraphQL's ``resolveReviewThread`` does it, so a
fixed finding's thread collapses as "Resolved" with its replies kept, instead of its comment
being edited or deleted.
"""

from __future__ import annotations

import logging
from typing import Any

from review_bot.errors import GitHubError
from review_bot.github.client import GitHubClient

__all__ = ["resolve_threads", "review_threads"]

log = logging.getLogger(__name__)

_MAX_PAGES = 20
_THREADS = """query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes { id isResolved comments(first: 1) { nodes { databaseId } } }
      }
    }
  }
}"""
_RESOLVE = """mutation($id: ID!) {
  resolveReviewThread(input: {threadId: $id}) { thread { id isResolved } }
}"""


async def _graphql(
    gh: GitHubClient, query: str, variables: dict[str, Any], *, read: bool
) -> dict[str, Any]:
    response = await gh.request(
        "POST",
        gh.graphql_url,
        json={"query": query, "variables": variables},
        idempotent=True if read else None,
    )
    data = response.json()
    if not isinstance(data, dict) or data.get("errors") or not isinstance(data.get("data"), dict):
        errors = data.get("errors") if isinstance(data, dict) else data
        raise GitHubError(f"GraphQL answered with errors: {str(errors)[:200]}")
    result: dict[str, Any] = data["data"]
    return result


async def review_threads(gh: GitHubClient, repo: str, number: int) -> dict[int, tuple[str, bool]]:
    """``{first comment's id: (thread id, resolved)}`` for every review thread of the PR;
    empty (and logged) when GraphQL is not available to us."""
    owner, name = repo.split("/", 1)
    out: dict[int, tuple[str, bool]] = {}
    cursor: str | None = None
    try:
        for _ in range(_MAX_PAGES):
            data = await _graphql(
                gh,
                _THREADS,
                {"owner": owner, "name": name, "number": number, "cursor": cursor},
                read=True,
            )
            threads = data["repository"]["pullRequest"]["reviewThreads"]
            for node in threads["nodes"]:
                first = node["comments"]["nodes"]
                if first and isinstance(first[0].get("databaseId"), int):
                    out[first[0]["databaseId"]] = (str(node["id"]), bool(node["isResolved"]))
            if not threads["pageInfo"]["hasNextPage"]:
                break
            cursor = threads["pageInfo"]["endCursor"]
    except (GitHubError, KeyError, TypeError) as exc:
        log.warning("%s#%s: review threads unavailable (%s)", repo, number, exc)
        return {}
    return out


async def resolve_threads(gh: GitHubClient, thread_ids: list[str]) -> int:
    """Resolve each thread; the number resolved."""
    done = 0
    for thread_id in thread_ids:
        await _graphql(gh, _RESOLVE, {"id": thread_id}, read=False)
        done += 1
    return done
