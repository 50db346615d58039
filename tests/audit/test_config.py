"""Audit configuration: defaults in the user's state dir, the environment override, round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from review_bot.config.audit import AuditConfig, default_transcripts
from review_bot.config.settings import load_settings


def test_defaults_and_round_trip() -> None:
    config = AuditConfig()
    assert config.enabled
    assert config.transcripts == default_transcripts()
    assert config.retention_days == 365  # an audit trail outlives the 30-day review state
    assert config.max_total_mb == 512
    assert AuditConfig.model_validate_json(config.model_dump_json()) == config


def test_transcripts_default_to_the_xdg_state_dir_never_the_repo() -> None:
    xdg = {"XDG_STATE_HOME": "/var/state", "HOME": "/home/u"}
    assert default_transcripts(xdg) == "/var/state/review-bot/transcripts"
    home = {"HOME": "/home/u"}
    assert default_transcripts(home) == "/home/u/.local/state/review-bot/transcripts"
    relative = {"XDG_STATE_HOME": "state", "HOME": "/home/u"}  # ignored, as XDG says
    assert default_transcripts(relative) == "/home/u/.local/state/review-bot/transcripts"
    assert AuditConfig.from_env(xdg).transcripts == "/var/state/review-bot/transcripts"


def test_env_names_the_store_or_turns_recording_off() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/test"
    assert AuditConfig.from_env({"REVIEW_BOT_TRANSCRIPTS": url}).transcripts == url
    assert not AuditConfig.from_env({"REVIEW_BOT_TRANSCRIPTS": "off"}).enabled
    env = {"HOME": "/home/u"}
    assert AuditConfig.from_env(env) == AuditConfig(transcripts=default_transcripts(env))


def test_file_settings_for_retention_and_location(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[audit]\ntranscripts = "/srv/t"\nretention_days = 7\nmax_total_mb = 10\n')
    audit = load_settings(path, env={"HOME": "/home/u"}).audit
    assert (audit.transcripts, audit.retention_days, audit.max_total_mb) == ("/srv/t", 7, 10)
    with pytest.raises(ValidationError):
        AuditConfig(retention_days=-1)
