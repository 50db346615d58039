"""Record an agents review through the CLI, then replay it offline; secrets never leave.

The review (module fixture) runs against the fake model with a change that holds an AWS key,
a GitHub token and a private key; the reviewer reads those lines through its tool, the
security agent runs bandit, the coder's patch is checked by re-running the analyzers. Then the
server stops and ``review-bot replay`` runs where no analyzer can be reached: PATH holds only
``git`` and ``python``, and a ``sitecustomize`` hides the analyzers' Python modules (ruff,
bandit and detect-secrets run as ``python -m``, so PATH alone would not keep them away).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.openai_server import FakeOpenAIServer

from .conftest import FakeModel, cli, line_of, make_repo, model_env

AWS_KEY = "AKIAQ7R2XK5N4HJD3WTY"
GH_TOKEN = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
KEY_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
SECRETS = (AWS_KEY, GH_TOKEN, KEY_BODY)
DEPLOY = f'''"""Deploy settings."""

import subprocess

AWS_ACCESS_KEY_ID = "{AWS_KEY}"
GITHUB_TOKEN = "{GH_TOKEN}"
PEM = """-----BEGIN RSA PRIVATE KEY-----
{KEY_BODY}
-----END RSA PRIVATE KEY-----"""


def deploy(cmd):
    """Run the deploy command."""
    return subprocess.call(cmd, shell=True)


def last(items):
    """The last item."""
    return items[len(items)]
'''
BUG_LINE = line_of(DEPLOY, "items[len(items)]")
SHELL_LINE = line_of(DEPLOY, "shell=True")
HIDE_ANALYZERS = '''"""Test shim: the analyzers' modules cannot be found in this interpreter."""
import importlib.util

_HIDDEN = {"bandit", "ruff", "detect_secrets", "semgrep"}
_find_spec = importlib.util.find_spec


def _hidden_find_spec(name, package=None):
    if name.split(".")[0] in _HIDDEN:
        return None
    return _find_spec(name, package)


importlib.util.find_spec = _hidden_find_spec
'''


def _model() -> FakeModel:
    reviewer = {
        "findings": [
            {
                "path": "app/deploy.py",
                "line": BUG_LINE,
                "severity": "high",
                "category": "bug",
                "rule_id": "off-by-one",
                "message": "items[len(items)] is always out of range",
                "confidence": 0.9,
            }
        ]
    }
    security = {
        "findings": [
            {
                "path": "app/deploy.py",
                "line": SHELL_LINE,
                "severity": "high",
                "category": "security",
                "cwe": ["CWE-78"],
                "rule_id": "shell-injection",
                "message": "cmd reaches a shell",
                "confidence": 0.8,
            }
        ],
        "triage": [],
    }
    coder = {
        "patches": [
            {
                "finding_id": "F1",
                "path": "app/deploy.py",
                "start_line": BUG_LINE,
                "end_line": BUG_LINE,
                "replacement": "    return items[-1]",
                "explanation": "the last index is len - 1",
            }
        ]
    }
    end = len(DEPLOY.splitlines())
    return FakeModel(
        answers={
            "reviewer": [json.dumps(reviewer)],
            "security": [json.dumps(security)],
            "coder": [json.dumps(coder)],
        },
        tool_calls={
            "reviewer": [
                ("read_file_lines", {"path": "app/deploy.py", "start_line": 1, "end_line": end})
            ],
            "security": [("run_analyzer", {"analyzer": "bandit", "path": "app/deploy.py"})],
        },
    )


class Recorded:
    """The recorded review: CLI process, its JSON, and every request the server got."""

    def __init__(self, proc: subprocess.CompletedProcess[str], bodies: list[Any]) -> None:
        self.proc = proc
        self.data: dict[str, Any] = json.loads(proc.stdout) if proc.stdout else {}
        self.bodies = bodies
        assert self.data, proc.stderr


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    root = tmp_path_factory.mktemp("replay")
    repo = make_repo(root, {"app/__init__.py": ""}, {"app/deploy.py": DEPLOY})
    with FakeOpenAIServer(default=_model()) as server:
        proc = cli(
            "review", str(repo), "--base", "HEAD~1", "--format", "json", "--no-progress",
            env=model_env(server, root),
        )  # fmt: skip
        bodies = [r.body for r in server.completions]
    # the server is stopped from here on: replay must not need it
    return Recorded(proc, bodies)


def _no_tools_env(tmp: Path) -> dict[str, str]:
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    git = shutil.which("git")
    assert git is not None
    (bin_dir / "git").symlink_to(git)
    shim = tmp / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(HIDE_ANALYZERS)
    return {"PATH": str(bin_dir), "PYTHONPATH": str(shim)}


def test_the_recorded_review_used_the_agents_and_the_tools(recorded: Recorded) -> None:
    data = recorded.data
    assert recorded.proc.returncode == 1, recorded.proc.stderr  # high findings, default fail-on
    assert data["mode"] == "agents"
    assert data["failures"] == []
    sources = {s for f in data["findings"] for s in f["sources"]}
    assert {"agent:reviewer", "agent:security", "tool:bandit", "tool:secrets"} <= sources
    bug = next(f for f in data["findings"] if f["line"] == BUG_LINE)
    assert bug["suggestion"]  # the coder's patch passed the re-run of the analyzers
    assert Path(data["transcript"]).is_file()


def test_replay_without_server_or_analyzers_prints_the_same_bytes(
    recorded: Recorded, tmp_path: Path
) -> None:
    env = _no_tools_env(tmp_path)
    check = subprocess.run(
        [sys.executable, "-c", "import importlib.util as u, shutil; "
         "print(u.find_spec('bandit'), u.find_spec('ruff'), shutil.which('semgrep'))"],
        capture_output=True, text=True, env={**os.environ, **env}, check=True,
    )  # fmt: skip
    assert check.stdout.split() == ["None", "None", "None"]
    out = tmp_path / "out.json"
    proc = cli("replay", recorded.data["transcript"], "--output", str(out), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "reproduced" in proc.stdout
    assert out.read_bytes() == recorded.proc.stdout.encode("utf-8")


def test_no_secret_in_transcript_requests_or_output(recorded: Recorded) -> None:
    transcript = Path(recorded.data["transcript"]).read_text()
    requests = json.dumps(recorded.bodies)
    output = recorded.proc.stdout + recorded.proc.stderr
    for secret in SECRETS:
        assert secret not in transcript
        assert secret not in requests
        assert secret not in output
    # the model did see the file through its tool, with placeholders where the secrets were
    tool_results = [
        m["content"] for b in recorded.bodies for m in b["messages"] if m["role"] == "tool"
    ]
    assert any("[REDACTED:aws-access-key:" in t and "GITHUB_TOKEN" in t for t in tool_results)
    # and the secrets are still reported, at their lines, without their values
    lines = {f["line"] for f in recorded.data["findings"] if "tool:secrets" in f["sources"]}
    assert line_of(DEPLOY, "AWS_ACCESS_KEY_ID") in lines
