from __future__ import annotations

import dataclasses
import itertools
import re
from decimal import Decimal

import pytest

from patients.instruments import (
    CSSRS_QUESTIONS,
    INSTRUMENTS,
    OUTCOME_MEASURES,
    PROVISIONAL_PTSD,
    SUICIDE_RISK,
    Band,
    Score,
    bands,
    outcome,
    percent_change,
    phq9_remission,
    phq9_response,
    score,
)

ITEM_COUNTS = {"phq9": 9, "gad7": 7, "pcl5": 20, "cadss6": 6}
ITEM_MAX = {"phq9": 3, "gad7": 3, "pcl5": 4, "cadss6": 4}


def answers_totalling(code: str, total: int) -> list[int]:
    """Item answers for ``code`` that add up to ``total``, filled from item 1 onwards."""
    answers = []
    for _ in range(ITEM_COUNTS[code]):
        value = min(ITEM_MAX[code], total)
        answers.append(value)
        total -= value
    assert total == 0, "total is above the measure's maximum"
    return answers


# --- severity bands: both sides of every boundary ------------------------------------------


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_total_falls_in_kroenke_band(total: int, severity: str) -> None:
    result = score("phq9", answers_totalling("phq9", total))

    assert result.total == total
    assert result.severity == severity


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_total_falls_in_spitzer_band(total: int, severity: str) -> None:
    result = score("gad7", answers_totalling("gad7", total))

    assert result.total == total
    assert result.severity == severity
    assert result.flags == frozenset()


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "below threshold"),
        (32, "below threshold"),
        (33, "probable PTSD"),
        (80, "probable PTSD"),
    ],
)
def test_pcl5_probable_ptsd_from_33(total: int, severity: str) -> None:
    result = score("pcl5", answers_totalling("pcl5", total))

    assert result.total == total
    assert result.severity == severity


@pytest.mark.parametrize("total", [0, 1, 12, 23, 24])
def test_cadss6_sums_items_without_a_severity_band(total: int) -> None:
    result = score("cadss6", answers_totalling("cadss6", total))

    assert result == Score(code="cadss6", total=total, severity="", flags=frozenset())


def test_items_are_summed_not_counted() -> None:
    assert score("phq9", [0, 1, 2, 3, 0, 1, 2, 3, 0]).total == 12
    assert score("gad7", [3, 0, 0, 0, 0, 0, 1]).total == 4
    assert score("cadss6", [4, 0, 1, 0, 2, 0]).total == 7


def test_tuple_answers_are_accepted() -> None:
    assert score("gad7", (1, 1, 1, 1, 1, 0, 0)).severity == "mild"


# --- PHQ-9 item 9 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "flagged"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], False),
        ([3, 3, 3, 3, 3, 3, 3, 3, 0], False),  # severe, but item 9 is "Not at all"
        ([0, 0, 0, 0, 0, 0, 0, 0, 1], True),  # minimal total still flags
        ([0, 0, 0, 0, 0, 0, 0, 0, 2], True),
        ([1, 1, 1, 1, 1, 1, 1, 1, 3], True),
        ([0, 0, 0, 0, 0, 0, 0, 1, 0], False),  # item 8 is not the suicide item
    ],
)
def test_phq9_item9_above_zero_flags_suicide_risk(answers: list[int], flagged: bool) -> None:
    assert (SUICIDE_RISK in score("phq9", answers).flags) is flagged


def test_phq9_item9_is_the_thoughts_of_death_item() -> None:
    # Guards the flag's index against the item list being reordered.
    assert "better off dead" in INSTRUMENTS["phq9"].items[8]


# --- PCL-5 provisional diagnosis ------------------------------------------------------------

