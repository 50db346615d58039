"""The run directory's ``cases.jsonl``: appended per finished case, read back to resume.

Each line is one :class:`CaseResult`, flushed and fsynced before the next case is reported,
so an interrupted run loses at most the cases still in flight. ``run.json`` pins the run's
settings: resuming into a directory made with other settings is refused rather than mixing
two configurations in one report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from review_bot.errors import InputError
from review_bot.evals.results import CaseResult, RunInfo, run_hash

__all__ = ["CASES_FILE", "RUN_FILE", "RunStore", "read_results"]

CASES_FILE = "cases.jsonl"
RUN_FILE = "run.json"


def read_results(path: Path) -> list[CaseResult]:
    """Every complete result in ``path``; a torn last line (a crash mid-write) is ignored.

    Raises:
        InputError: a line other than the last one is not a valid result.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise InputError(f"cannot read {str(path)!r}: {exc.strerror}") from exc
    results: list[CaseResult] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            results.append(CaseResult.model_validate_json(line))
        except ValidationError as exc:
            if number == len(lines):
                break  # torn write of the last case: it is simply re-run
            raise InputError(
                f"{path}:{number}: not a case result ({exc.error_count()} problems); "
                "the run directory is damaged: use a new --out DIR"
            ) from exc
    return results


class RunStore:
    """Results of one run in ``directory``, keyed by case id for the current settings."""

    def __init__(self, directory: Path, info: RunInfo, *, restart: bool = False) -> None:
        self.directory = directory
        self.info = info
        self.run_hash = run_hash(info)
        self._handle: IO[str] | None = None
        self._prepare(restart)

    @property
    def cases_path(self) -> Path:
        """Where per-case results go."""
        return self.directory / CASES_FILE

    def _prepare(self, restart: bool) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create --out {str(self.directory)!r}: {exc.strerror}"
            ) from exc
        run_file = self.directory / RUN_FILE
        if run_file.exists() and not restart:
            try:
                old = json.loads(run_file.read_text(encoding="utf-8")).get("run_hash")
            except (json.JSONDecodeError, AttributeError) as exc:
                raise InputError(
                    f"{str(run_file)!r} is not a run file: use a new --out DIR"
                ) from exc
            if old != self.run_hash:
                raise InputError(
                    f"{str(self.directory)!r} holds a run with other settings (run hash {old!r}, "
                    f"this run {self.run_hash!r}): use a new --out DIR, or --restart to discard it"
                )
        elif restart:
            self.cases_path.unlink(missing_ok=True)
        payload = {"run_hash": self.run_hash, "info": self.info.model_dump(mode="json")}
        run_file.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def completed(self) -> dict[str, CaseResult]:
        """Results already recorded for this run's settings (errors are not final)."""
        done: dict[str, CaseResult] = {}
        for result in read_results(self.cases_path):
            if result.run_hash == self.run_hash and result.error is None:
                done[result.case_id] = result
        return done

    def append(self, result: CaseResult) -> None:
        """Write one result durably (flush + fsync) before returning."""
        if self._handle is None:
            self._repair_tail()
            self._handle = self.cases_path.open("a", encoding="utf-8")
        self._handle.write(result.model_dump_json() + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def _repair_tail(self) -> None:
        """Cut a torn last line so the next append starts on a line of its own."""
        path = self.cases_path
        if not path.exists():
            return
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            path.write_bytes(data[: data.rfind(b"\n") + 1])

    def close(self) -> None:
        """Close the results file (safe to call twice)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
