"""Audit configuration: defaults, the environment override, round-trip."""

from __future__ import annotations

from review_bot.config.audit import DEFAULT_TRANSCRIPTS, AuditConfig


def test_defaults_and_round_trip() -> None:
    config = AuditConfig()
    assert config.enabled
    assert config.transcripts == DEFAULT_TRANSCRIPTS
    assert AuditConfig.model_validate_json(config.model_dump_json()) == config


def test_env_names_the_store_or_turns_recording_off() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/test"
    assert AuditConfig.from_env({"REVIEW_BOT_TRANSCRIPTS": url}).transcripts == url
    assert not AuditConfig.from_env({"REVIEW_BOT_TRANSCRIPTS": "off"}).enabled
    assert AuditConfig.from_env({}) == AuditConfig()
