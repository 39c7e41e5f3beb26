"""Scoring for the clinic's standard measures — the only place a score is computed.

Totals are never typed in: forms store the item answers and call :func:`score`, so a band or
a flag rule lives here once and is tested here once (DESIGN.md, "Measures").

Nothing here imports Django; the module is pure so that forms, services, admin actions and
reports all get the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

PHQ9 = "phq9"
GAD7 = "gad7"
PCL5 = "pcl5"
CSSRS = "cssrs"
CADSS6 = "cadss6"

SUICIDE_RISK = "suicide_risk"
PROVISIONAL_PTSD = "provisional_ptsd"

CSSRS_NONE = "none"
CSSRS_LOW = "low"
CSSRS_MODERATE = "moderate"
CSSRS_HIGH = "high"


@dataclass(frozen=True)
class Score:
    code: str
    total: int | None  # None for the C-SSRS screener, which triages rather than sums.
    severity: str
    flags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Instrument:
    """What a form needs to render one measure.

    ``items`` are in published order. ``keys`` is only set for the C-SSRS screener, whose
    answers are keyed (q1..q6, q6_recent) rather than positional; ``items[i]`` is the text
    for ``keys[i]``. ``max_total`` is None for the C-SSRS, which has no total.
    """

    code: str
    name: str
    items: tuple[str, ...]
    options: tuple[tuple[int, str], ...]
    max_total: int | None
    stem: str = ""
    keys: tuple[str, ...] = ()


# Kroenke, Spitzer & Williams, J Gen Intern Med 2001;16:606-13. Wording from the published
# PHQ-9 form (free to reproduce). The unscored 10th "how difficult" question is left out
# because it does not enter the total.
_PHQ9_ITEMS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)

# Spitzer, Kroenke, Williams & Löwe, Arch Intern Med 2006;166:1092-7.
_GAD7_ITEMS = (
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)

_PHQ9_MAX = 27

_FREQUENCY_OPTIONS = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)

# Weathers et al. 2013, PCL-5 (VA National Center for PTSD; public domain).
_PCL5_ITEMS = (
    "Repeated, disturbing, and unwanted memories of the stressful experience?",
    "Repeated, disturbing dreams of the stressful experience?",
    "Suddenly feeling or acting as if the stressful experience were actually happening again "
    "(as if you were actually back there reliving it)?",
    "Feeling very upset when something reminded you of the stressful experience?",
    "Having strong physical reactions when something reminded you of the stressful experience "
    "(for example, heart pounding, trouble breathing, sweating)?",
    "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    "Avoiding external reminders of the stressful experience (for example, people, places, "
    "conversations, activities, objects, or situations)?",
    "Trouble remembering important parts of the stressful experience?",
    "Having strong negative beliefs about yourself, other people, or the world (for example, "
    "having thoughts such as: I am bad, there is something seriously wrong with me, no one can "
    "be trusted, the world is completely dangerous)?",
    "Blaming yourself or someone else for the stressful experience or what happened after it?",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    "Loss of interest in activities that you used to enjoy?",
    "Feeling distant or cut off from other people?",
    "Trouble experiencing positive feelings (for example, being unable to feel happiness or "
    "have loving feelings for people close to you)?",
    "Irritable behavior, angry outbursts, or acting aggressively?",
    "Taking too many risks or doing things that could cause you harm?",
    'Being "superalert" or watchful or on guard?',
    "Feeling jumpy or easily startled?",
    "Having difficulty concentrating?",
    "Trouble falling or staying asleep?",
)

_PCL5_OPTIONS = (
    (0, "Not at all"),
    (1, "A little bit"),
    (2, "Moderately"),
    (3, "Quite a bit"),
    (4, "Extremely"),
)

# Columbia Lighthouse Project, C-SSRS Screen Version (free for clinical use). Q1-Q5 ask about
# the past month; Q6 asks about lifetime behaviour, then whether it was in the past 3 months.
_CSSRS_KEYS = ("q1", "q2", "q3", "q4", "q5", "q6", "q6_recent")
_CSSRS_ITEMS = (
    "Have you wished you were dead or wished you could go to sleep and not wake up?",
    "Have you actually had any thoughts of killing yourself?",
    "Have you been thinking about how you might do this?",
    "Have you had these thoughts and had some intention of acting on them?",
    "Have you started to work out or worked out the details of how to kill yourself? "
    "Do you intend to carry out this plan?",
    "Have you ever done anything, started to do anything, or prepared to do anything to end "
    "your life?",
    "Was this within the past 3 months?",
)
CSSRS_QUESTIONS: Mapping[str, str] = MappingProxyType(
    dict(zip(_CSSRS_KEYS, _CSSRS_ITEMS, strict=True))
)

# Rodrigues et al., J Affect Disord 2021;282:160-4: the six CADSS items (1, 2, 6, 7, 15, 22 of
# Bremner's CADSS) most sensitive to ketamine dissociation. The CADSS wording is not ours to
# reproduce, so these are short paraphrases for the rater, not the interview questions.
_CADSS6_ITEMS = (
    "Things seemed to move in slow motion",  # CADSS 1
    "Things seemed unreal, as if in a dream",  # CADSS 2
    "Felt disconnected from own body",  # CADSS 6
    "Sense of own body changed (e.g. unusually large or small)",  # CADSS 7
    "Spaced out or lost track of what was going on",  # CADSS 15
    # CADSS 22 is in the scale's amnesia group; label not yet checked against the CADSS form.
    "Gaps in memory",
)

_CADSS_OPTIONS = (
    (0, "Not at all"),
    (1, "Slightly"),
    (2, "Moderately"),
    (3, "Considerably"),
    (4, "Extremely"),
)

INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType(
    {
        PHQ9: Instrument(
            code=PHQ9,
            name="PHQ-9",
            items=_PHQ9_ITEMS,
            options=_FREQUENCY_OPTIONS,
            max_total=_PHQ9_MAX,
            stem="Over the last 2 weeks, how often have you been bothered by any of the "
            "following problems?",
        ),
        GAD7: Instrument(
            code=GAD7,
            name="GAD-7",
            items=_GAD7_ITEMS,
            options=_FREQUENCY_OPTIONS,
            max_total=21,
            stem="Over the last 2 weeks, how often have you been bothered by the following "
            "problems?",
        ),
        PCL5: Instrument(
            code=PCL5,
            name="PCL-5",
            items=_PCL5_ITEMS,
            options=_PCL5_OPTIONS,
            max_total=80,
            stem="In the past month, how much were you bothered by:",
        ),
        CSSRS: Instrument(
            code=CSSRS,
            name="C-SSRS screener",
            items=_CSSRS_ITEMS,
            options=((0, "No"), (1, "Yes")),
            max_total=None,
            stem="In the past month:",
            keys=_CSSRS_KEYS,
        ),
        CADSS6: Instrument(
            code=CADSS6,
            name="CADSS-6",
            items=_CADSS6_ITEMS,
            options=_CADSS_OPTIONS,
            max_total=24,
            stem="At this time, in this room:",
        ),
    }
)

# Upper bound (inclusive) of each band, lowest first.
# PHQ-9: Kroenke 2001, table 3. GAD-7: Spitzer 2006, cut-points 5, 10, 15.
_BANDS: Mapping[str, tuple[tuple[int, str], ...]] = {
    PHQ9: (
        (4, "minimal"),
        (9, "mild"),
        (14, "moderate"),
        (19, "moderately severe"),
        (27, "severe"),
    ),
    GAD7: ((4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")),
    # NCPTSD suggests a cut-off of 31-33; the clinic uses the top of that range (DESIGN.md).
    PCL5: ((32, "below threshold"), (80, "probable PTSD")),
}

# PCL-5 DSM-5 provisional diagnosis (NCPTSD scoring guide): an item rated 2 ("Moderately") or
# higher counts as a symptom endorsed; the criteria need 1 B, 1 C, 2 D and 2 E symptoms.
# Ranges are 0-based slices of the 20 items.
_PCL5_CLUSTERS = (
    ("B", slice(0, 5), 1),
    ("C", slice(5, 7), 1),
    ("D", slice(7, 14), 2),
    ("E", slice(14, 20), 2),
)
_PCL5_ENDORSED = 2

# PHQ-9 item 9 is the suicidal-ideation item; any answer above "Not at all" goes to the
# primary clinician (Kroenke 2001; DESIGN.md).
_PHQ9_ITEM9 = 8

_PHQ9_REMISSION_BELOW = 5

# The measures followed over a course (DESIGN.md, "one patient's path", step 8: outcomes).
OUTCOME_MEASURES = (PHQ9, GAD7, PCL5)


def score(code: str, answers: object) -> Score:
    """Score one completed measure.

    ``answers`` is a list of item values in published order, except for the C-SSRS screener,
    which takes a mapping of booleans keyed q1..q6 and q6_recent. Raises ValueError with a
    message a clinician can act on when the answers do not fit the measure.
    """
    instrument = INSTRUMENTS.get(code) if isinstance(code, str) else None
    if instrument is None:
        known = ", ".join(sorted(INSTRUMENTS))
        raise ValueError(f"Unknown measure {code!r}; expected one of: {known}.")
    if code == CSSRS:
        return _score_cssrs(answers)

    values = _validated_items(instrument, answers)
    total = sum(values)
    flags: set[str] = set()
    if code == PHQ9 and values[_PHQ9_ITEM9] > 0:
        flags.add(SUICIDE_RISK)
    if code == PCL5 and _pcl5_provisional_ptsd(values):
        flags.add(PROVISIONAL_PTSD)
    severity = _band(code, total) if code in _BANDS else ""
    return Score(code=code, total=total, severity=severity, flags=frozenset(flags))


def phq9_response(baseline_total: int, current_total: int) -> bool:
    """Treatment response: PHQ-9 total fell by at least 50 % from baseline.

    A baseline of 0 cannot halve, so it is never a response.
    """
    baseline = _phq9_total(baseline_total, "baseline PHQ-9 total")
    current = _phq9_total(current_total, "current PHQ-9 total")
    if baseline == 0:
        return False
    # Integer arithmetic: a float 0.5 * baseline would make the 50 % boundary depend on
    # rounding.
    return 2 * (baseline - current) >= baseline


def phq9_remission(total: int) -> bool:
    """Remission: PHQ-9 total below 5, i.e. back in the "minimal" band (Kroenke 2001)."""
    return _phq9_total(total, "PHQ-9 total") < _PHQ9_REMISSION_BELOW


@dataclass(frozen=True)
class Band:
    """One severity band, ``low`` to ``high`` inclusive."""

    low: int
    high: int
    label: str


def bands(code: str) -> tuple[Band, ...]:
    """The severity bands of a summed measure, lowest first; () for one without bands."""
    out = []
    low = 0
    for upper, label in _BANDS.get(code, ()):
        out.append(Band(low=low, high=upper, label=label))
        low = upper + 1
    return tuple(out)


@dataclass(frozen=True)
class Outcome:
    """How one measure moved from its baseline to its latest total.

    ``latest`` is None while there is no result after the baseline; every comparison is None
    then, because one result says nothing about change. ``response`` and ``remission`` are
    defined for the PHQ-9 only (DESIGN.md) and are None for the others.
    """

    code: str
    baseline: int
    latest: int | None
    change: int | None  # latest - baseline; a fall (negative) is better on all three measures
    percent_change: Decimal | None  # None also when the baseline is 0: no percentage of 0
    response: bool | None
    remission: bool | None


def outcome(code: str, baseline: int, latest: int | None) -> Outcome:
    """Compare a measure's latest total with its baseline (which result is the baseline is the
    caller's choice: ``patients.selectors.outcomes_for_chart``)."""
    if code not in OUTCOME_MEASURES:
        known = ", ".join(OUTCOME_MEASURES)
        raise ValueError(f"Outcomes are followed for {known}, not {code!r}.")
    name = INSTRUMENTS[code].name
    baseline = _checked_total(code, baseline, f"baseline {name} total")
    if latest is None:
        return Outcome(code, baseline, None, None, None, None, None)
    latest = _checked_total(code, latest, f"latest {name} total")
    response = remission = None
    if code == PHQ9:
        response = phq9_response(baseline, latest)
        remission = phq9_remission(latest)
    return Outcome(
        code=code,
        baseline=baseline,
        latest=latest,
        change=latest - baseline,
        percent_change=percent_change(baseline, latest),
        response=response,
        remission=remission,
    )


