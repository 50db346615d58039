"""Fuzzing (issue 16/5): diffs, config files, eval datasets, and the CLI on each of them.

Every input either loads or is refused with our own InputError/ConfigError; through the CLI
it ends with a documented exit status (0, 1 findings, 2 usage/input) and a one-line message,
never a traceback or an internal error (3). Example counts are kept small for CI time.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review_bot.change import from_diff
from review_bot.cli import main
from review_bot.config.settings import load_settings
from review_bot.errors import ConfigError, InputError
from review_bot.evals.dataset import load_cases

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
CLI_FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
DOCUMENTED_EXITS = {0, 1, 2, 4}  # 4: a partial review, if that status is added

_DIFF_PIECES = [
    "diff --git a/app.py b/app.py", "diff --git a/x b/y", "--- a/app.py", "+++ b/app.py",
    "--- /dev/null", "+++ /dev/null", "@@ -1,2 +1,3 @@", "@@ -0,0 +1 @@", "@@ -5 +5,2 @@ def f():",
    "@@ -1,99999999999 +1 @@", "@@ -a,b +c,d @@", "+x = 1", "-y = 2", " ctx", "+", "-", "",
    "\\ No newline at end of file", "new file mode 100644", "deleted file mode 100755",
    "old mode 100644", "new mode 120000", "rename from a.py", "rename to ../../etc/passwd",
    "similarity index 90%", "Binary files a/x.png and b/x.png differ", "index 0000000..1111111",
    'diff --git "a/t\\tab.py" "b/t\\tab.py"', '+++ "b/q\\"uote\\n.py"', "GIT binary patch",
    "literal 5", "+++ b//abs/path", "--- a/\x00nul", "+\udcff", "+caf\u00e9 \u2028 \u202e",
]  # fmt: skip
DIFFS = st.one_of(
    st.binary(max_size=400),
    st.lists(st.sampled_from(_DIFF_PIECES) | st.text(max_size=20), max_size=30).map(
        lambda parts: "\n".join(parts).encode("utf-8", "surrogateescape")
    ),
)

_SCALAR = st.one_of(
    st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False),
    st.text(max_size=12), st.sampled_from(["off", "redis://127.0.0.1:1/0", "postgresql://x/y",
                                           "*", "critical", "low", "added", "nofilter"]),
)  # fmt: skip
_KEY = st.sampled_from(
    ["fail_on", "filter_mode", "max_findings", "tools_only", "deadline_s", "model", "base_url",
     "api_key", "enabled", "redis_url", "namespace", "tool_ttl_s", "transcripts", "key",
     "key_id", "keys", "fsync_on", "timeout_s", "max_attempts", "bogus", "dependencies"]
)  # fmt: skip
_TABLE = st.dictionaries(_KEY, _SCALAR | st.lists(_SCALAR, max_size=3), max_size=5)
CONFIGS = st.dictionaries(
    st.sampled_from(["review", "model", "cache", "resilience", "audit", "langfuse", "extra"]),
    _TABLE | _SCALAR,
    max_size=4,
)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if value == value and abs(value) != float("inf") else "0"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def _toml(data: dict[str, Any]) -> str:
    out = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for name, table in data.items():
        if isinstance(table, dict):
            out.append(f"[{name}]")
            out += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(out) + "\n"


_CASE = st.fixed_dictionaries(
    {
        "id": st.text(max_size=8),
        "language": st.sampled_from(["python", "javascript", "go", "cobol"]),
        "change": st.one_of(
            _SCALAR,
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(["add", "modify", "weird"]),
                    "files_before": st.dictionaries(st.text(max_size=8), st.text(max_size=30)),
                    "files_after": st.dictionaries(st.text(max_size=8), st.text(max_size=30)),
                }
            ),
        ),
        "expected_findings": st.lists(
            st.dictionaries(
                st.sampled_from(["path", "line_start", "line_end", "category", "cwe",
                                 "severity", "note"]),
                _SCALAR,
            ),
            max_size=2,
        ),
        "is_clean": st.booleans() | _SCALAR,
    }
)
DATASETS = st.lists(
    st.one_of(_CASE.map(json.dumps), st.text(max_size=40), st.just("[]"), st.just("{}")),
    max_size=4,
).map("\n".join)


@FUZZ
@given(diff=DIFFS)
def test_from_diff_loads_or_refuses_with_input_error(diff: bytes) -> None:
    try:
        change = from_diff(diff)
    except InputError:
        return
    for file in change.files:
        assert file.path
    for skip in change.skipped:
        assert skip.reason


@FUZZ
@given(config=CONFIGS, raw=st.booleans(), junk=st.text(max_size=60))
def test_config_files_load_or_refuse_with_config_error(
    config: dict[str, Any], raw: bool, junk: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rb.toml"
        path.write_text(junk if raw else _toml(config), encoding="utf-8", errors="surrogateescape")
        with contextlib.suppress(ConfigError):
            load_settings(path, env={})


@FUZZ
@given(text=DATASETS)
def test_eval_datasets_load_or_refuse_with_input_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        with contextlib.suppress(InputError):
            load_cases([path])


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> None:
    code = main(list(args))
    err = capsys.readouterr().err
    assert code in DOCUMENTED_EXITS, err
    assert "Traceback" not in err
    assert "internal error" not in err, err


NO_TOOLS = '[review.tools]\nenabled = []\n'


@CLI_FUZZ
@given(diff=DIFFS)
def test_cli_review_on_any_diff_exits_with_a_documented_status(
    diff: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "d.diff").write_bytes(diff)
        (Path(tmp) / "rb.toml").write_text(NO_TOOLS)
        _cli(capsys, "review", "--diff", f"{tmp}/d.diff", "--tools-only", "--no-progress",
             "--format", "json", "--config", f"{tmp}/rb.toml")  # fmt: skip


SMALL_DIFF = b"--- /dev/null\n+++ b/app.py\n@@ -0,0 +1 @@\n+x = 1\n"


@CLI_FUZZ
@given(config=CONFIGS)
def test_cli_review_with_any_config_exits_with_a_documented_status(
    config: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    review = config.get("review")
    if isinstance(review, dict):
        review.pop("tools", None)
    text = _toml(config)
    if "[review]" in text:
        text = text.replace("[review]", "[review.tools]\nenabled = []\n\n[review]", 1)
    else:
        text = NO_TOOLS + text  # top-level keys first would belong to [review.tools]: fine
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "d.diff").write_bytes(SMALL_DIFF)
        (Path(tmp) / "rb.toml").write_text(text)
        _cli(capsys, "review", "--diff", f"{tmp}/d.diff", "--tools-only", "--no-progress",
             "--format", "sarif", "--config", f"{tmp}/rb.toml")  # fmt: skip


@CLI_FUZZ
@given(text=DATASETS)
def test_cli_eval_on_any_dataset_exits_with_a_documented_status(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "cases.jsonl").write_text(text, encoding="utf-8", errors="surrogateescape")
        (Path(tmp) / "rb.toml").write_text(NO_TOOLS)
        _cli(capsys, "eval", f"{tmp}/cases.jsonl", "--tools-only", "--no-progress", "--limit",
             "1", "--out", f"{tmp}/run", "--config", f"{tmp}/rb.toml")  # fmt: skip
