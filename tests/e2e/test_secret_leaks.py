"""No planted secret leaves the process: 27 shapes, planted five ways, checked in every sink.

Each shape is planted in added content, in deleted lines, split over two lines, in a file name
(the shapes a file name can hold) and in the commit message. The review runs as the CLI does
(tools + the three agents against a scripted model that echoes everything it is sent back as
findings and summaries), once with the Redis cache and once with the local SQLite store. The
raw values must appear in no model request, transcript, output format (JSON, SARIF, text,
Markdown, GitHub comment and review bodies), stderr line, Redis key or value, or SQLite row.
"""

from __future__ import annotations

import json
import random
import sqlite3
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from review_bot import change as change_mod
from review_bot.findings import Review
from review_bot.github.publish import comment_body, review_body
from review_bot.render import render
from tests.e2e.conftest import cli, git, make_repo, model_env, role_of
from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, Reply
from tests.fakes.redis_servers import LOCAL_REDIS_URL, scratch_namespace

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _pem(kind: str, rng: random.Random) -> tuple[str, str]:
    body = [_rand(rng, ALNUM + "+/", 64) for _ in range(3)]
    block = f"-----BEGIN {kind}-----\n" + "\n".join(body) + f"\n-----END {kind}-----"
    return f'KEY_{kind.split(maxsplit=1)[0]} = """{block}"""', body[1]  # line 2 of the block


# shape name -> (seed -> (source line(s) holding it, the raw value that must never leak))
Shape = Callable[[random.Random], tuple[str, str]]
SHAPES: dict[str, Shape] = {
    "aws-access-key-id": lambda r: (v := "AKIA" + _rand(r, string.ascii_uppercase + "234567", 16), f'AWS_ID = "{v}"')[::-1],  # noqa: E501
    "aws-secret-key": lambda r: (v := _rand(r, ALNUM + "/+", 40), f'aws_secret_access_key = "{v}"')[::-1],  # noqa: E501
    "github-pat-classic": lambda r: (v := "ghp_" + _rand(r, ALNUM, 36), f'GH = "{v}"')[::-1],
    "github-pat-fine-grained": lambda r: (v := "github_pat_11" + _rand(r, ALNUM, 20) + "_" + _rand(r, ALNUM, 59), f'GH2 = "{v}"')[::-1],  # noqa: E501
    "github-app-token": lambda r: (v := "ghs_" + _rand(r, ALNUM, 36), f'GH3 = "{v}"')[::-1],
    "slack-bot-token": lambda r: (v := f"xoxb-{_rand(r, string.digits, 12)}-{_rand(r, string.digits, 13)}-{_rand(r, ALNUM, 24)}", f'SLACK = "{v}"')[::-1],  # noqa: E501
    "slack-webhook": lambda r: (v := f"https://hooks.slack.com/services/T{_rand(r, ALNUM, 8)}/B{_rand(r, ALNUM, 8)}/{_rand(r, ALNUM, 24)}", f'HOOK = "{v}"')[::-1],  # noqa: E501
    "stripe-live": lambda r: (v := "sk_live_" + _rand(r, ALNUM, 24), f'STRIPE = "{v}"')[::-1],
    "google-api-key": lambda r: (v := "AIza" + _rand(r, ALNUM + "_-", 35), f'GOOGLE = "{v}"')[::-1],
    "openai-key": lambda r: (v := "sk-proj-" + _rand(r, ALNUM, 20) + "T3BlbkFJ" + _rand(r, ALNUM, 20), f'OPENAI = "{v}"')[::-1],  # noqa: E501
    "rsa-private-key": lambda r: _pem("RSA PRIVATE KEY", r),
    "ec-private-key": lambda r: _pem("EC PRIVATE KEY", r),
    "openssh-private-key": lambda r: _pem("OPENSSH PRIVATE KEY", r),
    "pgp-private-key": lambda r: _pem("PGP PRIVATE KEY BLOCK", r),
    "jwt": lambda r: (v := "eyJhbGciOiJIUzI1NiJ9.eyJ" + _rand(r, ALNUM, 30) + "." + _rand(r, ALNUM + "_-", 43), f'JWT = "{v}"')[::-1],  # noqa: E501
    "azure-storage-key": lambda r: (v := _rand(r, ALNUM + "+/", 86) + "==", f'AZ = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={v};"')[::-1],  # noqa: E501
    "twilio-key": lambda r: (v := "SK" + _rand(r, HEX, 32), f'TWILIO = "{v}"')[::-1],
    "sendgrid-key": lambda r: (v := f"SG.{_rand(r, ALNUM, 22)}.{_rand(r, ALNUM, 43)}", f'SENDGRID = "{v}"')[::-1],  # noqa: E501
    "npm-token": lambda r: (v := "npm_" + _rand(r, ALNUM, 36), f'NPM = "{v}"')[::-1],
    "pypi-token": lambda r: (v := "pypi-AgEIcHlwaS5vcmc" + _rand(r, ALNUM, 80), f'PYPI = "{v}"')[::-1],  # noqa: E501
    "basic-auth-url": lambda r: (v := _rand(r, ALNUM, 18), f'REMOTE = "https://deploy:{v}@git.example.com/repo.git"')[::-1],
    "env-value": lambda r: (v := _rand(r, ALNUM, 20), f"DATABASE_PASSWORD={v}")[::-1],
    "high-entropy-base64": lambda r: (v := _rand(r, ALNUM + "+/", 48), f'blob = "{v}"')[::-1],
    "high-entropy-hex": lambda r: (v := _rand(r, HEX, 40), f'digest = "{v}"')[::-1],
    "password-assignment": lambda r: (v := "Tr0ub4dor&" + _rand(r, ALNUM, 10), f'db_password = "{v}"')[::-1],  # noqa: E501
    "gitlab-token": lambda r: (v := "glpat-" + _rand(r, ALNUM, 20), f'GITLAB = "{v}"')[::-1],
    "mailchimp-key": lambda r: (v := _rand(r, HEX, 32) + "-us12", f'MAILCHIMP = "{v}"')[::-1],
}
# shapes that can be a file name, and shapes split over two lines as a string concatenation
IN_FILE_NAMES = ("github-pat-classic", "aws-access-key-id", "stripe-live", "npm-token",
                 "gitlab-token", "slack-bot-token", "google-api-key")  # fmt: skip