def percent_change(baseline: int, latest: int) -> Decimal | None:
    """Change from baseline in percent, to one decimal, cut toward zero; None from a baseline
    of 0.

    Cut, not rounded: shown beside the PHQ-9 response (a fall of at least 50 %), a fall of
    49.96 % must not read "-50.0 %" next to "not met". Integer arithmetic for the same reason.
    """
    if baseline == 0:
        return None
    tenths = abs(latest - baseline) * 1000 // baseline
    return Decimal(-tenths if latest < baseline else tenths).scaleb(-1)


def _validated_items(instrument: Instrument, answers: object) -> list[int]:
    name = instrument.name
    # A str is a Sequence too; "0123" must not be read as four answers.
    if not isinstance(answers, Sequence) or isinstance(answers, str | bytes):
        raise ValueError(
            f"{name} answers must be a list of {len(instrument.items)} item scores, "
            f"got {_describe(answers)}."
        )
    expected = len(instrument.items)
    if len(answers) != expected:
        raise ValueError(f"{name} needs {expected} answers, one per item; got {len(answers)}.")
    low, low_label = instrument.options[0]
    high, high_label = instrument.options[-1]
    for number, value in enumerate(answers, start=1):
        # bool is an int subclass; True would silently count as 1.
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(
                f"{name} item {number} must be a whole number from {low} to {high}, "
                f"got {_describe(value)}."
            )
        if not low <= value <= high:
            raise ValueError(
                f"{name} item {number} is {value}; answers range from {low} ({low_label}) "
                f"to {high} ({high_label})."
            )
    return list(answers)


