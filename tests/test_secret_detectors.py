"""One detector set for redaction and the secrets tool; the renderer's context hides PEM bodies."""

from __future__ import annotations

import asyncio
from pathlib import Path

from detect_secrets.core.scan import scan_line
from detect_secrets.settings import default_settings

from review_bot.change import from_files
from review_bot.config.models import ReviewConfig, ToolsConfig
from review_bot.pipeline import review_sync
from review_bot.redaction import Redactor
from review_bot.render import render
from review_bot.tools.bandit import _without_value
from review_bot.tools.sandbox import SubprocessRunner
from review_bot.tools.secrets import SecretsAnalyzer

B64 = "Zm9vYmFyYmF6cXV4NzQ5MjE4Mzc0NjVhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5eg"
LINES = [
    f'blob = "{B64}"',
    'digest = "f3a9c2e8b1d74f6a9e0c3b5d8a2f7e1c4b6d9a0e"',
    'password = "hunter2-but-longer"',
    'token = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"',
    'key = "glpat-Ab3dEf6hIj9kLm2nOp5q"',
]


def test_every_value_detect_secrets_flags_is_redacted() -> None:
    redactor = Redactor()
    with default_settings():
        for line in LINES:
            values = {s.secret_value for s in scan_line(line) if len(s.secret_value or "") > 5}
            assert values, line  # detect-secrets flags each of these lines
            out = redactor.redact(line, "app.py")
            for value in values:
                assert value not in out, (line, out)


def test_the_secrets_tool_reports_what_only_our_detectors_find(tmp_path: Path) -> None:
    # split over two lines: neither half is a secret to detect-secrets
    text = 'X = ("ghp_aBcDeFgHiJkLmNoPqR"\n     "sTuVwXyZ0123456789")\n'
    (tmp_path / "app.py").write_text(text)
    change = from_files({}, {"app.py": text})
    result = asyncio.run(
        SecretsAnalyzer().analyze(change.files, tmp_path, SubprocessRunner(), ToolsConfig())
    )
    assert result.run.status == "ok", result.run
    assert [(f.rule_id, f.line) for f in result.findings] == [("github-token", 1)]
    assert "ghp_" not in result.findings[0].message


def test_text_context_never_shows_a_pem_body_line() -> None:
    body = ["MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun" + c for c in "ab"]
    text = (
        'KEY = """-----BEGIN RSA PRIVATE KEY-----\n'
        + "\n".join(body)
        + '\n-----END RSA PRIVATE KEY-----"""\nx = 1\n'
    )
    change = from_files({}, {"app.py": text})
    review = review_sync(change, ReviewConfig(tools=ToolsConfig(enabled=("secrets",))))
    assert review.findings
    for fmt in ("text", "markdown", "json", "sarif"):
        out = render(review, fmt, change)  # type: ignore[arg-type]
        for line in body:
            assert line not in out, fmt


def test_bandit_password_messages_lose_the_value() -> None:
    message = "Possible hardcoded password: 'Tr0ub4dor&3'"
    out = _without_value("B105", message)
    assert "Tr0ub4dor" not in out
    assert out.startswith("Possible hardcoded password: [REDACTED:password:")
    assert _without_value("B602", "subprocess 'x'") == "subprocess 'x'"
