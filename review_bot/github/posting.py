"""Post a :class:`Review` to a pull request once, in paced batches, and keep it current.

The bot owns one *main* review per PR, whose body carries the job's key (seen → nothing is
posted again). Inline comments go out at most :data:`COMMENTS_PER_REVIEW` per request: the
first batch with the main review, the rest as *part* reviews posted before it (so a crash
between them leaves comments a re-run recognises by fingerprint, never a main review that
claims comments it lacks). A comment GitHub refuses (422 about its position) is found by
halving the batch it was in and goes to the summary alone; other 422s are not position
errors and are raised. A create that got a 5xx or no answer is looked for (by its marker)
before it is sent again. On re-review a comment GitHub still shows on the diff is kept
(GitHub moves it with its line), a fixed finding's thread is resolved (GraphQL), and
nothing is ever deleted, so human replies stay.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from review_bot.change import ChangeSet
from review_bot.findings import Finding, Review
from review_bot.github.client import GitHubClient, GitHubStatusError, GitHubWriteUncertain
from review_bot.github.limits import COMMENTS_PER_REVIEW, fit_comment, fit_review
from review_bot.github.publish import (
    _FP,
    _KEY,
    _REVIEW_TAG,
    PublishResult,
    _placement,
    comment_body,
    review_body,
)
from review_bot.github.threads import resolve_threads, review_threads

__all__ = ["is_position_error", "publish_review"]

log = logging.getLogger(__name__)

_PART_TAG = "<!-- review-bot:part -->"
_POSITION_WORDS = ("line", "position", "diff", "side", "hunk", "pull_request_review_thread")
_CREATE_ATTEMPTS = 2
Spot = dict[str, Any]


def is_position_error(exc: GitHubStatusError) -> bool:
    """A 422 about where a comment goes (not a spam / "too quickly" / body refusal)."""
    detail = exc.detail.lower()
    return exc.status == 422 and any(word in detail for word in _POSITION_WORDS)


async def publish_review(
    gh: GitHubClient,
    repo: str,
    number: int,
    review: Review,
    diff: ChangeSet,
    *,
    key: str,
    bot_login: str,
    overflow_where: str = "the check run's annotations",
) -> PublishResult:
    """Create or update the bot's review on ``repo#number`` for ``review``.

    Args:
        diff: the whole PR diff at the head (decides which lines take inline comments).
        key: identifies this job (repo, PR, head, config); seen in the main body → no-op.
        bot_login: only this user's reviews and comments count as the bot's.
        overflow_where: where what does not fit in the body can be read.
    """
    post = _Poster(gh, repo, number, head=diff.head or "", key=key, bot_login=bot_login)
    reviews = await gh.paginate(post.reviews_path)
    mains = [r for r in reviews if post.ours(r) and _REVIEW_TAG in (r.get("body") or "")]
    if any(key in _KEY.findall(r.get("body") or "") for r in mains):
        return PublishResult(review_id=mains[-1].get("id"), already_posted=True)
    placed = [(f, _placement(f, diff)) for f in review.findings]
    inline = [(f, spot) for f, spot in placed if spot is not None]
    outside = [f for f, spot in placed if spot is None]
    existing, threads = await post.existing_comments()
    fresh, updated, superseded = await post.keep_placed(inline, existing)
    batches = [
        fresh[i : i + COMMENTS_PER_REVIEW] for i in range(0, len(fresh), COMMENTS_PER_REVIEW)
    ]
    first = batches.pop(0) if batches and not mains else []
    rejected: list[Finding] = []
    for batch in batches:
        rejected += await post.part(batch)
    current = {f.fingerprint for f in review.findings}
    gone = [c for fp, c in existing.items() if fp not in current] + superseded
    resolved = await _resolve(gh, repo, gone, threads, post.head)

    def render(extra: Sequence[Finding]) -> str:
        return fit_review(
            review,
            [*outside, *rejected, *extra],
            lambda r, o: review_body(r, key, o),
            where=overflow_where,
        )

    if mains:
        review_id = mains[0].get("id")
        await gh.request("PUT", f"{post.reviews_path}/{review_id}", json={"body": render([])})
    else:
        review_id, refused = await post.main(first, render)
        rejected += refused
    created = len(fresh) - len(rejected)
    return PublishResult(
        review_id=review_id,
        created=created,
        updated=updated,
        resolved=resolved,
        in_summary=len(outside) + len(rejected),
    )


class _Poster:
    """The create calls of one publish, each adopted instead of repeated when it may
    have gone through."""

    def __init__(
        self, gh: GitHubClient, repo: str, number: int, *, head: str, key: str, bot_login: str
    ) -> None:
        self.gh, self.repo, self.number, self.head, self.key = gh, repo, number, head, key
        self.login = bot_login
        self.reviews_path = f"/repos/{repo}/pulls/{number}/reviews"

    def ours(self, item: dict[str, Any]) -> bool:
        user = item.get("user") or {}
        return isinstance(user, dict) and user.get("login") == self.login

    async def keep_placed(
        self, inline: list[tuple[Finding, Spot]], existing: dict[str, dict[str, Any]]
    ) -> tuple[list[tuple[Finding, Spot]], int, list[dict[str, Any]]]:
        """Keep each comment GitHub still shows on the diff (it moves comments with their
        line), editing it when its text changed. Returns the findings that need a new
        comment, how many were edited, and the outdated comments the new ones replace."""
        fresh: list[tuple[Finding, Spot]] = []
        superseded: list[dict[str, Any]] = []
        updated = 0
        for finding, spot in inline:
            old = existing.get(finding.fingerprint)
            if old is None or old.get("line") is None or old.get("path") != spot["path"]:
                fresh.append((finding, spot))
                superseded += [old] if old is not None else []
                continue
            body = fit_comment(finding, comment_body)
            if old.get("body") != body:
                path = f"/repos/{self.repo}/pulls/comments/{old['id']}"
                await self.gh.request("PATCH", path, json={"body": body})
                updated += 1
        return fresh, updated, superseded

    async def existing_comments(self) -> tuple[dict[str, dict[str, Any]], dict[int, str]]:
        """Our live comments by fingerprint (not in resolved threads), and the unresolved
        thread id of each comment id."""
        comments = await self.gh.paginate(f"/repos/{self.repo}/pulls/{self.number}/comments")
        mine = [c for c in comments if self.ours(c) and _FP.search(c.get("body") or "")]
        threads = await review_threads(self.gh, self.repo, self.number) if mine else {}
        existing: dict[str, dict[str, Any]] = {}
        open_threads: dict[int, str] = {}
        for comment in mine:
            match = _FP.search(comment.get("body") or "")
            thread = threads.get(comment["id"])
            if match is None or match.group(2) or (thread is not None and thread[1]):
                continue  # marked resolved, or its thread is resolved
            kept = existing.get(match.group(1))
            if kept is None or (kept.get("line") is None and comment.get("line") is not None):
                existing[match.group(1)] = comment  # a comment still on the diff wins
            if thread is not None:
                open_threads[comment["id"]] = thread[0]
        return existing, open_threads

    async def main(
        self, batch: list[tuple[Finding, Spot]], render: Callable[[Sequence[Finding]], str]
    ) -> tuple[int | None, list[Finding]]:
        """The main review with the first batch; a refused position re-posts that batch as
        parts (found by halving) and the main review without comments."""
        try:
            created = await self._create(render([]), batch)
            return created.get("id"), []
        except GitHubStatusError as exc:
            if not batch or not is_position_error(exc):
                raise
        refused = await self.part(batch)
        created = await self._create(render(refused), [])
        return created.get("id"), refused

    async def part(self, batch: list[tuple[Finding, Spot]]) -> list[Finding]:
        """Post ``batch`` as one part review; the findings GitHub would not place."""
        try:
            await self._create(None, batch)
            return []
        except GitHubStatusError as exc:
            if not is_position_error(exc):
                raise
        if len(batch) > 1:
            mid = len(batch) // 2
            return await self.part(batch[:mid]) + await self.part(batch[mid:])
        finding, spot = batch[0]
        if "start_line" in spot:  # re-anchor a range on its last line alone
            single = {k: v for k, v in spot.items() if k not in ("start_line", "start_side")}
            return await self.part([(finding, single)])
        log.info(
            "%s#%s: GitHub refused %s:%s; listed in the summary",
            self.repo,
            self.number,
            spot["path"],
            spot["line"],
        )
        return [finding]

    async def _create(self, body: str | None, batch: list[tuple[Finding, Spot]]) -> dict[str, Any]:
        comments = [{**spot, "body": fit_comment(f, comment_body)} for f, spot in batch]
        marker = hashlib.sha256(
            "\x1f".join([self.key, *(f.fingerprint for f, _ in batch)]).encode()
        ).hexdigest()[:24]
        text = (
            body
            if body is not None
            else (
                f"{_PART_TAG}\nReview Bot: {len(comments)} more inline comment(s) "
                f"(GitHub takes about {COMMENTS_PER_REVIEW} per review)."
            )
        )
        payload = {
            "commit_id": self.head,
            "event": "COMMENT",
            "body": f"{text}\n<!-- review-bot:post={marker} -->",
            "comments": comments,
        }
        for attempt in range(_CREATE_ATTEMPTS):
            try:
                return dict((await self.gh.request("POST", self.reviews_path, json=payload)).json())
            except GitHubWriteUncertain:
                adopted = await self._find(marker)
                if adopted is not None:
                    log.info(
                        "%s#%s: review created despite the error; adopted", self.repo, self.number
                    )
                    return adopted
                if attempt + 1 == _CREATE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def _find(self, marker: str) -> dict[str, Any] | None:
        needle = f"<!-- review-bot:post={marker} -->"
        for item in await self.gh.paginate(self.reviews_path):
            if self.ours(item) and needle in (item.get("body") or ""):
                return dict(item)
        return None


async def _resolve(
    gh: GitHubClient,
    repo: str,
    gone: list[dict[str, Any]],
    threads: dict[int, str],
    head: str,
) -> int:
    """Resolve the threads of fixed findings (or, without GraphQL, say so in the comment)."""
    resolved = await resolve_threads(gh, [threads[c["id"]] for c in gone if c["id"] in threads])
    for old in (c for c in gone if c["id"] not in threads):
        await _mark_resolved(gh, repo, old, head)
        resolved += 1
    return resolved


async def _mark_resolved(gh: GitHubClient, repo: str, old: dict[str, Any], head: str) -> None:
    match = _FP.search(old.get("body") or "")
    fp = match.group(1) if match else ""
    text = _FP.sub(f"<!-- review-bot:fp={fp} resolved -->", old.get("body") or "", count=1)
    text += f"\n\n✅ Resolved: no longer found at {head[:12]}."
    await gh.request("PATCH", f"/repos/{repo}/pulls/comments/{old['id']}", json={"body": text})
