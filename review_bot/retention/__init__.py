"""Retention and erasure: how long what we keep is kept, and erasing one owner's data.

``sweep.run_retention`` enforces the retention periods (``config/retention.py``, and
``[audit] retention_days`` for transcripts) over every place the deployment keeps data: the
service store and the cache in Redis, the local cache, the transcripts (a directory or
PostgreSQL). ``erase.erase`` removes one repository's or one subject's data from the same
places and records that it did in the erasure log (``log.py``), which holds no erased data.
"""

from __future__ import annotations

from review_bot.retention.erase import ErasureReport, Target, erase
from review_bot.retention.places import Places
from review_bot.retention.sweep import RetentionReport, run_retention

__all__ = ["ErasureReport", "Places", "RetentionReport", "Target", "erase", "run_retention"]
