"""``POST /v1/reviews`` with ``repo_url`` + ``base`` + ``head``: a real repository fetched
over git's dumb HTTP protocol from a static file server on loopback."""

from __future__ import annotations

import asyncio
import functools
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.service.api.apistack import (
    ApiStack,
    ScriptedReviewer,
    api_config,
    start_stack,
    stop_stack,
)

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": "/nonexistent",
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin",
}  # fmt: skip


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def forge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """A bare repository served on loopback; (its URL, the base commit, the head branch)."""
    root = tmp_path_factory.mktemp("forge")
    base = _bare_repo(root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/repo.git", base, "feature"
    server.shutdown()
    server.server_close()


def _bare_repo(root: Path) -> str:
    """``root/repo.git``, ready for dumb HTTP: main (the base commit, returned) and feature."""
    work = root / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "app.py").write_text("def run(x):\n    return x\n")
    git(work, "add", "app.py")
    git(work, "commit", "-q", "-m", "base")
    base = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "-q", "-b", "feature")
    (work / "app.py").write_text("def run(x):\n    y = eval(x)\n    return y\n")
    git(work, "commit", "-q", "-am", "head")
    git(root, "clone", "-q", "--bare", str(work), "repo.git")
    git(root / "repo.git", "update-server-info")
    return base


@pytest.fixture
async def on_forge(forge: tuple[str, str, str]) -> AsyncIterator[ApiStack]:
    host = forge[0].split("/")[2]
    running = await start_stack(api_config(forges=(host,)), ScriptedReviewer())
    yield running[0]
    await stop_stack(*running)


async def post(stack: ApiStack, body: dict[str, Any]) -> Any:
    return await stack.client.post("/v1/reviews", json=body, headers=stack.auth())


async def test_a_repository_is_fetched_and_its_change_reviewed(
    on_forge: ApiStack, forge: tuple[str, str, str]
) -> None:
    url, base, head = forge
    answer = await post(on_forge, {"repo_url": url, "base": base, "head": head})
    assert answer.status_code == 202, answer.text
    record = await on_forge.finished(answer.json()["id"])
    assert record["status"] == "done", record
    assert [(f["path"], f["line"]) for f in record["review"]["findings"]] == [("app.py", 2)]
    change = await on_forge.client.get(
        f"/v1/reviews/{record['id']}/change", headers=on_forge.auth()
    )
    assert [f["path"] for f in change.json()["files"]] == ["app.py"]


@pytest.mark.parametrize("missing", ["no-such-branch", "ab" * 20])
async def test_an_unknown_ref_fails_the_review_naming_it(
    on_forge: ApiStack, forge: tuple[str, str, str], missing: str
) -> None:
    url, base, _ = forge
    answer = await post(on_forge, {"repo_url": url, "base": base, "head": missing})
    assert answer.status_code == 202, answer.text
    record = await on_forge.finished(answer.json()["id"])
    assert record["status"] == "failed"
    assert f"unknown ref {missing!r}" in record["error"]


async def test_an_unreachable_forge_fails_the_review(forge: tuple[str, str, str]) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    running = await start_stack(api_config(forges=(f"127.0.0.1:{port}",)), ScriptedReviewer())
    try:
        stack = running[0]
        url = f"http://127.0.0.1:{port}/repo.git"
        answer = await post(stack, {"repo_url": url, "base": forge[1], "head": forge[2]})
        record = await stack.finished(answer.json()["id"])
        assert record["status"] == "failed"
        assert "unreachable" in record["error"]
    finally:
        await stop_stack(*running)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"repo_url": "https://evil.example/o/r.git"}, "repo_url"),
        ({"repo_url": "http://example.com/o/r.git"}, "repo_url"),
        ({"repo_url": "https://user:pw@{host}/repo.git"}, "repo_url"),
        ({"repo_url": "https://{host}/repo.git?x=1"}, "repo_url"),
        ({"repo_url": "https://{host}/repo.git#frag"}, "repo_url"),
        ({"head": "--upload-pack=touch /tmp/x"}, "head"),
        ({"base": "main..feature"}, "base"),
        ({"head": "a\x01b"}, "head"),
        ({"base": None}, "base"),
        ({"diff": "diff --git a/x b/x\n"}, "repo_url"),
    ],
)
async def test_a_bad_source_is_refused_naming_the_field(
    on_forge: ApiStack, forge: tuple[str, str, str], body: dict[str, Any], field: str
) -> None:
    url, base, head = forge
    host = url.split("/")[2]
    full = {"repo_url": url, "base": base, "head": head, **body}
    full["repo_url"] = full["repo_url"].format(host=host)
    answer = await post(on_forge, {k: v for k, v in full.items() if v is not None})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field, answer.json()