#                        B(1-5)            C(6-7)  D(8-14)                  E(15-20)
PCL5_JUST_ENOUGH = [2, 0, 0, 0, 0] + [2, 0] + [2, 2, 0, 0, 0, 0, 0] + [2, 2, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("answers", "provisional"),
    [
        pytest.param(PCL5_JUST_ENOUGH, True, id="1B-1C-2D-2E"),
        pytest.param(
            [0, 0, 0, 0, 4] + [0, 4] + [0, 0, 0, 0, 0, 3, 3] + [0, 0, 0, 0, 2, 3],
            True,
            id="last-items-of-each-cluster",
        ),
        pytest.param([4] * 20, True, id="everything-extreme"),
        pytest.param(
            [0, 0, 0, 0, 0] + [2, 0] + [2, 2, 0, 0, 0, 0, 0] + [2, 2, 0, 0, 0, 0],
            False,
            id="B-one-short",
        ),
        pytest.param(
            [2, 0, 0, 0, 0] + [0, 0] + [2, 2, 0, 0, 0, 0, 0] + [2, 2, 0, 0, 0, 0],
            False,
            id="C-one-short",
        ),
        pytest.param(
            [2, 0, 0, 0, 0] + [2, 0] + [2, 0, 0, 0, 0, 0, 0] + [2, 2, 0, 0, 0, 0],
            False,
            id="D-one-short",
        ),
        pytest.param(
            [2, 0, 0, 0, 0] + [2, 0] + [2, 2, 0, 0, 0, 0, 0] + [2, 0, 0, 0, 0, 0],
            False,
            id="E-one-short",
        ),
        pytest.param(
            [1, 1, 1, 1, 1] + [2, 0] + [2, 2, 0, 0, 0, 0, 0] + [2, 2, 0, 0, 0, 0],
            False,
            id="rated-1-is-not-endorsed",
        ),
        pytest.param(
            [4, 4, 4, 4, 4] + [4, 4] + [4, 4, 4, 4, 4, 4, 4] + [1, 1, 1, 1, 1, 1],
            False,
            id="probable-PTSD-total-without-E-cluster",
        ),
    ],
)
def test_pcl5_provisional_ptsd_needs_each_cluster(answers: list[int], provisional: bool) -> None:
    assert (PROVISIONAL_PTSD in score("pcl5", answers).flags) is provisional


def test_pcl5_cluster_rule_is_independent_of_the_cut_off() -> None:
    result = score("pcl5", PCL5_JUST_ENOUGH)

    assert result.total == 12
    assert result.severity == "below threshold"
    assert result.flags == frozenset({PROVISIONAL_PTSD})


def test_pcl5_large_total_without_clusters_is_not_provisional() -> None:
    result = score("pcl5", [4, 4, 4, 4, 4] + [4, 4] + [4] * 7 + [1] * 6)

    assert result.severity == "probable PTSD"
    assert result.flags == frozenset()


# --- C-SSRS screener triage -----------------------------------------------------------------

NO_IDEATION = {"q1": False, "q2": False, "q6": False}


def ideation(*, q3: bool = False, q4: bool = False, q5: bool = False, **rest: bool) -> dict:
    """Answers with a yes to Q2, so Q3-Q5 must be answered."""
    return {"q1": True, "q2": True, "q3": q3, "q4": q4, "q5": q5, "q6": False} | rest


@pytest.mark.parametrize(
    ("answers", "risk"),
    [
        pytest.param(NO_IDEATION, "none", id="all-no"),
        pytest.param(NO_IDEATION | {"q6_recent": False}, "none", id="all-no-recent-false"),
        pytest.param(NO_IDEATION | {"q6_recent": None}, "none", id="all-no-recent-none"),
        pytest.param(NO_IDEATION | {"q3": None, "q4": None}, "none", id="q3-5-none-after-no"),
        pytest.param(NO_IDEATION | {"q1": True}, "low", id="q1-only"),
        pytest.param(ideation(q1=False), "low", id="q2-only"),
        pytest.param(ideation(), "low", id="q1-and-q2"),
        pytest.param(ideation(q3=True), "moderate", id="q3-method"),
        pytest.param(NO_IDEATION | {"q6": True, "q6_recent": False}, "moderate", id="q6-lifetime"),
        pytest.param(
            NO_IDEATION | {"q1": True, "q6": True, "q6_recent": False},
            "moderate",
            id="q1-and-q6-lifetime",
        ),
        pytest.param(ideation(q4=True), "high", id="q4-intent"),
        pytest.param(ideation(q5=True), "high", id="q5-plan"),
        pytest.param(ideation(q3=True, q4=True, q5=True), "high", id="q3-q4-q5"),
        pytest.param(NO_IDEATION | {"q6": True, "q6_recent": True}, "high", id="q6-recent"),
        pytest.param(
            ideation(q3=True, q6=True, q6_recent=False), "moderate", id="q3-and-q6-lifetime"
        ),
        pytest.param(ideation(q3=True, q6=True, q6_recent=True), "high", id="q3-and-q6-recent"),
    ],
)
def test_cssrs_follows_columbia_triage(answers: dict, risk: str) -> None:
    result = score("cssrs", answers)

    assert result.severity == risk
    assert result.total is None
    assert (SUICIDE_RISK in result.flags) is (risk in ("moderate", "high"))


