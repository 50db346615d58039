"""End to end on loopback: fake GitHub, real Redis, ``review-bot serve`` + ``review-bot worker``.

Needs Redis on 127.0.0.1:6379 (fails, not skips, without it). Every run uses its own key
prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.fakes.github_server import FakeGitHub, serve_fake_github
from tests.service.helpers import BASE_TREE, HEAD_TREE, REPO, pr_payload, sha, signed
from tests.service.stack import REDIS_URL, Stack, deliver, ready, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    redis.Redis.from_url(REDIS_URL).ping()  # fail loudly without Redis
    gh = FakeGitHub()
    gh.add_commit(sha("base"), BASE_TREE)
    gh.add_commit(sha("head1"), HEAD_TREE)
    with serve_fake_github(gh) as api:
        s = Stack(gh, api, tmp_path_factory.mktemp("e2e"))
        try:
            s.start("serve", "--port", str(s.port))
            s.worker()
            wait_for(lambda: ready(s.url), what="review-bot serve /ready")
            yield s
        finally:
            s.stop()


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_opened_delivered_fifty_times_posts_one_review_with_inline_comments(stack: Stack) -> None:
    stack.gh.open_pr(REPO, 11, base=sha("base"), head=sha("head1"))
    statuses = deliver(
        stack, pr_payload("opened", sha("head1"), number=11), "pull_request", "e2e-1", 50
    )
    assert statuses.count(202) == 1
    assert set(statuses) <= {200, 202}
    wait_for(lambda: stack.reviews_for(11), what="the review")
    stack.wait_idle()  # every accepted job has run: a duplicate would be posted by now
    assert len(stack.reviews_for(11)) == 1
    spots = sorted((c["path"], c["line"]) for c in stack.gh.live_comments() if c["number"] == 11)
    assert spots == [("app.py", 5), ("util.py", 2)]


def test_synchronize_reviews_only_the_changed_file_and_updates_comments(stack: Stack) -> None:
    stack.gh.open_pr(REPO, 12, base=sha("base"), head=sha("head1"))
    deliver(stack, pr_payload("opened", sha("head1"), number=12), "pull_request", "e2e-2a")
    wait_for(lambda: stack.reviews_for(12), what="the first review")
    stack.gh.add_commit(sha("head2"), {**HEAD_TREE, "util.py": "def helper():\n    return 2\n"})
    stack.gh.push(REPO, 12, sha("head2"))
    payload = pr_payload("synchronize", sha("head2"), number=12, before=sha("head1"))
    assert deliver(stack, payload, "pull_request", "e2e-2b") == [202]
    wait_for(lambda: sha("head2") in stack.log.read_text(), what="the second review")
    wait_for(
        lambda: "earlier finding" in stack.reviews_for(12)[0]["body"], what="the updated summary"
    )
    line = next(x for x in stack.log.read_text().splitlines() if sha("head2") in x)
    assert '"paths": ["util.py"]' in line
    assert len(stack.reviews_for(12)) == 1
    active = [
        c for c in stack.gh.live_comments() if c["number"] == 12 and "resolved" not in c["body"]
    ]
    assert [(c["path"], c["line"]) for c in active] == [("app.py", 5)]


def test_a_worker_killed_mid_review_leads_to_exactly_one_review(stack: Stack) -> None:
    stack.gh.open_pr(REPO, 13, base=sha("base"), head=sha("head1"))
    stack.block.write_text("hold")
    started = Path(str(stack.block) + ".started")
    started.unlink(missing_ok=True)
    assert deliver(
        stack, pr_payload("opened", sha("head1"), number=13), "pull_request", "e2e-3"
    ) == [202]
    wait_for(started.exists, what="the review to start")
    victim = next(p for p in stack.procs if p.args[3] == "worker" and p.poll() is None)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    assert stack.reviews_for(13) == []
    assert not stack.queue_idle()  # the dead worker's job is still owed (unacked or requeued)
    stack.block.unlink()
    stack.worker()
    wait_for(lambda: stack.reviews_for(13), timeout=60, what="the redelivered review")
    stack.wait_idle()
    assert len(stack.reviews_for(13)) == 1


def test_bad_signature_and_huge_body_are_refused_by_the_server(stack: Stack) -> None:
    body, headers = signed(pr_payload("opened", sha("head1"), number=14), "pull_request", "e2e-4")
    headers["x-hub-signature-256"] = "sha256=" + "0" * 64
    assert (
        httpx.post(stack.url + "/webhooks/github", content=body, headers=headers).status_code == 401
    )
    # 30 MB declared, 1 MB sent: the answer comes without the rest of the body
    with socket.create_connection(("127.0.0.1", stack.port), timeout=10) as sock:
        head = (
            "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {30 * 1024 * 1024}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"x" * (1024 * 1024))
        assert sock.recv(100).startswith(b"HTTP/1.1 413")
