"""Audit transcripts: record every review as a hash-chained log, verify it, show it, replay it.

Layout: ``records`` (record format, hashing), ``stores`` / ``postgres`` (where transcripts
live), ``writer`` (appending, the EventSink recorder), ``verify`` (the chain check),
``recording`` (one recorded review), ``replay`` (offline re-run; the model's answers come
from ``replay_model``, a model of the seam in our types), ``view`` / ``render`` (terminal and
HTML).
"""

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