async def test_the_openapi_document_describes_the_repository_fields(on_forge: ApiStack) -> None:
    document = (await on_forge.client.get("/v1/openapi.json")).json()
    fields = document["components"]["schemas"]["ReviewRequest"]["properties"]
    assert {"repo_url", "base", "head", "diff"} <= set(fields)
    assert "repo_url" in document["paths"]["/v1/reviews"]["post"]["description"]


def test_the_fetch_limits_come_from_the_environment() -> None:
    from review_bot.config.api import ApiConfig

    config = ApiConfig.from_env(
        {
            "API_SECRET_KEY": "k" * 40,
            "REVIEW_BOT_API_FORGES": "git.example.com, 127.0.0.1:8080",
            "REVIEW_BOT_API_FETCH_TIMEOUT_S": "30",
            "REVIEW_BOT_API_FETCH_MAX_BYTES": "1000",
        }
    )
    assert config is not None
    assert config.forges == ("git.example.com", "127.0.0.1:8080")
    assert (config.fetch_timeout_s, config.fetch_max_bytes) == (30, 1000)


async def test_a_repository_over_the_size_limit_fails_the_review(
    forge: tuple[str, str, str],
) -> None:
    url, base, head = forge
    config = api_config(forges=(url.split("/")[2],), fetch_max_bytes=100)
    running = await start_stack(config, ScriptedReviewer())
    try:
        answer = await post(running[0], {"repo_url": url, "base": base, "head": head})
        record = await running[0].finished(answer.json()["id"])
        assert record["status"] == "failed"
        assert "too big" in record["error"]
    finally:
        await stop_stack(*running)


class Held(Quiet):
    """Serves the repository only once ``release`` is set; ``asked`` says a request came."""

    asked = threading.Event()
    release = threading.Event()

    def do_GET(self) -> None:
        type(self).asked.set()
        type(self).release.wait(60)  # a guard against hanging the suite, not a threshold
        super().do_GET()


async def test_the_change_is_not_ready_while_the_repository_is_being_fetched(
    tmp_path: Path,
) -> None:
    base = _bare_repo(tmp_path)
    Held.asked.clear()
    Held.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Held, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    running = await start_stack(api_config(forges=(host,)), ScriptedReviewer())
    stack = running[0]
    try:
        body = {"repo_url": f"http://{host}/repo.git", "base": base, "head": "feature"}
        answer = await post(stack, body)
        assert answer.status_code == 202, answer.text
        review_id = answer.json()["id"]
        assert await asyncio.to_thread(Held.asked.wait, 60)  # the job is fetching
        early = await stack.client.get(f"/v1/reviews/{review_id}/change", headers=stack.auth())
        assert early.status_code == 409, early.text
        assert early.json()["code"] == "not_ready"
        Held.release.set()
        record = await stack.finished(review_id)
        assert record["status"] == "done", record
        late = await stack.client.get(f"/v1/reviews/{review_id}/change", headers=stack.auth())
        assert [f["path"] for f in late.json()["files"]] == ["app.py"]
    finally:
        Held.release.set()
        await stop_stack(*running)
        server.shutdown()
        server.server_close()
