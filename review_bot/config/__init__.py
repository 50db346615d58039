"""Configuration: typed frozen models and the one loader that reads files and env vars."""

from review_bot.config.loader import load_review_config
from review_bot.config.models import FilterMode, ReviewConfig, ToolsConfig

__all__ = ["FilterMode", "ReviewConfig", "ToolsConfig", "load_review_config"]