def _band(code: str, total: int) -> str:
    for upper, label in _BANDS[code]:
        if total <= upper:
            return label
    raise AssertionError(f"{code} total {total} is above every band")  # validated earlier


def _pcl5_provisional_ptsd(values: list[int]) -> bool:
    return all(
        sum(1 for value in values[items] if value >= _PCL5_ENDORSED) >= needed
        for _cluster, items, needed in _PCL5_CLUSTERS
    )


def _score_cssrs(answers: object) -> Score:
    q = _validated_cssrs(answers)
    behaviour = q["q6"]
    recent = bool(q["q6_recent"])
    # Columbia Lighthouse Project screener triage: Q4/Q5 (intent, plan) or behaviour in the
    # past 3 months -> high; Q3 (method) or older behaviour -> moderate; Q1/Q2 only -> low.
    if q["q4"] or q["q5"] or (behaviour and recent):
        risk = CSSRS_HIGH
    elif q["q3"] or behaviour:
        risk = CSSRS_MODERATE
    elif q["q1"] or q["q2"]:
        risk = CSSRS_LOW
    else:
        risk = CSSRS_NONE
    flags = frozenset({SUICIDE_RISK}) if risk in (CSSRS_MODERATE, CSSRS_HIGH) else frozenset()
    return Score(code=CSSRS, total=None, severity=risk, flags=flags)


