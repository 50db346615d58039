"""The :class:`ToolsFileAnalyzer` agents use (it lives in ``review_bot.tools.file_analyzer``)."""

from review_bot.tools.file_analyzer import ToolsFileAnalyzer

__all__ = ["ToolsFileAnalyzer"]
