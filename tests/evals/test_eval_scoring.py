"""Scoring one case: matching with tolerance, units, negatives, clean scope, verdict order."""

from __future__ import annotations

import pytest
from eval_helpers import case, model, pred

from review_bot.evals.dataset import EvalCase
from review_bot.evals.scoring import score_case
from review_bot.evals.topics import Topic, cwes_compatible, family_of


def _one_label(**label: object) -> EvalCase:
    return model(case(expected=[{"line_start": 10, "line_end": 12, **label}]))


@pytest.mark.parametrize(
    ("line", "end", "found"),
    [
        (10, 10, True),
        (12, 12, True),
        (14, 14, True),
        (8, 8, True),
        (15, 15, False),
        (7, 7, False),
        (1, 9, True),
        (1, 7, False),
        (13, 40, True),
    ],
)
def test_match_needs_overlap_within_tolerance(line: int, end: int, found: bool) -> None:
    score = score_case(_one_label(), [pred(line, end)], tolerance=2)
    assert score.units[0].found is found
    assert score.verdicts == (("tp",) if found else ("unlabeled",))


def test_zero_tolerance_is_strict_overlap() -> None:
    assert not score_case(_one_label(), [pred(13)], tolerance=0).units[0].found
    assert score_case(_one_label(), [pred(12)], tolerance=0).units[0].found


def test_other_path_never_matches() -> None:
    score = score_case(_one_label(), [pred(10, path="other.py")], tolerance=2)
    assert score.verdicts == ("unlabeled",)
    assert not score.units[0].found


@pytest.mark.parametrize(
    ("label_cat", "finding_cat", "matches"),
    [
        ("security", "security", True),
        ("bug", "correctness", True),
        ("correctness", "bug", True),
        ("bug", "security", False),
        ("security", "bug", False),
        ("bug", "style", False),
        ("correctness", "maintainability", False),
        ("security", "performance", False),
    ],
)
def test_category_families(label_cat: str, finding_cat: str, matches: bool) -> None:
    score = score_case(_one_label(category=label_cat), [pred(10, category=finding_cat)], 2)
    assert score.units[0].found is matches


@pytest.mark.parametrize(
    ("label_cwe", "finding_cwe", "matches"),
    [
        (["CWE-78"], ("CWE-78",), True),
        (["CWE-78"], (), True),  # tools without CWEs match on the family
        ([], ("CWE-89",), True),
        (["CWE-78"], ("CWE-89",), False),
        (["CWE-327"], ("CWE-328",), True),  # related weaknesses
        (["22"], ("CWE-23",), True),  # numbers are normalised
    ],
)
def test_cwes_narrow_only_when_both_have_them(
    label_cwe: list[str], finding_cwe: tuple[str, ...], matches: bool
) -> None:
    score = score_case(_one_label(cwe=label_cwe), [pred(10, cwe=finding_cwe)], 2)
    assert score.units[0].found is matches


def test_bug_id_groups_locations_into_one_unit() -> None:
    c = model(
        case(
            expected=[
                {"line_start": 5, "line_end": 5, "bug_id": "b1"},
                {"line_start": 30, "line_end": 30, "bug_id": "b1"},
                {"line_start": 50, "line_end": 50},
            ]
        )
    )
    score = score_case(c, [pred(30)], tolerance=2)
    assert [(u.unit_id, u.found) for u in score.units] == [("b1", True), ("c1#2", False)]


def test_each_label_without_bug_id_is_its_own_unit() -> None:
    c = model(case(expected=[{"line_start": 5, "line_end": 5}, {"line_start": 30, "line_end": 30}]))
    score = score_case(c, [pred(5), pred(5)], tolerance=2)
    assert [u.found for u in score.units] == [True, False]
    assert score.verdicts == ("tp", "tp")  # duplicates are both correct predictions


def test_negative_is_hit_only_on_its_own_line() -> None:
    c = model(case(negatives=[{"line": 20}]))
    assert score_case(c, [pred(20)], 2).verdicts == ("negative",)
    assert score_case(c, [pred(21)], 2).verdicts == ("unlabeled",)
    assert score_case(c, [pred(18, 22)], 2).negatives_flagged == 1


def test_negative_range_and_topic() -> None:
    c = model(case(negatives=[{"line_range": [10, 40], "cwe": ["CWE-327"]}]))
    assert score_case(c, [pred(25, cwe=("CWE-327",))], 2).verdicts == ("negative",)
    assert score_case(c, [pred(25, cwe=("CWE-89",))], 2).verdicts == ("unlabeled",)
    assert score_case(c, [pred(25, category="bug")], 2).verdicts == ("unlabeled",)


def test_matching_an_expected_label_wins_over_an_adjacent_negative() -> None:
    # semgrep-rules style: ruleid on line 5, ok on line 6
    c = model(case(expected=[{"line_start": 5, "line_end": 5}], negatives=[{"line": 6}]))
    score = score_case(c, [pred(5, 6), pred(6)], tolerance=2)
    assert score.verdicts == ("tp", "tp")
    assert score.negatives_flagged == 0


def test_negatives_flagged_counts_labels_not_findings() -> None:
    c = model(case(negatives=[{"line": 20}, {"line": 30}]))
    score = score_case(c, [pred(20), pred(20), pred(20)], 2)
    assert (score.negatives_total, score.negatives_flagged, score.count("negative")) == (2, 1, 3)


def test_clean_case_flagged_only_by_findings_in_scope() -> None:
    record = case(is_clean=True)
    c = model(record).model_copy(
        update={"clean_scope": (Topic(family="security", cwe=("CWE-22",)),)}
    )
    assert not score_case(c, [pred(3, category="style")], 2).clean_flagged
    assert not score_case(c, [pred(3, cwe=("CWE-89",))], 2).clean_flagged
    flagged = score_case(c, [pred(3, cwe=("CWE-22",)), pred(4)], 2)
    assert flagged.clean_flagged
    assert flagged.verdicts == ("clean", "clean")


def test_unclean_case_is_never_clean_flagged() -> None:
    score = score_case(_one_label(), [pred(50)], 2)
    assert not score.clean_flagged
    assert score.verdicts == ("unlabeled",)


def test_topic_helpers() -> None:
    assert family_of("bug") == family_of("correctness") == "defect"
    assert family_of("style") is None
    assert cwes_compatible((), ("CWE-1",))
    assert not cwes_compatible(("CWE-502",), ("CWE-78",))