_CSSRS_TOPICS = {
    "q1": "question 1 (wish to be dead)",
    "q2": "question 2 (suicidal thoughts)",
    "q3": "question 3 (thinking about how)",
    "q4": "question 4 (intention of acting)",
    "q5": "question 5 (working out a plan)",
    "q6": "question 6 (suicidal behaviour, ever)",
    "q6_recent": "the follow-up to question 6 (within the past 3 months)",
}


def _validated_cssrs(answers: object) -> dict[str, bool | None]:
    if not isinstance(answers, Mapping):
        raise ValueError(
            "C-SSRS answers must be yes/no answers keyed q1 to q6 and q6_recent, "
            f"got {_describe(answers)}."
        )
    unknown = sorted(repr(key) for key in answers if key not in _CSSRS_TOPICS)
    if unknown:
        raise ValueError(
            f"C-SSRS has no question {', '.join(unknown)}; expected q1 to q6 and q6_recent."
        )
    q: dict[str, bool | None] = {}
    for key, topic in _CSSRS_TOPICS.items():
        value = answers.get(key)
        if value is not None and not isinstance(value, bool):
            raise ValueError(
                f"C-SSRS {topic} must be answered yes or no (True/False), got {_describe(value)}."
            )
        q[key] = value

    for key in ("q1", "q2", "q6"):
        if q[key] is None:
            raise ValueError(f"C-SSRS {_CSSRS_TOPICS[key]} must be answered yes or no.")
    # The screener asks Q3-Q5 only after a yes to Q2. An answer there after a no means the
    # form and the interview disagree, so refuse rather than guess which one is right.
    for key in ("q3", "q4", "q5"):
        if q["q2"] is False and q[key] is not None:
            raise ValueError(
                f"C-SSRS {_CSSRS_TOPICS[key]} is asked only when question 2 is yes; "
                "question 2 is no, so leave questions 3 to 5 unanswered."
            )
        # After a yes to Q2, a missing Q3-Q5 would silently under-triage risk.
        if q["q2"] is True and q[key] is None:
            raise ValueError(
                f"C-SSRS {_CSSRS_TOPICS[key]} must be answered because question 2 is yes."
            )
    if q["q6"] is False and q["q6_recent"] is True:
        raise ValueError(
            "C-SSRS: behaviour within the past 3 months was marked yes, but question 6 "
            "(suicidal behaviour, ever) is no."
        )
    # Recency decides moderate vs high, so a yes to Q6 needs it answered.
    if q["q6"] is True and q["q6_recent"] is None:
        raise ValueError(
            "C-SSRS question 6 is yes, so say whether it was within the past 3 months."
        )
    return q


def _phq9_total(total: object, what: str) -> int:
    return _checked_total(PHQ9, total, what)


def _checked_total(code: str, total: object, what: str) -> int:
    instrument = INSTRUMENTS[code]
    if not isinstance(total, int) or isinstance(total, bool):
        raise ValueError(f"The {what} must be a whole number, got {_describe(total)}.")
    if instrument.max_total is None or not 0 <= total <= instrument.max_total:
        raise ValueError(
            f"The {what} is {total}; {instrument.name} totals range from 0 to "
            f"{instrument.max_total}."
        )
    return total


def _describe(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"
