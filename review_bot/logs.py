"""Process logging for ``serve`` and ``worker``: readable text, or one JSON object per line.

JSON lines carry ``ts``, ``level``, ``logger``, ``message`` and whichever of ``review_id``,
``delivery_id``, ``trace_id`` and ``span_id`` the call site passed in ``extra=`` (the active
OpenTelemetry span's ids are filled in when tracing is on). Every message and extra value goes
through the secret redactor first: a token a library puts in an exception text never reaches
the log collector. A record whose caller set ``PRE_REDACTED`` in ``extra=`` is written as it
is: the access log builds its line from validated fields and redacts the request's path and
query itself (repeated texts hit the redactor's memo), because running detection over every
field of a line per request cost the webhook half its throughput.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

from review_bot.config.logs import LogConfig
from review_bot.redaction import Redactor

__all__ = ["CONTEXT_FIELDS", "PRE_REDACTED", "configure_logging"]

CONTEXT_FIELDS = ("review_id", "delivery_id", "trace_id", "span_id")
PRE_REDACTED = "review_bot_pre_redacted"  # extra={PRE_REDACTED: True}: fields already safe
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _RedactingJson(JsonFormatter):
    """python-json-logger's formatter with our field names and secrets redacted."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
        self._redactor = redactor

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        _add_trace_ids(log_data)
        if log_data.pop(PRE_REDACTED, False):
            return
        for key, value in list(log_data.items()):
            if isinstance(value, str):
                log_data[key] = self._redactor.redact(value)


class _RedactingText(logging.Formatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__(_TEXT_FORMAT)
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if getattr(record, PRE_REDACTED, False) else self._redactor.redact(text)


def _add_trace_ids(log_data: dict[str, Any]) -> None:
    """The current span's ids, when OpenTelemetry is installed and a span is recording."""
    if "trace_id" in log_data:
        return
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:  # tracing was never set up in this process: nothing to correlate
        return
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        log_data["trace_id"] = f"{context.trace_id:032x}"
        log_data["span_id"] = f"{context.span_id:016x}"


def configure_logging(config: LogConfig, stream: TextIO | None = None) -> logging.Handler:
    """Send the root logger to ``stream`` (stderr) in ``config``'s format; returns the handler.

    Replaces handlers an earlier call installed, so calling it twice does not double lines.
    """
    redactor = Redactor()
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter: logging.Formatter = (
        _RedactingJson(redactor) if config.format == "json" else _RedactingText(redactor)
    )
    handler.setFormatter(formatter)
    handler.set_name("review-bot")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "review-bot"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(config.level)
    return handler
