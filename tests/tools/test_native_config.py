"""Where the analyzers' build caches live (Go's GOCACHE, staticcheck's facts)."""

from __future__ import annotations

from pathlib import Path

from review_bot.config.models import ToolsConfig
from review_bot.config.settings import load_settings


def test_build_caches_default_beside_the_local_store(tmp_path: Path) -> None:
    settings = load_settings(env={"HOME": str(tmp_path)}, tools_only=True)
    assert settings.review.tools.cache_dir == tmp_path / ".cache" / "review-bot" / "tools"


def test_an_explicit_cache_dir_wins(tmp_path: Path) -> None:
    config = tmp_path / "review-bot.toml"
    config.write_text(f'[review.tools]\ncache_dir = "{tmp_path / "go"}"\n')
    settings = load_settings(config, env={"HOME": str(tmp_path)}, tools_only=True)
    assert settings.review.tools.cache_dir == tmp_path / "go"


def test_no_local_dir_means_fresh_temp_caches() -> None:
    assert load_settings(env={}, tools_only=True).review.tools.cache_dir is None
    assert ToolsConfig().cache_dir is None
