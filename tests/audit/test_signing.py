"""Keyed transcripts: a forger without the key cannot produce a transcript that verifies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from review_bot.audit.records import GENESIS, Record, seal
from review_bot.audit.signing import SIGNATURE_TYPE, Signer
from review_bot.audit.stores import FileStore
from review_bot.audit.verify import verify
from review_bot.audit.writer import TranscriptWriter
from review_bot.cli import main
from review_bot.errors import TranscriptError

KEY = b"k" * 32
OLD_KEY = b"o" * 32
TS = "2026-01-01T00:00:00.000000+00:00"


SIGNER = Signer("k1", KEY)


def _write(directory: Path, signer: Signer | None = SIGNER) -> Path:
    store = FileStore(directory)
    writer = TranscriptWriter.create(store, "t", now=lambda: TS)
    writer.append("review.started", {"files": ["a.py"]})
    writer.append("tool.run", {"tool": "bandit", "findings": 2})
    writer.append("review.finished", {"review": {"findings": ["B602", "B105"]}})
    if signer is not None:
        writer.sign(signer)
    writer.close()
    store.close()
    return directory / "t.jsonl"


def _records(path: Path) -> list[Record]:
    return [Record.model_validate_json(line) for line in path.read_text().splitlines()]


def _rechain(path: Path, datas: list[tuple[str, dict[str, Any]]]) -> None:
    """What a forger without the key can do: rewrite records and recompute every hash."""
    prev = GENESIS
    lines = []
    for seq, (type_, data) in enumerate(datas, start=1):
        record = seal(seq, TS, type_, data, prev)
        lines.append(record.line())
        prev = record.hash
    path.write_text("".join(line + "\n" for line in lines))


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_BOT_AUDIT_KEY", KEY.decode())
    monkeypatch.setenv("REVIEW_BOT_AUDIT_KEY_ID", "k1")


def test_a_signed_transcript_verifies_with_the_key(tmp_path: Path, keyed: None) -> None:
    path = _write(tmp_path)
    result = verify(str(path), {"k1": KEY})
    assert result.ok
    assert result.signature == "valid"
    assert result.key_id == "k1"
    assert main(["audit", "verify", str(path)]) == 0


def test_edited_and_rechained_fails(tmp_path: Path, keyed: None) -> None:
    path = _write(tmp_path)
    datas = [(r.type, r.data) for r in _records(path)]
    datas[2] = ("review.finished", {"review": {"findings": []}})  # hide the findings
    _rechain(path, datas)  # the old signature record is kept, re-chained
    result = verify(str(path), {"k1": KEY})
    assert result.broken == 4
    assert "signature" in result.reason
    assert main(["audit", "verify", str(path)]) == 1


def test_signature_recomputed_with_a_guessed_key_fails(tmp_path: Path, keyed: None) -> None:
    path = _write(tmp_path)
    records = _records(path)
    datas = [(r.type, r.data) for r in records[:-1]]
    datas[2] = ("review.finished", {"review": {"findings": []}})
    _rechain(path, datas)
    head = _records(path)[-1].hash
    _rechain(path, [*datas, (SIGNATURE_TYPE, Signer("k1", b"g" * 32).signature(head))])
    result = verify(str(path), {"k1": KEY})
    assert result.broken == 4
    assert "does not match key 'k1'" in result.reason
    assert main(["audit", "verify", str(path)]) == 1


def test_signature_dropped_is_unsigned_and_refused_once_a_key_is_set(
    tmp_path: Path, keyed: None
) -> None:
    path = _write(tmp_path)
    datas = [(r.type, r.data) for r in _records(path)][:-1]
    datas[1] = ("tool.run", {"tool": "bandit", "findings": 0})
    _rechain(path, datas)
    result = verify(str(path), {"k1": KEY})
    assert result.intact
    assert result.complete
    assert result.signature == "unsigned"
    assert main(["audit", "verify", str(path)]) == 1
    assert main(["audit", "verify", str(path), "--allow-unsigned"]) == 0


def test_record_deleted_and_rechained_fails(tmp_path: Path, keyed: None) -> None:
    path = _write(tmp_path)
    datas = [(r.type, r.data) for r in _records(path)]
    del datas[1]  # the tool run
    _rechain(path, datas)
    assert verify(str(path), {"k1": KEY}).broken == 3
    assert main(["audit", "verify", str(path)]) == 1
    _rechain(path, datas[:-1])  # and without the signature: unsigned
    assert main(["audit", "verify", str(path)]) == 1


@pytest.mark.parametrize(
    "junk", [b"x", b"\n", b"{}", b'{"seq": 5}\n', b"garbage without newline", b"\x00\xff"]
)
@pytest.mark.parametrize("signed", [True, False])
def test_any_bytes_after_the_final_record_fail(tmp_path: Path, junk: bytes, signed: bool) -> None:
    path = _write(tmp_path, Signer("k1", KEY) if signed else None)
    assert verify(str(path), {"k1": KEY}).ok
    with path.open("ab") as handle:
        handle.write(junk)
    result = verify(str(path), {"k1": KEY})
    assert not result.intact, result.message()
    assert main(["audit", "verify", str(path), "--allow-incomplete"]) == 1


def test_a_record_appended_after_the_signature_fails(tmp_path: Path) -> None:
    path = _write(tmp_path)
    last = _records(path)[-1]
    extra = seal(last.seq + 1, TS, "review.finished", {"review": {}}, last.hash)
    with path.open("a") as handle:
        handle.write(extra.line() + "\n")
    result = verify(str(path), {"k1": KEY})
    assert result.broken == 5
    assert "after the transcript's signature" in result.reason


def test_a_torn_line_after_an_unfinished_review_is_still_a_crash(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    writer = TranscriptWriter.create(store, "t", now=lambda: TS)
    writer.append("review.started", {})
    store.close()
    with (tmp_path / "t.jsonl").open("ab") as handle:
        handle.write(b'{"seq":2,"ts"')
    result = verify(str(tmp_path / "t.jsonl"))
    assert result.intact
    assert result.truncated
    assert not result.complete


def test_rotated_keys_still_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, Signer("2025", OLD_KEY))
    monkeypatch.setenv("REVIEW_BOT_AUDIT_KEY", KEY.decode())
    monkeypatch.setenv("REVIEW_BOT_AUDIT_KEY_ID", "2026")
    assert main(["audit", "verify", str(path)]) == 1  # 2025 is not in the ring
    assert verify(str(path), {"2026": KEY}).signature == "unknown-key"
    monkeypatch.setenv("REVIEW_BOT_AUDIT_KEYS", f"2025={OLD_KEY.decode()}")
    assert main(["audit", "verify", str(path)]) == 0
    assert verify(str(path), {"2025": OLD_KEY, "2026": KEY}).signature == "valid"


def test_unsigned_without_a_key_is_reported_and_optional(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, None)
    assert main(["audit", "verify", str(path)]) == 0
    assert "UNSIGNED" in capsys.readouterr().out
    assert main(["audit", "verify", str(path), "--require-signature"]) == 1
    signed = _write(tmp_path / "s")
    assert main(["audit", "verify", str(signed)]) == 0
    assert "NOT CHECKED" in capsys.readouterr().out
    assert main(["audit", "verify", str(signed), "--require-signature"]) == 1


def test_expect_head_anchors_the_record(tmp_path: Path) -> None:
    path = _write(tmp_path, None)
    head = verify(str(path)).head
    assert main(["audit", "verify", str(path), "--expect-head", head]) == 0
    datas = [(r.type, r.data) for r in _records(path)]
    datas[1] = ("tool.run", {"tool": "bandit", "findings": 0})
    _rechain(path, datas)
    assert main(["audit", "verify", str(path), "--expect-head", head]) == 1


def test_a_signed_transcript_cannot_be_resumed(tmp_path: Path) -> None:
    _write(tmp_path)
    with pytest.raises(TranscriptError, match="signed"):
        TranscriptWriter.resume(FileStore(tmp_path), "t")


def test_signer_repr_hides_the_key() -> None:
    assert KEY.decode() not in repr(Signer("k1", KEY))


def test_the_signature_record_holds_no_key(tmp_path: Path) -> None:
    path = _write(tmp_path)
    text = path.read_text()
    assert KEY.decode() not in text
    assert json.loads(text.splitlines()[-1])["type"] == SIGNATURE_TYPE


async def test_a_recorded_review_is_signed_and_carries_its_final_hash(tmp_path: Path) -> None:
    from review_bot.audit.recording import record_review
    from review_bot.change import from_files
    from review_bot.config.models import ReviewConfig, ToolsConfig
    from review_bot.pipeline import Services
    from review_bot.render import render

    change = from_files({"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    config = ReviewConfig(tools=ToolsConfig(enabled=()))
    store = FileStore(tmp_path)
    review = await record_review(
        change, config, Services(), store, transcript_id="r", signer=Signer("k1", KEY)
    )
    result = verify((store, "r"), {"k1": KEY})
    assert result.ok
    assert result.signature == "valid"
    assert review.transcript_hash == result.head
    assert json.loads(render(review, "json", change))["transcript_hash"] == result.head
    sarif = json.loads(render(review, "sarif", change))
    assert sarif["runs"][0]["properties"]["transcriptHash"] == result.head
    assert result.head in render(review, "markdown", change)


def test_audit_keys_come_from_the_environment_and_are_checked() -> None:
    from review_bot.config.audit import AuditConfig
    from review_bot.config.settings import load_settings
    from review_bot.errors import ConfigError

    env = {
        "REVIEW_BOT_AUDIT_KEY": "n" * 20,
        "REVIEW_BOT_AUDIT_KEY_ID": "2026",
        "REVIEW_BOT_AUDIT_KEYS": f"2025={'o' * 20}, 2024={'p' * 20}",
    }
    audit = load_settings(None, env=env, tools_only=True).audit
    assert audit.signing_key() == ("2026", b"n" * 20)
    assert audit.keyring() == {"2026": b"n" * 20, "2025": b"o" * 20, "2024": b"p" * 20}
    assert "nnnn" not in repr(audit)
    assert AuditConfig.model_validate(audit.model_dump()) == audit
    for bad in ({"REVIEW_BOT_AUDIT_KEY": "short-secret"}, {"REVIEW_BOT_AUDIT_KEYS": "x"}):
        with pytest.raises(ConfigError) as info:
            load_settings(None, env=bad, tools_only=True)
        assert "short-secret" not in str(info.value)


async def test_the_runtime_signs_with_the_configured_key(tmp_path: Path) -> None:
    from pydantic import SecretStr

    from review_bot.change import from_files
    from review_bot.compose import Runtime
    from review_bot.config.audit import AuditConfig
    from review_bot.config.cache import CacheConfig
    from review_bot.config.models import ReviewConfig, ToolsConfig
    from review_bot.config.settings import Settings

    (tmp_path / "rb.toml").write_text(
        f'[audit]\nkey = "{KEY.decode()}"\nkey_id = "file-key"\ntranscripts = "{tmp_path}"\n'
    )
    from review_bot.config.settings import load_settings

    loaded = load_settings(tmp_path / "rb.toml", env={}, tools_only=True).audit
    audit = AuditConfig(key=SecretStr(KEY.decode()), key_id="file-key", transcripts=str(tmp_path))
    assert loaded == audit
    settings = Settings(
        review=ReviewConfig(tools=ToolsConfig(enabled=())),
        audit=audit,
        cache=CacheConfig(enabled=False),
    )
    runtime = Runtime.from_settings(settings, testing=True)
    try:
        review = await runtime.review(from_files({"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}))
    finally:
        await runtime.aclose()
    assert review.transcript is not None
    result = verify(review.transcript, {"file-key": KEY})
    assert result.signature == "valid"
    assert review.transcript_hash == result.head