SPLIT = ("github-pat-classic", "aws-access-key-id", "stripe-live", "npm-token", "gitlab-token",
         "google-api-key", "github-app-token", "sendgrid-key", "high-entropy-base64")  # fmt: skip


def _plant(seed: str) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    lines, values = [], []
    for name, shape in SHAPES.items():
        line, value = shape(rng)
        lines.append(line if name != "env-value" else f"# {line}")
        values.append(value)
    return lines, values


class Planted:
    def __init__(self, root: Path) -> None:
        added, self.values = _plant("added")
        deleted, deleted_values = _plant("deleted")
        self.values += deleted_values
        split_lines = []
        rng = random.Random("split")
        for i, name in enumerate(SPLIT):
            _, value = SHAPES[name](rng)
            half = len(value) // 2
            split_lines.append(f'SPLIT_{i} = ("{value[:half]}"\n    "{value[half:]}")')
            self.values.append(value)
        env_lines, env_values = [], []
        for i in range(3):
            value = _rand(rng, ALNUM, 24)
            env_lines.append(f"SERVICE_{i}_TOKEN={value}")
            env_values.append(value)
        self.values += env_values
        names = {}
        for name in IN_FILE_NAMES:
            _, value = SHAPES[name](rng)
            names[f"keys/{value}.txt"] = "placeholder = 1\n"
            self.values.append(value)
        _, message_values = _plant("commit")
        self.values += message_values
        base = {"app/__init__.py": "", "app/old_settings.py": "\n".join(deleted) + "\n"}
        changed = {
            "app/config.py": "\n".join(added) + "\n",
            "app/split.py": "\n".join(split_lines) + "\n",
            "deploy/.env": "\n".join(env_lines) + "\n",
            "app/old_settings.py": "X = 1\n",
            **names,
        }
        self.repo = make_repo(root, base, changed)
        commit = "Add config\n\n" + "\n".join(f"{name}: {v}" for name, v in zip(SHAPES, message_values, strict=True))  # noqa: E501
        git(self.repo, "commit", "--amend", "-qm", commit)