def _valid_cssrs_answers() -> list[dict[str, bool | None]]:
    combos = []
    for q1, q2, q6 in itertools.product([False, True], repeat=3):
        follow_ups = itertools.product([False, True], repeat=3) if q2 else [(None, None, None)]
        for q3, q4, q5 in follow_ups:
            for recent in [False, True] if q6 else [None]:
                combos.append(
                    {
                        "q1": q1,
                        "q2": q2,
                        "q3": q3,
                        "q4": q4,
                        "q5": q5,
                        "q6": q6,
                        "q6_recent": recent,
                    }
                )
    return combos


RISK_ORDER = ["none", "low", "moderate", "high"]


def test_cssrs_a_further_yes_never_lowers_the_risk() -> None:
    # Exhaustive over every valid screener: the triage must be monotone, or a patient could
    # look safer by disclosing more.
    combos = _valid_cssrs_answers()
    risk = {tuple(c.items()): RISK_ORDER.index(score("cssrs", c).severity) for c in combos}
    for before, after in itertools.product(combos, repeat=2):
        more_yes = all(after[k] or not before[k] for k in before if before[k] is not None)
        if more_yes and after != before:
            assert risk[tuple(after.items())] >= risk[tuple(before.items())], (before, after)


# --- response and remission -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "current", "response"),
    [
        (20, 10, True),  # exactly 50 %
        (20, 11, False),
        (21, 10, True),  # 10 <= 10.5
        (21, 11, False),  # 11 > 10.5
        (27, 0, True),
        (10, 0, True),
        (1, 0, True),
        (12, 12, False),
        (8, 14, False),  # worse
        (0, 0, False),  # nothing to halve
    ],
)
def test_phq9_response_is_a_fall_of_at_least_half(
    baseline: int, current: int, response: bool
) -> None:
    assert phq9_response(baseline, current) is response


