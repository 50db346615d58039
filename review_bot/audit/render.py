"""Show a transcript to a human: in the terminal (rich) or as one self-contained HTML page."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import jinja2
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from review_bot.audit.records import Record
from review_bot.audit.verify import VerifyResult
from review_bot.audit.view import Entry, entries

__all__ = ["render_html", "render_terminal"]

_STYLES = {
    "turn": "blue",
    "tool": "green",
    "error": "red",
    "start": "magenta",
    "finish": "magenta",
    "event": "dim",
}


def _panel(entry: Entry) -> Panel:
    body = Text()
    if entry.meta:
        body.append("  ".join(f"{k}: {v}" for k, v in entry.meta.items()), style="dim")
        body.append("\n")
    if entry.body:
        body.append(entry.body)
    title = Text.assemble((f"#{entry.seq} ", "dim"), (entry.who, "bold"), f"  {entry.title}")
    return Panel(
        body if body.plain else Text("", style="dim"),
        title=title,
        title_align="left",
        subtitle=entry.ts,
        subtitle_align="right",
        border_style=_STYLES.get(entry.kind, "white"),
    )


def render_terminal(records: Sequence[Record], verified: VerifyResult, console: Console) -> None:
    """Print every entry of the transcript as a panel, headed by the verification result."""
    style = "green" if verified.ok else "red"
    console.print(Text(f"{verified.location}: {verified.message()}", style=style))
    for entry in entries(records):
        console.print(_panel(entry))


def render_html(records: Sequence[Record], verified: VerifyResult) -> str:
    """One HTML page, CSS inline, no scripts and no external resources."""
    template = resources.files("review_bot.audit").joinpath("transcript.html").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(template).render(
        title=verified.location,
        location=verified.location,
        verified=verified,
        entries=entries(records),
    )
