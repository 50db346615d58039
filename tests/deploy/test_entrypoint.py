"""The container entrypoint, run outside a container with a stand-in ``review-bot``."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT, need

ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
FAKE = """#!/bin/sh
echo "args:$*"
echo "secret:${GITHUB_WEBHOOK_SECRET:-unset}"
echo "file:${GITHUB_WEBHOOK_SECRET_FILE:-unset}"
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "review-bot"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG")}
    return {**keep, "PATH": f"{bin_dir}:/usr/bin:/bin"}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ENTRYPOINT), *args], env=env, capture_output=True, text=True,
        check=False, timeout=120,
    )  # fmt: skip


def test_shellcheck_clean() -> None:
    proc = subprocess.run(
        [need("shellcheck"), "--norc", str(ENTRYPOINT)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout


def test_serve_by_default_on_all_interfaces(env: dict[str, str]) -> None:
    proc = run({**env, "REVIEW_BOT_PORT": "9000"})
    assert proc.returncode == 0, proc.stderr
    assert "args:serve --host 0.0.0.0 --port 9000" in proc.stdout


def test_role_and_arguments_are_passed_through(env: dict[str, str]) -> None:
    proc = run(env, "worker", "--metrics-port", "9102")
    assert "args:worker --metrics-port 9102" in proc.stdout


def test_secret_files_become_variables(env: dict[str, str], tmp_path: Path) -> None:
    secret = tmp_path / "webhook"
    secret.write_text("s3cr3t-value")
    proc = run({**env, "GITHUB_WEBHOOK_SECRET_FILE": str(secret)}, "worker")
    assert proc.returncode == 0, proc.stderr
    assert "secret:s3cr3t-value" in proc.stdout
    assert "file:unset" in proc.stdout  # the pointer is not passed on


def test_secret_given_twice_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    secret = tmp_path / "webhook"
    secret.write_text("x")
    proc = run(
        {**env, "GITHUB_WEBHOOK_SECRET": "y", "GITHUB_WEBHOOK_SECRET_FILE": str(secret)}, "worker"
    )
    assert proc.returncode == 2
    assert "both GITHUB_WEBHOOK_SECRET and GITHUB_WEBHOOK_SECRET_FILE" in proc.stderr


def test_missing_secret_file_is_named(env: dict[str, str], tmp_path: Path) -> None:
    proc = run({**env, "OPENAI_API_KEY_FILE": str(tmp_path / "nope")}, "worker")
    assert proc.returncode == 2
    assert "OPENAI_API_KEY_FILE=" in proc.stderr
    assert "not a readable file" in proc.stderr


@pytest.fixture
def listening() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_waits_for_services_that_listen(env: dict[str, str], listening: int) -> None:
    proc = run({**env, "REVIEW_BOT_WAIT_FOR": f"127.0.0.1:{listening}"}, "worker")
    assert proc.returncode == 0, proc.stderr
    assert "args:worker" in proc.stdout


def test_gives_up_on_a_dead_service(env: dict[str, str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    # nothing listens there any more; a zero timeout makes the first refusal final
    proc = run({**env, "REVIEW_BOT_WAIT_FOR": f"127.0.0.1:{port}",
                "REVIEW_BOT_WAIT_TIMEOUT_S": "0"}, "worker")  # fmt: skip
    assert proc.returncode == 1
    assert f"127.0.0.1:{port} did not accept connections" in proc.stderr
    assert "args:" not in proc.stdout


@pytest.mark.parametrize(("var", "value"), [("REVIEW_BOT_WAIT_FOR", "redis"),
                                            ("REVIEW_BOT_WAIT_TIMEOUT_S", "soon")])  # fmt: skip
def test_bad_settings_are_named(env: dict[str, str], var: str, value: str) -> None:
    proc = run({**env, var: value}, "worker")
    assert proc.returncode == 2
    assert value in proc.stderr


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(("status", "code"), [(200, 0), (503, 1)])
def test_healthcheck_probes_health(env: dict[str, str], status: int, code: int) -> None:
    handler = type("H", (_Health,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        py = os.path.dirname(sys.executable)
        proc = run({**env, "PATH": f"{py}:{env['PATH']}",
                    "REVIEW_BOT_PORT": str(server.server_address[1])}, "healthcheck")  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == code, proc.stderr


def test_healthcheck_fails_when_nothing_listens(env: dict[str, str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    py = os.path.dirname(sys.executable)
    proc = run({**env, "PATH": f"{py}:{env['PATH']}", "REVIEW_BOT_PORT": str(port)}, "healthcheck")
    assert proc.returncode == 1
