"""Post a :class:`Review` to a pull request, once, and keep it up to date on re-review.

The bot owns exactly one PR review. Each inline comment carries its finding's fingerprint
in a hidden HTML comment, the review body carries the job's key: so a re-run of the same
job sees the key and posts nothing, and a re-review edits, moves, adds and resolves
comments by fingerprint instead of piling up a second review. Lines GitHub will not accept
(outside the diff, or refused with 422) are listed in the summary instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from review_bot.change import ChangeSet
from review_bot.findings import Finding, Review, Severity, severity_at_least
from review_bot.github.client import GitHubClient, GitHubStatusError
from review_bot.render._escape import code, fence, inline

__all__ = ["PublishResult", "comment_body", "post_check_run", "publish_review", "review_body"]

log = logging.getLogger(__name__)

_REVIEW_TAG = "<!-- review-bot:review -->"
_KEY = re.compile(r"<!-- review-bot:key=([0-9a-f]+) -->")
_FP = re.compile(r"<!-- review-bot:fp=([0-9a-f]+)( resolved)? -->")
_ICON = {"critical": "🛑", "high": "🔴", "medium": "🟠", "low": "🟡", "info": "🔵"}


class PublishResult(BaseModel):
    """What publishing did (``already_posted``: the job's key was found, nothing sent)."""

    model_config = ConfigDict(frozen=True)

    review_id: int | None = None
    already_posted: bool = False
    created: int = 0
    updated: int = 0
    resolved: int = 0
    in_summary: int = 0


def comment_body(finding: Finding, *, committable: bool = True) -> str:
    """The inline comment for a finding, with its fingerprint hidden at the top.

    Everything from a tool or a model is escaped (no HTML, headings, tables or mentions).
    The suggestion is a committable ```` ```suggestion ```` block only when the comment spans
    exactly the finding's lines (``committable``); otherwise it is shown as plain code.
    """
    sources = ", ".join(finding.sources)
    lines = [
        f"<!-- review-bot:fp={finding.fingerprint} -->",
        f"{_ICON[finding.severity]} **{finding.severity}** · {finding.category} · "
        f"{code(finding.rule_id)}",
        "",
        inline(finding.message),
    ]
    lines += _suggestion_block(finding, committable)
    lines += ["", f"<sub>{inline(sources)}</sub>"]
    return "\n".join(lines)


def _suggestion_block(finding: Finding, committable: bool) -> list[str]:
    if finding.suggestion is None:
        return []
    replacement = finding.suggestion.splitlines()
    if committable:
        return ["", *fence(replacement, "suggestion")]
    where = f"lines {finding.line}-{finding.end_line}"
    return ["", f"Suggested replacement for {where}:", "", *fence(replacement)]


def _covers(finding: Finding, spot: dict[str, Any]) -> bool:
    """True when the comment at ``spot`` spans exactly the finding's lines."""
    return (spot.get("start_line", spot["line"]), spot["line"]) == (finding.line, finding.end_line)


def review_body(review: Review, key: str, outside: Iterable[Finding]) -> str:
    """The review's summary, listing findings that could not be placed on a diff line."""
    lines = [_REVIEW_TAG, "### Review Bot", "", inline(review.summary)]
    rest = list(outside)
    if rest:
        lines += ["", "**Findings outside the diff's commentable lines:**", ""]
        lines += [
            f"- {_ICON[f.severity]} {code(f'{f.path}:{f.line}')} **{f.severity}** "
            f"{code(f.rule_id)}: {inline(f.message)}"
            for f in rest
        ]
    if review.skipped:
        lines += ["", "<details><summary>Not reviewed</summary>", ""]
        lines += [f"- {s.kind} {code(s.name)}: {inline(s.reason)}" for s in review.skipped]
        lines += ["", "</details>"]
    if review.partial:
        failed = ", ".join(sorted({f.component for f in review.failures}))
        lines += ["", f"_Partial review: {inline(failed)} failed._"]
    lines += ["", f"<!-- review-bot:key={key} -->"]
    return "\n".join(lines)


def _placement(finding: Finding, diff: ChangeSet) -> dict[str, Any] | None:
    """Where GitHub accepts the comment (RIGHT side lines shown in the diff), or None."""
    f = diff.file(finding.path)
    if f is None:
        return None
    valid = f.added_lines | f.context_lines
    if finding.line not in valid:
        return None
    spot: dict[str, Any] = {"path": finding.path, "side": "RIGHT", "line": finding.line}
    if finding.end_line > finding.line and all(
        n in valid for n in range(finding.line, finding.end_line + 1)
    ):
        spot.update(start_line=finding.line, start_side="RIGHT", line=finding.end_line)
    return spot


async def publish_review(
    gh: GitHubClient,
    repo: str,
    number: int,
    review: Review,
    diff: ChangeSet,
    *,
    key: str,
    bot_login: str | None = None,
) -> PublishResult:
    """Create or update the bot's single review on ``repo#number`` for ``review``.

    Args:
        diff: the whole PR diff at the head (decides which lines take inline comments).
        key: identifies this job (repo, PR, head, config); seen in the review body → no-op.
        bot_login: when set, only that user's reviews/comments count as the bot's.
    """
    head = diff.head or ""
    reviews = await gh.paginate(f"/repos/{repo}/pulls/{number}/reviews")
    ours = [r for r in reviews if _is_ours(r, bot_login) and _REVIEW_TAG in (r.get("body") or "")]
    if any(key in _KEY.findall(r.get("body") or "") for r in ours):
        return PublishResult(review_id=ours[-1].get("id"), already_posted=True)
    placed = [(f, _placement(f, diff)) for f in review.findings]
    inline = [(f, spot) for f, spot in placed if spot is not None]
    outside = [f for f, spot in placed if spot is None]
    if not ours:
        return await _first_review(
            gh, repo, number, review=review, head=head, key=key, inline=inline, outside=outside
        )
    return await _update_review(
        gh,
        repo,
        number,
        review=review,
        head=head,
        key=key,
        inline=inline,
        outside=outside,
        previous=ours[0],
        bot_login=bot_login,
    )


async def _first_review(
    gh: GitHubClient,
    repo: str,
    number: int,
    *,
    review: Review,
    head: str,
    key: str,
    inline: list[tuple[Finding, dict[str, Any]]],
    outside: list[Finding],
) -> PublishResult:
    comments = [
        {**spot, "body": comment_body(f, committable=_covers(f, spot))} for f, spot in inline
    ]
    payload = {"commit_id": head, "event": "COMMENT", "comments": comments}
    path = f"/repos/{repo}/pulls/{number}/reviews"
    try:
        body = review_body(review, key, outside)
        response = await gh.request("POST", path, json={**payload, "body": body})
    except GitHubStatusError as exc:
        if exc.status != 422 or not comments:
            raise
        log.warning("%s#%s: GitHub refused inline positions (422); summary only", repo, number)
        everything = [f for f, _ in inline] + outside
        body = review_body(review, key, everything)
        response = await gh.request("POST", path, json={**payload, "comments": [], "body": body})
        return PublishResult(review_id=response.json().get("id"), in_summary=len(everything))
    return PublishResult(
        review_id=response.json().get("id"), created=len(comments), in_summary=len(outside)
    )


async def _update_review(
    gh: GitHubClient,
    repo: str,
    number: int,
    *,
    review: Review,
    head: str,
    key: str,
    inline: list[tuple[Finding, dict[str, Any]]],
    outside: list[Finding],
    previous: dict[str, Any],
    bot_login: str | None,
) -> PublishResult:
    existing: dict[str, dict[str, Any]] = {}
    for comment in await gh.paginate(f"/repos/{repo}/pulls/{number}/comments"):
        match = _FP.search(comment.get("body") or "")
        if match and not match.group(2) and _is_ours(comment, bot_login):
            existing.setdefault(match.group(1), comment)
    created = updated = resolved = 0
    current = {f.fingerprint for f, _ in inline} | {f.fingerprint for f in outside}
    for finding, spot in inline:
        body = comment_body(finding, committable=_covers(finding, spot))
        old = existing.get(finding.fingerprint)
        if old is not None and old.get("path") == spot["path"] and old.get("line") == spot["line"]:
            if old.get("body") != body:
                await gh.request(
                    "PATCH", f"/repos/{repo}/pulls/comments/{old['id']}", json={"body": body}
                )
                updated += 1
            continue
        if old is not None:  # the finding moved: its old thread would point at the wrong line
            await gh.request("DELETE", f"/repos/{repo}/pulls/comments/{old['id']}")
        try:
            await gh.request(
                "POST",
                f"/repos/{repo}/pulls/{number}/comments",
                json={**spot, "commit_id": head, "body": body},
            )
            created += 1
        except GitHubStatusError as exc:
            if exc.status != 422:
                raise
            outside.append(finding)
    for fp, old in existing.items():
        if fp in current:
            continue
        text = _FP.sub(f"<!-- review-bot:fp={fp} resolved -->", old.get("body") or "", count=1)
        text = text + f"\n\n✅ Resolved: no longer found at {head[:12]}."
        await gh.request("PATCH", f"/repos/{repo}/pulls/comments/{old['id']}", json={"body": text})
        resolved += 1
    await gh.request(
        "PUT",
        f"/repos/{repo}/pulls/{number}/reviews/{previous['id']}",
        json={"body": review_body(review, key, outside)},
    )
    return PublishResult(
        review_id=previous.get("id"),
        created=created,
        updated=updated,
        resolved=resolved,
        in_summary=len(outside),
    )


async def post_check_run(
    gh: GitHubClient, repo: str, head: str, review: Review, *, name: str, fail_on: Severity
) -> None:
    """A completed check run on the head (a commit status when the token cannot make checks)."""
    failing = any(severity_at_least(f.severity, fail_on) for f in review.findings)
    conclusion = "failure" if failing else "success"
    title = f"{len(review.findings)} finding(s)" + (" (partial)" if review.partial else "")
    try:
        await gh.request(
            "POST",
            f"/repos/{repo}/check-runs",
            json={
                "name": name,
                "head_sha": head,
                "status": "completed",
                "conclusion": conclusion,
                "output": {"title": title, "summary": inline(review.summary)[:65_000]},
            },
        )
    except GitHubStatusError as exc:
        if exc.status not in (403, 404):
            raise
        await gh.request(
            "POST",
            f"/repos/{repo}/statuses/{head}",
            json={"state": conclusion, "context": name, "description": title[:140]},
        )


def _is_ours(item: dict[str, Any], bot_login: str | None) -> bool:
    if bot_login is None:
        return True
    user = item.get("user") or {}
    return isinstance(user, dict) and user.get("login") == bot_login
