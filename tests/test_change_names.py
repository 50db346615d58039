"""Every changed file is reviewed or skipped with a reason, whatever its name (issue 16/4)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review_bot.change import ChangeSet, from_git
from review_bot.config.models import ReviewConfig, ToolsConfig
from review_bot.pipeline import review_sync

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "PATH": os.defpath,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}
# name pieces: the characters that broke or might break quoting, batching and decoding
PIECE = st.sampled_from(
    [b"a", b"Z9", b" ", b"\t", b"\n", b"\r", b"\x01", b"\x1f", b"\x7f", b'"', b"\\", b"'",
     b"caf\xc3\xa9", b"\xe2\x80\xa8", b"\xff", b"\xc3", b"-", b".", b"$x", b"*", b"?"]
)  # fmt: skip
NAME = st.lists(PIECE, min_size=1, max_size=6).map(b"".join).filter(
    lambda n: n not in (b".", b"..") and not n.startswith(b"-") and b"\0" not in n
)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=GIT_ENV)


def _repo(root: Path, names: list[bytes]) -> Path:
    repo = root / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "keep.txt").write_text("base\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    for name in names:
        with open(os.path.join(os.fsencode(repo), b"d_" + name), "wb") as handle:
            handle.write(b"import os\nos.system(input())\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "names")
    return repo


def _accounted(change: ChangeSet, count: int) -> None:
    reviewed = [f.path for f in change.files]
    skipped = [s.path for s in change.skipped]
    assert len(reviewed) + len(skipped) == count, (reviewed, skipped)
    assert len(set(reviewed) | set(skipped)) == count
    for file in change.files:
        assert file.new_content is not None, f"{file.path!r} is reviewed without its content"
    for skip in change.skipped:
        assert skip.reason


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(NAME, min_size=1, max_size=5, unique=True))
def test_every_name_is_reviewed_or_skipped_with_a_reason(names: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = _repo(Path(tmp), names)
        _accounted(from_git(repo, "HEAD~1"), len(names))


def test_analyzers_see_every_reviewed_file_whatever_its_name(tmp_path: Path) -> None:
    names = [b"tab\there.py", b"ctl\x01.py", b'q"uote.py', b"back\\slash.py", b"sp ace.py",
             b"new\nline.py", b"bad\xff.py", b"caf\xc3\xa9.py"]  # fmt: skip
    repo = _repo(tmp_path, names)
    change = from_git(repo, "HEAD~1")
    _accounted(change, len(names))
    result = review_sync(change, ReviewConfig(tools=ToolsConfig(enabled=("bandit",))))
    flagged = {f.path for f in result.findings if f.rule_id == "B605"}
    skipped = {s.name: s.reason for s in result.skipped if s.kind == "file"}
    assert {s.path for s in change.skipped} <= set(skipped)
    for file in change.files:  # bandit saw it, or the review says why not
        assert file.path in flagged or skipped.get(file.path), file.path
    assert flagged  # most names are fine
