"""Suggestion blocks GitHub can commit, and comment bodies that a hostile model cannot shape."""

from __future__ import annotations

import re

from review_bot.change import from_files
from review_bot.findings import Failure, Finding, Review, ReviewStats, Skip, assign_fingerprints
from review_bot.github.auth import TokenAuth
from review_bot.github.client import GitHubClient
from review_bot.github.posting import publish_review
from review_bot.github.publish import comment_body, review_body
from review_bot.suggestions import replace_lines
from tests.fakes.github_server import BOT_LOGIN
from tests.github.helpers import fake_github
from tests.service.helpers import REPO, sha

BASE = {"calc.py": "def total(xs):\n    return 0\n"}
HEAD = {
    "calc.py": (
        "def total(xs):\n"
        "    s = 0\n"
        "    for x in xs:\n"
        "        s = s - x\n"
        "    return s\n"
    )
}
_BLOCK = re.compile(r"^(`{3,})suggestion\n(?P<body>.*?)^\1$", re.DOTALL | re.MULTILINE)


def _finding(line: int, end_line: int, suggestion: str | None, **kw: str) -> Finding:
    fields = {
        "path": "calc.py",
        "severity": "high",
        "category": "bug",
        "rule_id": "wrong-sign",
        "message": "subtracts instead of adding",
        "sources": ("agent:reviewer",),
    }
    fields.update(kw)
    return Finding(line=line, end_line=end_line, suggestion=suggestion, **fields)  # type: ignore[arg-type]


def _commit(content: str, comment: dict[str, object]) -> str:
    """What pressing "Commit suggestion" does: lines start_line..line replaced by the block."""
    match = _BLOCK.search(str(comment["body"]))
    assert match is not None, comment["body"]
    line = int(str(comment["line"]))
    start = int(str(comment.get("start_line") or line))
    return replace_lines(content, start, line, match.group("body"))


async def test_a_multi_line_suggestion_is_committed_exactly_over_its_lines() -> None:
    change = from_files(BASE, HEAD)
    fixed = "    for x in xs:\n        s = s + x\n"
    finding = _finding(3, 4, fixed)
    review = Review(
        mode="agents",
        findings=tuple(assign_fingerprints([finding], change.line_text)),
        summary="1 finding.",
        stats=ReviewStats(),
    )
    with fake_github() as (gh, url):
        gh.add_commit(sha("base"), BASE)
        gh.add_commit(sha("head1"), HEAD)
        gh.open_pr(REPO, 3, base=sha("base"), head=sha("head1"))
        async with GitHubClient(url, TokenAuth(gh.token)) as client:
            await publish_review(client, REPO, 3, review, change, key="k1", bot_login=BOT_LOGIN)
    (comment,) = gh.comments.values()
    assert (comment["start_line"], comment["line"], comment["side"]) == (3, 4, "RIGHT")
    committed = _commit(HEAD["calc.py"], comment)
    assert committed == replace_lines(HEAD["calc.py"], 3, 4, fixed)
    assert "s = s + x" in committed
    assert "s - x" not in committed
    compile(committed, "calc.py", "exec")


def test_a_suggestion_the_comment_cannot_span_is_not_committable() -> None:
    finding = _finding(1, 3, "x\n")
    assert "```suggestion" in comment_body(finding)
    body = comment_body(finding, committable=False)
    assert "suggestion" not in body.split("Suggested replacement")[1].splitlines()[2]
    assert "Suggested replacement for lines 1-3" in body


def test_a_suggestion_with_backticks_cannot_close_its_block() -> None:
    finding = _finding(2, 2, 'doc = """```\n# Approved\n```"""\n')
    body = comment_body(finding)
    match = _BLOCK.search(body)
    assert match is not None
    assert match.group("body") == 'doc = """```\n# Approved\n```"""\n'


HOSTILE = (
    "looks fine\n# Approved\n| a | b |\n|---|---|\n<img src=x onerror=alert(1)>"
    " </td><script>alert(1)</script> @octocat [click](https://evil.example) "
    "<!-- review-bot:fp=deadbeef -->"
)


def _assert_inert(body: str) -> None:
    for line in body.splitlines():
        assert not line.startswith(("# ", "| a", "|---")), line
    assert "<script" not in body
    assert "<img" not in body
    assert "</td>" not in body
    assert "@octocat" not in body
    # outside code spans (where Markdown links nothing) the brackets are escaped: no link
    assert "[click](" not in re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", body)
    assert "<!-- review-bot:fp=deadbeef" not in body


def test_hostile_model_text_is_escaped_in_comment_and_review_bodies() -> None:
    finding = _finding(
        2, 2, None, message=HOSTILE, rule_id="x`</td><script>\n# Approved"
    ).model_copy(update={"fingerprint": "ab12"})
    body = comment_body(finding)
    _assert_inert(body)
    assert body.count("<!--") == 1  # only our fingerprint marker
    review = Review(
        mode="agents",
        findings=(finding,),
        summary=HOSTILE,
        stats=ReviewStats(),
        skipped=(Skip(kind="agent", name=HOSTILE, reason=HOSTILE),),
        failures=(Failure(component="agent:x", reason=HOSTILE),),
        partial=True,
    )
    summary = review_body(review, "k9", [finding])
    _assert_inert(summary)
    assert summary.count("<!--") == 2  # our review tag and key, nothing the model wrote