@pytest.mark.parametrize(("total", "remission"), [(0, True), (4, True), (5, False), (27, False)])
def test_phq9_remission_is_total_below_5(total: int, remission: bool) -> None:
    assert phq9_remission(total) is remission


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: phq9_response(-1, 0), "baseline PHQ-9 total is -1"),
        (lambda: phq9_response(28, 0), "baseline PHQ-9 total is 28"),
        (lambda: phq9_response(10, 28), "current PHQ-9 total is 28"),
        (lambda: phq9_response(True, 0), "must be a whole number"),
        (lambda: phq9_response(10, 4.0), "must be a whole number"),
        (lambda: phq9_response(None, 4), "must be a whole number"),
        (lambda: phq9_remission(-1), "PHQ-9 total is -1"),
        (lambda: phq9_remission(28), "PHQ-9 total is 28"),
        (lambda: phq9_remission("4"), "must be a whole number"),
        (lambda: phq9_remission(False), "must be a whole number"),
    ],
)
def test_response_and_remission_refuse_impossible_totals(call, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


# --- outcomes: baseline against latest ------------------------------------------------------

D = Decimal


@pytest.mark.parametrize(
    ("code", "baseline", "latest", "change", "percent", "response", "remission"),
    [
        pytest.param("phq9", 20, 10, -10, D("-50.0"), True, False, id="phq9-exactly-50pc"),
        # 49.9 % cannot happen with whole totals up to 27: the nearest fall below half is
        # 13 of 27 (48.1 %). percent_change is tested at 49.9 % below.
        pytest.param("phq9", 27, 14, -13, D("-48.1"), False, False, id="phq9-just-under-50pc"),
        pytest.param("phq9", 21, 11, -10, D("-47.6"), False, False, id="phq9-odd-baseline"),
        pytest.param("phq9", 21, 10, -11, D("-52.3"), True, False, id="phq9-odd-baseline-met"),
        pytest.param("phq9", 10, 5, -5, D("-50.0"), True, False, id="phq9-total-5-no-remission"),
        pytest.param("phq9", 10, 4, -6, D("-60.0"), True, True, id="phq9-total-4-remission"),
        pytest.param("phq9", 12, 12, 0, D("0.0"), False, False, id="phq9-unchanged"),
        pytest.param("phq9", 8, 14, 6, D("75.0"), False, False, id="phq9-worse"),
        pytest.param("phq9", 0, 0, 0, None, False, True, id="phq9-baseline-0"),
        pytest.param("phq9", 0, 6, 6, None, False, False, id="phq9-baseline-0-worse"),
        pytest.param("phq9", 14, None, None, None, None, None, id="phq9-single-result"),
        pytest.param("gad7", 12, 6, -6, D("-50.0"), None, None, id="gad7-no-response-rule"),
        pytest.param("gad7", 0, 3, 3, None, None, None, id="gad7-baseline-0"),
        pytest.param("gad7", 9, None, None, None, None, None, id="gad7-single-result"),
        pytest.param("pcl5", 79, 40, -39, D("-49.3"), None, None, id="pcl5-cut-not-rounded"),
        pytest.param("pcl5", 50, 80, 30, D("60.0"), None, None, id="pcl5-worse-to-max"),
    ],
)
def test_outcome_compares_latest_with_baseline(
    code: str,
    baseline: int,
    latest: int | None,
    change: int | None,
    percent: Decimal | None,
    response: bool | None,
    remission: bool | None,
) -> None:
    result = outcome(code, baseline, latest)
    assert (result.baseline, result.latest, result.change) == (baseline, latest, change)
    assert result.percent_change == percent
    assert result.response is response
    assert result.remission is remission


@pytest.mark.parametrize(
    ("baseline", "latest", "percent"),
    [
        (1000, 501, D("-49.9")),
        (10000, 5004, D("-49.9")),  # 49.96 % is cut, never shown as -50.0 beside "not met"
        (1000, 500, D("-50.0")),
        (3, 2, D("-33.3")),
        (3, 4, D("33.3")),
        (3, 0, D("-100.0")),
        (2, 2, D("0.0")),
        (0, 5, None),
    ],
)
def test_percent_change_is_cut_toward_zero_to_one_decimal(
    baseline: int, latest: int, percent: Decimal | None
) -> None:
    assert percent_change(baseline, latest) == percent


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: outcome("cssrs", 0, 0), "Outcomes are followed for phq9, gad7, pcl5"),
        (lambda: outcome("cadss6", 0, 0), "not 'cadss6'"),
        (lambda: outcome("phq9", 28, None), "baseline PHQ-9 total is 28"),
        (lambda: outcome("gad7", 5, 22), "latest GAD-7 total is 22; GAD-7 totals range from 0"),
        (lambda: outcome("pcl5", 10, 81), "latest PCL-5 total is 81"),
        (lambda: outcome("pcl5", -1, 0), "baseline PCL-5 total is -1"),
        (lambda: outcome("phq9", True, 1), "must be a whole number"),
        (lambda: outcome("phq9", 10, 4.0), "must be a whole number"),
    ],
)
def test_outcome_refuses_other_measures_and_impossible_totals(call, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


@pytest.mark.parametrize("code", OUTCOME_MEASURES)
def test_bands_cover_every_total_once(code: str) -> None:
    found = bands(code)
    assert found[0].low == 0
    assert found[-1].high == INSTRUMENTS[code].max_total
    for lower, upper in itertools.pairwise(found):
        assert upper.low == lower.high + 1
    for total in range(INSTRUMENTS[code].max_total + 1):
        [band] = [b for b in found if b.low <= total <= b.high]
        assert band.label == score(code, answers_totalling(code, total)).severity


def test_bands_of_the_phq9_and_pcl5_cut_offs() -> None:
    assert [(b.low, b.label) for b in bands("phq9")] == [
        (0, "minimal"),
        (5, "mild"),
        (10, "moderate"),
        (15, "moderately severe"),
        (20, "severe"),
    ]
    assert bands("pcl5") == (Band(0, 32, "below threshold"), Band(33, 80, "probable PTSD"))
    assert bands("cssrs") == ()


# --- invalid input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "answers", "message"),
    [
        pytest.param("phq2", [0] * 9, "Unknown measure 'phq2'", id="unknown-code"),
        pytest.param("PHQ9", [0] * 9, "Unknown measure 'PHQ9'", id="code-is-case-sensitive"),
        pytest.param(None, [0] * 9, "Unknown measure None", id="code-none"),
        pytest.param("phq9", [0] * 8, "PHQ-9 needs 9 answers, one per item; got 8", id="short"),
        pytest.param("phq9", [0] * 10, "PHQ-9 needs 9 answers, one per item; got 10", id="long"),
        pytest.param("gad7", [], "GAD-7 needs 7 answers, one per item; got 0", id="empty"),
        pytest.param("pcl5", [0] * 19, "PCL-5 needs 20 answers, one per item; got 19", id="pcl5"),
        pytest.param("cadss6", [0] * 23, "CADSS-6 needs 6 answers", id="full-cadss"),
        pytest.param(
            "phq9",
            [0, 0, 4, 0, 0, 0, 0, 0, 0],
            "PHQ-9 item 3 is 4; answers range from 0 (Not at all) to 3 (Nearly every day)",
            id="above-range",
        ),
        pytest.param("phq9", [0] * 8 + [-1], "PHQ-9 item 9 is -1", id="below-range"),
        pytest.param("gad7", [0] * 6 + [4], "GAD-7 item 7 is 4", id="gad7-above"),
        pytest.param(
            "pcl5",
            [5] + [0] * 19,
            "PCL-5 item 1 is 5; answers range from 0 (Not at all) to 4",
            id="pcl5-above",
        ),
        pytest.param("cadss6", [0, 0, 0, 0, 0, 5], "to 4 (Extremely)", id="cadss6-above"),
        pytest.param(
            "phq9",
            [True] + [0] * 8,
            "PHQ-9 item 1 must be a whole number from 0 to 3, got True (bool)",
            id="bool",
        ),
        pytest.param("phq9", ["2"] + [0] * 8, "got '2' (str)", id="str-item"),
        pytest.param("phq9", [None] + [0] * 8, "got None (NoneType)", id="none-item"),
        pytest.param("gad7", [1.0] + [0] * 6, "got 1.0 (float)", id="float-item"),
        pytest.param("phq9", "000000000", "must be a list of 9 item scores", id="str-answers"),
        pytest.param("phq9", None, "must be a list of 9 item scores", id="none-answers"),
        pytest.param("gad7", {"1": 0}, "must be a list of 7 item scores", id="dict-answers"),
    ],
)
def test_invalid_item_answers_are_refused_with_a_readable_reason(
    code, answers, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        score(code, answers)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        pytest.param(
            {"q2": False, "q6": False},
            "question 1 (wish to be dead) must be answered",
            id="missing-q1",
        ),
        pytest.param(
            {"q1": False, "q6": False},
            "question 2 (suicidal thoughts) must be answered",
            id="missing-q2",
        ),
        pytest.param(
            {"q1": False, "q2": False},
            "question 6 (suicidal behaviour, ever) must be",
            id="missing-q6",
        ),
        pytest.param(
            NO_IDEATION | {"q1": None},
            "question 1 (wish to be dead) must be answered",
            id="q1-none",
        ),
        pytest.param(
            NO_IDEATION | {"q1": 1},
            "must be answered yes or no (True/False), got 1",
            id="int-answer",
        ),
        pytest.param(NO_IDEATION | {"q6": "no"}, "got 'no' (str)", id="str-answer"),
        pytest.param(
            ideation(q4=0),
            "question 4 (intention of acting) must be answered yes or no",
            id="int-follow-up",
        ),
        pytest.param(NO_IDEATION | {"q6_recent": "yes"}, "got 'yes' (str)", id="str-recent"),
        pytest.param(
            NO_IDEATION | {"q3": True},
            "question 3 (thinking about how) is asked only",
            id="q3-yes-after-q2-no",
        ),
        pytest.param(
            NO_IDEATION | {"q3": False},
            "question 2 is no, so leave questions 3 to 5",
            id="q3-no-after-q2-no",
        ),
        pytest.param(
            NO_IDEATION | {"q4": False},
            "question 4 (intention of acting) is asked only",
            id="q4-after-q2-no",
        ),
        pytest.param(
            NO_IDEATION | {"q5": True},
            "question 5 (working out a plan) is asked only",
            id="q5-after-q2-no",
        ),
        pytest.param(
            {"q1": True, "q2": True, "q3": False, "q4": False, "q6": False},
            "question 5 (working out a plan) must be answered because question 2 is yes",
            id="q5-missing-after-q2-yes",
        ),
        pytest.param(
            NO_IDEATION | {"q6_recent": True},
            "within the past 3 months was marked yes, but question 6",
            id="recent-no-q6",
        ),
        pytest.param(
            NO_IDEATION | {"q6": True},
            "question 6 is yes, so say whether it was within the past 3 months",
            id="q6-without-recency",
        ),
        pytest.param(NO_IDEATION | {"q7": False}, "C-SSRS has no question 'q7'", id="unknown"),
        pytest.param(NO_IDEATION | {"Q1": True}, "C-SSRS has no question 'Q1'", id="wrong-case"),
        pytest.param([False] * 6, "must be yes/no answers keyed q1 to q6", id="list"),
        pytest.param(None, "must be yes/no answers keyed q1 to q6", id="none"),
    ],
)
def test_invalid_cssrs_answers_are_refused_with_a_readable_reason(answers, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        score("cssrs", answers)


# --- metadata for forms ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name", "items", "max_total", "labels"),
    [
        (
            "phq9",
            "PHQ-9",
            9,
            27,
            ["Not at all", "Several days", "More than half the days", "Nearly every day"],
        ),
        (
            "gad7",
            "GAD-7",
            7,
            21,
            ["Not at all", "Several days", "More than half the days", "Nearly every day"],
        ),
        (
            "pcl5",
            "PCL-5",
            20,
            80,
            ["Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"],
        ),
        (
            "cadss6",
            "CADSS-6",
            6,
            24,
            ["Not at all", "Slightly", "Moderately", "Considerably", "Extremely"],
        ),
    ],
)
def test_instrument_metadata_matches_the_scoring(
    code: str, name: str, items: int, max_total: int, labels: list[str]
) -> None:
    instrument = INSTRUMENTS[code]

    assert instrument.code == code
    assert instrument.name == name
    assert len(instrument.items) == items
    assert all(isinstance(text, str) and text for text in instrument.items)
    assert instrument.options == tuple(enumerate(labels))
    assert instrument.max_total == max_total
    assert score(code, [len(labels) - 1] * items).total == max_total


