"""The check run on the PR's head: conclusion, summary, and every finding as an annotation.

Annotations carry what does not fit inline (findings outside the diff, beyond the body's
size): GitHub takes 50 per request, so the run is created with the first 50 and updated
with the rest, 50 at a time. Check runs need App auth; a token (PAT) gets a commit status
instead. A job that cannot be reviewed or posted ends with a failing check run saying why.
"""

from __future__ import annotations

from typing import Any

from review_bot.findings import Finding, Review, Severity, severity_at_least
from review_bot.github.client import GitHubClient, GitHubStatusError, GitHubWriteUncertain
from review_bot.github.limits import ANNOTATIONS_PER_REQUEST, CHECK_TEXT_LIMIT, fit_text

__all__ = ["annotation", "post_check_run", "post_failure_check"]

_LEVEL = {"critical": "failure", "high": "failure", "medium": "warning"}
_TITLE_LIMIT = 255
_MESSAGE_LIMIT = 60_000
_STATUS_DESCRIPTION = 140


def annotation(finding: Finding) -> dict[str, Any]:
    """A check-run annotation for ``finding`` (any line of the file at the head)."""
    return {
        "path": finding.path,
        "start_line": finding.line,
        "end_line": finding.end_line,
        "annotation_level": _LEVEL.get(finding.severity, "notice"),
        "title": f"{finding.severity} · {finding.rule_id}"[:_TITLE_LIMIT],
        "message": fit_text(finding.message, _MESSAGE_LIMIT, "the JSON or SARIF output"),
    }


async def post_check_run(
    gh: GitHubClient,
    repo: str,
    head: str,
    review: Review,
    *,
    name: str,
    fail_on: Severity,
    external_id: str = "",
) -> int | None:
    """A completed check run with every finding annotated (a commit status when the
    credentials cannot make check runs); the run's id, None for a status."""
    failing = any(severity_at_least(f.severity, fail_on) for f in review.findings)
    conclusion = "failure" if failing else "success"
    title = f"{len(review.findings)} finding(s)" + (" (partial)" if review.partial else "")
    notes = [f"- {s.kind} `{s.name}`: {s.reason}" for s in review.skipped]
    output = {
        "title": title,
        "summary": fit_text(review.summary, CHECK_TEXT_LIMIT, "the review's JSON output"),
        "text": fit_text(
            "\n".join(["**Not reviewed:**", *notes])
            if notes
            else "Every changed file was reviewed.",
            CHECK_TEXT_LIMIT,
            "the review's JSON output",
        ),
    }
    notes_all = [annotation(f) for f in review.findings]
    batches = [
        notes_all[i : i + ANNOTATIONS_PER_REQUEST]
        for i in range(0, len(notes_all), ANNOTATIONS_PER_REQUEST)
    ] or [[]]
    payload = {
        "name": name,
        "head_sha": head,
        "status": "completed",
        "conclusion": conclusion,
        "output": {**output, "annotations": batches[0]},
    }
    if external_id:
        payload["external_id"] = external_id
    run_id = await _create_run(gh, repo, head, payload)
    if run_id is None:
        await _status(gh, repo, head, conclusion, name=name, title=title)
        return None
    for batch in batches[1:]:
        await gh.request(
            "PATCH",
            f"/repos/{repo}/check-runs/{run_id}",
            json={"output": {**output, "annotations": batch}},
        )
    return run_id


async def post_failure_check(
    gh: GitHubClient, repo: str, head: str, *, name: str, reason: str
) -> None:
    """A failing check run (or status) saying the review could not be done, and why."""
    title = "Review Bot could not review this commit"
    payload = {
        "name": name,
        "head_sha": head,
        "status": "completed",
        "conclusion": "failure",
        "output": {"title": title, "summary": fit_text(reason, CHECK_TEXT_LIMIT, "the logs")},
    }
    if await _create_run(gh, repo, head, payload) is None:
        await _status(gh, repo, head, "error", name=name, title=f"{title}: {reason}")


async def _create_run(
    gh: GitHubClient, repo: str, head: str, payload: dict[str, Any]
) -> int | None:
    """POST the check run; None when the credentials cannot make check runs (403/404).

    A create that may have gone through is looked for by its ``external_id`` first."""
    try:
        response = await gh.request("POST", f"/repos/{repo}/check-runs", json=payload)
    except GitHubWriteUncertain:
        found = await _find_run(gh, repo, head, payload)
        if found is not None:
            return found
        response = await gh.request("POST", f"/repos/{repo}/check-runs", json=payload)
    except GitHubStatusError as exc:
        if exc.status not in (403, 404):
            raise
        return None
    run_id = response.json().get("id")
    return int(run_id) if isinstance(run_id, int) else None


async def _find_run(gh: GitHubClient, repo: str, head: str, payload: dict[str, Any]) -> int | None:
    if not payload.get("external_id"):
        return None
    data = await gh.get_json(
        f"/repos/{repo}/commits/{head}/check-runs", params={"check_name": payload["name"]}
    )
    for run in data.get("check_runs", []) if isinstance(data, dict) else []:
        if run.get("external_id") == payload["external_id"] and isinstance(run.get("id"), int):
            return int(run["id"])
    return None


async def _status(
    gh: GitHubClient, repo: str, head: str, state: str, *, name: str, title: str
) -> None:
    await gh.request(
        "POST",
        f"/repos/{repo}/statuses/{head}",
        json={"state": state, "context": name, "description": title[:_STATUS_DESCRIPTION]},
        idempotent=True,  # a status is a state of the commit: setting it twice is harmless
    )