def _echo(request: RecordedRequest) -> Reply:
    """Every agent answers valid JSON whose messages echo everything it was sent."""
    role = role_of(request.body)
    sent = json.dumps(request.body["messages"])
    chunks = [sent[i : i + 1900] for i in range(0, min(len(sent), 40_000), 1900)]
    findings = [
        {"path": "app/config.py", "line": 1 + i % 5, "severity": "low", "category": "style",
         "rule_id": f"echo-{i}", "message": chunk, "confidence": 0.9}
        for i, chunk in enumerate(chunks)
    ]  # fmt: skip
    answer: dict[str, Any] = {"findings": findings, "summary": sent[-1900:]}
    if role == "security":
        answer["triage"] = []
    if role == "coder":
        answer = {"patches": []}
    return Reply(json.dumps(answer))


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    return Planted(tmp_path_factory.mktemp("leaks"))


@pytest.fixture
def namespace() -> Iterator[str]:
    yield from scratch_namespace("rb-leaks")


def _assert_clean(values: list[str], sinks: dict[str, str]) -> None:
    leaks = [
        (sink, value) for sink, text in sinks.items() for value in values if value in text
    ]
    assert not leaks, f"{len(leaks)} leaks, first: {leaks[:3]}"


def _outputs(data: dict[str, Any], repo: Path) -> dict[str, str]:
    review = Review.model_validate(data)
    change = change_mod.from_git(repo, "HEAD~1")
    out = {fmt: render(review, fmt, change) for fmt in ("text", "markdown", "sarif", "json")}  # type: ignore[arg-type]
    out["github-comments"] = "\n".join(comment_body(f) for f in review.findings)
    out["github-review"] = review_body(review, "key", review.findings)
    return out


def _run(planted: Planted, tmp: Path, env: dict[str, str], fmt: str) -> tuple[Any, dict[str, str]]:
    with FakeOpenAIServer(default=_echo) as server:
        proc = cli(
            "review", str(planted.repo), "--base", "HEAD~1", "--format", fmt,
            "--config", str(tmp / "rb.toml"), env={**model_env(server, tmp), **env},
        )  # fmt: skip
        requests = json.dumps([r.body for r in server.completions])
        assert server.completion_count > 0
    assert proc.returncode in (0, 1), proc.stderr
    transcripts = "".join(p.read_text() for p in (tmp / "transcripts").glob("*.jsonl"))
    assert transcripts
    return proc, {"model requests": requests, "transcript": transcripts, "stderr": proc.stderr}


def test_no_secret_reaches_any_sink_with_redis(
    planted: Planted, tmp_path: Path, namespace: str
) -> None:
    (tmp_path / "rb.toml").write_text(f'[cache]\nnamespace = "{namespace}"\n')
    proc, sinks = _run(planted, tmp_path, {"REDIS_URL": LOCAL_REDIS_URL}, "json")
    data = json.loads(proc.stdout)
    assert data["mode"] == "agents"
    assert {"tool:secrets", "tool:bandit"} <= {s for f in data["findings"] for s in f["sources"]}
    sinks["stdout"] = proc.stdout
    sinks.update(_outputs(data, planted.repo))
    client = redis.Redis.from_url(LOCAL_REDIS_URL)
    keys = list(client.scan_iter(match=f"{namespace}*"))
    assert keys, "the review cached nothing in Redis"
    dump = []
    for key in keys:
        dump.append(key.decode("utf-8", "replace"))
        kind = client.type(key).decode()
        if kind == "string":
            dump.append((client.get(key) or b"").decode("utf-8", "replace"))
        elif kind == "set":
            dump += [m.decode("utf-8", "replace") for m in client.smembers(key)]
        elif kind == "hash":
            dump += [str(item) for item in client.hgetall(key).items()]
    client.close()
    sinks["redis"] = "\n".join(dump)
    assert len(planted.values) >= 25 * 2
    _assert_clean(planted.values, sinks)


def test_no_secret_reaches_any_sink_with_the_local_store(planted: Planted, tmp_path: Path) -> None:
    (tmp_path / "rb.toml").write_text("")
    proc, sinks = _run(planted, tmp_path, {"REDIS_URL": ""}, "sarif")
    sinks["stdout"] = proc.stdout
    rows = []
    databases = list((tmp_path / "cache").glob("*.sqlite3"))
    assert databases, "the review cached nothing locally"
    for path in databases:
        with sqlite3.connect(path) as db:
            for table in ("entries", "tags", "leases"):
                rows += [repr(row) for row in db.execute(f"SELECT * FROM {table}")]
    assert rows
    sinks["sqlite"] = "\n".join(rows)
    _assert_clean(planted.values, sinks)