def test_cssrs_metadata_is_keyed_like_its_answers() -> None:
    instrument = INSTRUMENTS["cssrs"]

    assert instrument.keys == ("q1", "q2", "q3", "q4", "q5", "q6", "q6_recent")
    assert dict(zip(instrument.keys, instrument.items, strict=True)) == dict(CSSRS_QUESTIONS)
    assert instrument.max_total is None
    assert CSSRS_QUESTIONS["q1"].startswith("Have you wished you were dead")
    assert "past 3 months" in CSSRS_QUESTIONS["q6_recent"]


def test_pcl5_cluster_boundaries_match_the_item_texts() -> None:
    items = INSTRUMENTS["pcl5"].items

    assert items[5].startswith("Avoiding memories")  # C starts at item 6
    assert items[7].startswith("Trouble remembering")  # D starts at item 8
    assert items[14].startswith("Irritable behavior")  # E starts at item 15


def test_results_and_metadata_are_immutable() -> None:
    result = score("gad7", [0] * 7)

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 21  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        INSTRUMENTS["phq9"].max_total = 30  # type: ignore[misc]
    with pytest.raises(TypeError):
        INSTRUMENTS["phq9"] = INSTRUMENTS["gad7"]  # type: ignore[index]
    with pytest.raises(TypeError):
        CSSRS_QUESTIONS["q1"] = "changed"  # type: ignore[index]
    assert isinstance(result.flags, frozenset)
