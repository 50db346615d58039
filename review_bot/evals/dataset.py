"""Eval datasets: JSONL records (see ../shared/evals/README.md) validated into frozen models.

The reviewer only ever sees :meth:`EvalCase.to_change` and ``language``; every other field is
for scoring. Loading also works out each clean case's *scope* (what "nothing should be flagged"
covers), because the records only say it in prose: see :func:`_clean_scope`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from review_bot.change import ChangeSet
from review_bot.errors import InputError
from review_bot.evals.topics import Topic, family_of, normalise_cwes
from review_bot.findings import Category, Severity

__all__ = [
    "ALL_DEFECTS",
    "CaseChange",
    "CaseFilter",
    "EvalCase",
    "ExpectedFinding",
    "Negative",
    "filter_cases",
    "load_cases",
]

_RECORD = ConfigDict(frozen=True, extra="ignore")

ALL_DEFECTS = (Topic(family="security"), Topic(family="defect"))
_FROZEN = ConfigDict(frozen=True, extra="forbid")


def _cwe_tuple(value: object) -> object:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return normalise_cwes(value)
    return value


class ExpectedFinding(BaseModel):
    """One labeled defect location; ``bug_id`` groups the locations of one defect."""

    model_config = _RECORD

    path: str
    line_start: int = Field(ge=1)
    line_end: int = Field(ge=1)
    category: Category
    cwe: tuple[str, ...] = ()
    severity: Severity | None = None
    bug_id: str | None = None
    rule_id: str | None = None
    location_kind: str | None = None
    note: str = ""

    _cwes = field_validator("cwe", mode="before")(_cwe_tuple)

    @model_validator(mode="after")
    def _check_range(self) -> ExpectedFinding:
        if self.line_end < self.line_start:
            raise ValueError(f"line_end {self.line_end} is before line_start {self.line_start}")
        return self

    @property
    def topic(self) -> Topic:
        """What this label is about (family + CWEs)."""
        family = family_of(self.category)
        if family is None:
            raise InputError(f"expected finding category {self.category!r} is not a defect")
        return Topic(family=family, cwe=self.cwe)


class Negative(BaseModel):
    """A line (or range) labeled *not* a defect for ``category``/``cwe``."""

    model_config = _RECORD

    path: str
    line: int | None = Field(default=None, ge=1)
    line_range: tuple[int, int] | None = None
    category: Category
    cwe: tuple[str, ...] = ()
    rule_id: str | None = None

    _cwes = field_validator("cwe", mode="before")(_cwe_tuple)

    @model_validator(mode="after")
    def _check_where(self) -> Negative:
        if self.line is None and self.line_range is None:
            raise ValueError("a negative needs 'line' or 'line_range'")
        return self

    @property
    def span(self) -> tuple[int, int]:
        """First and last line the negative covers."""
        if self.line is not None:
            return (self.line, self.line)
        assert self.line_range is not None  # guaranteed by _check_where
        return self.line_range

    @property
    def topic(self) -> Topic:
        """What this negative is about (family + CWEs)."""
        family = family_of(self.category)
        if family is None:
            raise InputError(f"negative category {self.category!r} is not a defect")
        return Topic(family=family, cwe=self.cwe)


class CaseChange(BaseModel):
    """The change of a case, as whole files before and after (labels refer to ``files_after``)."""

    model_config = _RECORD

    kind: Literal["add", "modify"]
    diff: str = ""
    files_before: dict[str, str] = Field(default_factory=dict)
    files_after: dict[str, str]


class EvalCase(BaseModel):
    """One labeled change. ``origin`` is ``file:line`` of the record, for messages."""

    model_config = _RECORD

    id: str = Field(min_length=1)
    language: str
    source: dict[str, Any] | str
    change: CaseChange
    expected_findings: tuple[ExpectedFinding, ...] = ()
    negatives: tuple[Negative, ...] = ()
    is_clean: bool = False
    label_scope: str = ""
    label_origin: str = ""
    license: str = ""
    pair_id: str | None = None
    origin: str = ""
    clean_scope: tuple[Topic, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _default_clean_scope(cls, data: object) -> object:
        # a clean case alone (no pair partner known yet) covers every defect family
        if isinstance(data, dict) and data.get("is_clean") and not data.get("clean_scope"):
            return {**data, "clean_scope": ALL_DEFECTS}
        return data

    @model_validator(mode="after")
    def _check_labels(self) -> EvalCase:
        if self.is_clean and self.expected_findings:
            raise ValueError("is_clean is true but expected_findings is not empty")
        if not self.change.files_after and self.change.kind == "add":
            raise ValueError("change.files_after is empty")
        labels: list[ExpectedFinding | Negative] = [*self.expected_findings, *self.negatives]
        for label in labels:
            if label.path not in self.change.files_after:
                raise ValueError(f"label path {label.path!r} is not in change.files_after")
            if family_of(label.category) is None:
                raise ValueError(
                    f"label category {label.category!r} is not security/bug/correctness"
                )
        return self

    @property
    def source_name(self) -> str:
        """The dataset this case comes from (``source.dataset`` or the string itself)."""
        if isinstance(self.source, str):
            return self.source
        return str(self.source.get("dataset") or "unknown")

    def content_hash(self) -> str:
        """sha256 of everything scoring or reviewing depends on (so edits invalidate results)."""
        import hashlib

        blob = self.model_dump_json(exclude={"origin"})
        return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def to_change(self) -> ChangeSet:
        """The ChangeSet the reviewer sees: built from the before/after file maps only."""
        from review_bot import change as change_module

        return change_module.from_files(self.change.files_before, self.change.files_after)


class CaseFilter(BaseModel):
    """Which cases to keep: any of ``sources`` / ``languages`` / ``ids`` (empty = all)."""

    model_config = _FROZEN

    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    limit: int | None = Field(default=None, ge=1)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _source_matches(case: EvalCase, wanted: str) -> bool:
    slug = _slug(wanted)
    stem = _slug(case.origin.rsplit(":", 1)[0].rsplit("/", 1)[-1].removesuffix(".jsonl"))
    return bool(slug) and (_slug(case.source_name).startswith(slug) or stem == slug)


def filter_cases(cases: Sequence[EvalCase], selection: CaseFilter) -> tuple[EvalCase, ...]:
    """Cases passing ``selection``, in dataset order; unknown ``ids`` are an InputError."""
    known = {c.id for c in cases}
    missing = [i for i in selection.ids if i not in known]
    if missing:
        raise InputError(f"unknown case id(s) {missing!r}: check --ids against the dataset")
    kept = [
        c
        for c in cases
        if (not selection.sources or any(_source_matches(c, s) for s in selection.sources))
        and (
            not selection.languages
            or c.language.lower() in {x.lower() for x in selection.languages}
        )
        and (not selection.ids or c.id in selection.ids)
    ]
    if selection.limit is not None:
        kept = kept[: selection.limit]
    return tuple(kept)


def _files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.rglob("*.jsonl"))
            if not found:
                raise InputError(f"directory {str(path)!r} holds no *.jsonl dataset files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(
                f"dataset {str(path)!r} does not exist: pass a .jsonl file or a directory"
            )
    return files


def _read(path: Path) -> list[EvalCase]:
    cases: list[EvalCase] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read dataset {str(path)!r}: {exc}") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{where}: not a JSON record ({exc.msg}); one JSON object a line"
            ) from exc
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}")
        try:
            cases.append(EvalCase.model_validate({**record, "origin": where}))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'record'}: {err['msg']}"
                for err in exc.errors()
            )
            raise InputError(
                f"{where}: invalid eval case {record.get('id')!r}: {problems}"
            ) from exc
    return cases


def _clean_scope(case: EvalCase, partners: Sequence[EvalCase]) -> tuple[Topic, ...]:
    """What "nothing should be flagged" covers in a clean case.

    The topics of its own negatives plus those labeled in its pair partner (the same code with
    the defect in): a finding on a topic the partner leaves unlabeled is unlabeled in both
    cases alike. With neither, every defect family is in scope.
    """
    topics: list[Topic] = [n.topic for n in case.negatives]
    for partner in partners:
        topics += [e.topic for e in partner.expected_findings]
    return tuple(dict.fromkeys(topics)) or ALL_DEFECTS


def load_cases(paths: Sequence[Path | str]) -> tuple[EvalCase, ...]:
    """Every case of the given files/directories, validated, in file then line order.

    Raises:
        InputError: a missing path, a bad record (named ``file:line``), duplicate ids, no cases.
    """
    cases: list[EvalCase] = []
    for file in _files(Path(p) for p in paths):
        cases.extend(_read(file))
    if not cases:
        raise InputError(f"no eval cases found in {[str(p) for p in paths]!r}")
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise InputError(
                f"{case.origin}: duplicate case id {case.id!r} (first at {seen[case.id]}); "
                "ids must be unique"
            )
        seen[case.id] = case.origin
    by_pair: dict[str, list[EvalCase]] = {}
    for case in cases:
        if case.pair_id:
            by_pair.setdefault(case.pair_id, []).append(case)
    out: list[EvalCase] = []
    for case in cases:
        if not case.is_clean:
            out.append(case)
            continue
        partners = [p for p in by_pair.get(case.pair_id or "", []) if not p.is_clean]
        out.append(case.model_copy(update={"clean_scope": _clean_scope(case, partners)}))
    return tuple(out)
