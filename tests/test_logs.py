"""Process logs: JSON lines with context and no secrets, or text; bad settings named."""

from __future__ import annotations

import io
import json
import logging

import pytest

from review_bot.config.logs import LogConfig
from review_bot.errors import ConfigError
from review_bot.logs import configure_logging

TOKEN = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"


@pytest.fixture
def stream() -> io.StringIO:
    out = io.StringIO()
    yield out
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "review-bot"]:
        root.removeHandler(handler)


def test_json_lines_carry_context_and_no_secret(stream: io.StringIO) -> None:
    configure_logging(LogConfig(format="json"), stream)
    logging.getLogger("review_bot.service").info(
        "posted with %s", TOKEN, extra={"review_id": "r-1", "delivery_id": "d-1"}
    )
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "INFO"
    assert record["logger"] == "review_bot.service"
    assert record["review_id"] == "r-1"
    assert record["delivery_id"] == "d-1"
    assert "ts" in record
    assert TOKEN not in line
    assert "[REDACTED:github-token:" in record["message"]


def test_trace_ids_come_from_the_active_span(stream: io.StringIO) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    configure_logging(LogConfig(format="json"), stream)
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("review") as span:
        logging.getLogger("review_bot").warning("inside")
        context = span.get_span_context()
    record = json.loads(stream.getvalue())
    assert record["trace_id"] == f"{context.trace_id:032x}"
    assert record["span_id"] == f"{context.span_id:016x}"


def test_text_is_the_default_and_is_redacted(stream: io.StringIO) -> None:
    configure_logging(LogConfig.from_env({}), stream)
    logging.getLogger("review_bot").error("key %s", TOKEN)
    text = stream.getvalue()
    assert " ERROR review_bot: key [REDACTED:github-token:" in text
    assert TOKEN not in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_configuring_twice_does_not_double_lines(stream: io.StringIO) -> None:
    configure_logging(LogConfig(format="json"), stream)
    configure_logging(LogConfig(format="json"), stream)
    logging.getLogger("review_bot").warning("once")
    assert len(stream.getvalue().splitlines()) == 1


@pytest.mark.parametrize(("var", "value"), [("REVIEW_BOT_LOG_FORMAT", "xml"),
                                            ("REVIEW_BOT_LOG_LEVEL", "LOUD")])  # fmt: skip
def test_bad_settings_are_named(var: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        LogConfig.from_env({var: value})
    assert repr(value.lower() if var.endswith("FORMAT") else value.upper()) in str(err.value)
