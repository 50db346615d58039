"""Audit transcripts: record every review as a hash-chained log, verify it, show it, replay it.

Layout: ``records`` (record format, hashing), ``stores`` / ``postgres`` (where transcripts
live), ``writer`` (appending, the EventSink recorder), ``verify`` (the chain check),
``recording`` (one recorded review), ``replay`` (offline re-run; the model's answers come
from ``replay_model``, a model of the seam in our types), ``view`` / ``render`` (terminal and
HTML).
"""

from typing import TYPE_CHECKING

from review_bot._lazy import lazy_package

if TYPE_CHECKING:
    from review_bot.audit.recording import record_review
    from review_bot.audit.records import GENESIS, Record
    from review_bot.audit.render import render_html, render_terminal
    from review_bot.audit.replay import AgentsFactory, ReplayResult, replay
    from review_bot.audit.replay_model import ReplayModel
    from review_bot.audit.stores import (
        FileStore,
        RawTranscript,
        TranscriptStore,
        open_location,
        open_store,
    )
    from review_bot.audit.verify import VerifyResult, load_records, verify
    from review_bot.audit.writer import TranscriptRecorder, TranscriptWriter, new_transcript_id

_EXPORTS = {
    "record_review": "review_bot.audit.recording",
    "GENESIS": "review_bot.audit.records",
    "Record": "review_bot.audit.records",
    "render_html": "review_bot.audit.render",
    "render_terminal": "review_bot.audit.render",
    "AgentsFactory": "review_bot.audit.replay",
    "ReplayResult": "review_bot.audit.replay",
    "replay": "review_bot.audit.replay",
    "ReplayModel": "review_bot.audit.replay_model",
    "FileStore": "review_bot.audit.stores",
    "RawTranscript": "review_bot.audit.stores",
    "TranscriptStore": "review_bot.audit.stores",
    "open_location": "review_bot.audit.stores",
    "open_store": "review_bot.audit.stores",
    "VerifyResult": "review_bot.audit.verify",
    "load_records": "review_bot.audit.verify",
    "verify": "review_bot.audit.verify",
    "TranscriptRecorder": "review_bot.audit.writer",
    "TranscriptWriter": "review_bot.audit.writer",
    "new_transcript_id": "review_bot.audit.writer",
}
lazy_package(__name__, _EXPORTS)

__all__ = [
    "GENESIS",
    "AgentsFactory",
    "FileStore",
    "RawTranscript",
    "Record",
    "ReplayModel",
    "ReplayResult",
    "TranscriptRecorder",
    "TranscriptStore",
    "TranscriptWriter",
    "VerifyResult",
    "load_records",
    "new_transcript_id",
    "open_location",
    "open_store",
    "record_review",
    "render_html",
    "render_terminal",
    "replay",
    "verify",
]
