"""Classifying one set of vital signs taken around a ketamine dose.

Pure: the session screen, the dosing gate and the discharge check all ask this module, so a
threshold lives once. Rules from DESIGN.md ("Vitals"):

- Before dosing, BP above 140/90 is a hold: dosing needs a medical provider's
  acknowledgement. Ketamine raises BP and HR for roughly the first hour; on IV dosing BP and
  HR were back to baseline by 90 minutes (Szarmach et al. 2020), which is why the clinic
  reads vitals every 15 minutes on IV.
- At any phase: systolic >= 180 or diastolic >= 110, SpO2 < 92 %, HR > 120 or < 50, and
  systolic < 90 (hypotension; DESIGN.md "Chair-side safety") raise an alert.
- Before dosing, any alert-level reading is a hold too (``is_pre_dose_hold``): SpO2 < 92 %,
  HR > 120 or < 50 and systolic < 90 hold the dose as BP above 140/90 does.
- Physiologically impossible values are refused outright: they are typing errors, and an
  alert computed from a typo is worse than no alert.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TypeGuard

PRE = "pre"
DURING = "during"
POST = "post"
PHASES = (PRE, DURING, POST)

HOLD_PRE_DOSE_BP = "hold_pre_dose_bp"
HYPERTENSION = "hypertension"
HYPOXIA = "hypoxia"
TACHYCARDIA = "tachycardia"
BRADYCARDIA = "bradycardia"
HYPOTENSION = "hypotension"


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass; a checkbox value must not pass as a heart rate of 1.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Thresholds:
    """Alert thresholds; the defaults are the clinic-wide minimum standard.

    A protocol may pass its own, but may only make them *tighter*: :func:`classify` clamps
    any looser value back to the default (e.g. ``spo2_min=88`` is used as 92,
    ``systolic_alert=200`` as 180), so a mistyped or permissive protocol setting can never
    silence an alert the clinic-wide rules would raise.

    The hold is ``> pre_*_hold``; the alerts are ``>= *_alert``, ``< spo2_min``,
    ``> hr_max`` and ``< hr_min``.
    """

    pre_systolic_hold: int = 140
    pre_diastolic_hold: int = 90
    systolic_alert: int = 180
    diastolic_alert: int = 110
    spo2_min: int = 92
    hr_max: int = 120
    hr_min: int = 50
    systolic_min: int = 90

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not _is_int(value):
                raise ValueError(
                    f"Vital-sign threshold {f.name} must be a whole number, "
                    f"got {value!r} ({type(value).__name__})."
                )

    def tightened(self) -> Thresholds:
        """These thresholds, with anything looser than the defaults replaced by the default."""
        return Thresholds(
            # Alerts that fire above a limit: a lower limit is tighter.
            pre_systolic_hold=min(self.pre_systolic_hold, DEFAULT_THRESHOLDS.pre_systolic_hold),
            pre_diastolic_hold=min(self.pre_diastolic_hold, DEFAULT_THRESHOLDS.pre_diastolic_hold),
            systolic_alert=min(self.systolic_alert, DEFAULT_THRESHOLDS.systolic_alert),
            diastolic_alert=min(self.diastolic_alert, DEFAULT_THRESHOLDS.diastolic_alert),
            hr_max=min(self.hr_max, DEFAULT_THRESHOLDS.hr_max),
            # Alerts that fire below a limit: a higher limit is tighter.
            spo2_min=max(self.spo2_min, DEFAULT_THRESHOLDS.spo2_min),
            hr_min=max(self.hr_min, DEFAULT_THRESHOLDS.hr_min),
            systolic_min=max(self.systolic_min, DEFAULT_THRESHOLDS.systolic_min),
        )


DEFAULT_THRESHOLDS = Thresholds()

_LABEL_TEMPLATES = {
    HOLD_PRE_DOSE_BP: (
        "Pre-dose BP above {t.pre_systolic_hold}/{t.pre_diastolic_hold} — dosing needs a "
        "medical provider's acknowledgement"
    ),
    HYPERTENSION: "BP at or above {t.systolic_alert}/{t.diastolic_alert} — hypertension",
    HYPOXIA: "SpO₂ below {t.spo2_min} % — hypoxia",
    TACHYCARDIA: "Heart rate above {t.hr_max}/min — tachycardia",
    BRADYCARDIA: "Heart rate below {t.hr_min}/min — bradycardia",
    HYPOTENSION: "Systolic below {t.systolic_min} mmHg — hypotension",
}


def alert_label(code: str, thresholds: Thresholds | None = None) -> str:
    """The human message for an alert code, quoting the thresholds actually applied."""
    applied = (thresholds or DEFAULT_THRESHOLDS).tightened()
    return _LABEL_TEMPLATES[code].format(t=applied)


ALERT_LABELS: dict[str, str] = {code: alert_label(code) for code in _LABEL_TEMPLATES}

# (name in messages, unit, lowest possible, highest possible), from DESIGN.md. Respiratory
# rate 4-60/min is the same kind of "cannot be a real reading" bound.
_SYSTOLIC = ("Systolic blood pressure", "mmHg", 50, 260)
_DIASTOLIC = ("Diastolic blood pressure", "mmHg", 30, 160)
_HEART_RATE = ("Heart rate", "bpm", 20, 250)
_SPO2 = ("SpO₂", "%", 50, 100)
_RESPIRATORY_RATE = ("Respiratory rate", "breaths/min", 4, 60)


def classify(
    *,
    phase: str,
    systolic: int,
    diastolic: int,
    heart_rate: int,
    spo2: int,
    respiratory_rate: int | None = None,
    thresholds: Thresholds | None = None,
) -> set[str]:
    """Alert codes raised by one set of vitals (empty set: nothing to act on).

    Raises ValueError for an unknown phase or a reading that cannot be real.
    ``respiratory_rate`` is optional and validated when given; it raises no alert of its own.
    """
    if phase not in PHASES:
        raise ValueError(f"Unknown phase {phase!r}; expected 'pre', 'during' or 'post'.")
    _check_reading(systolic, *_SYSTOLIC)
    _check_reading(diastolic, *_DIASTOLIC)
    _check_reading(heart_rate, *_HEART_RATE)
    _check_reading(spo2, *_SPO2)
    if respiratory_rate is not None:
        _check_reading(respiratory_rate, *_RESPIRATORY_RATE)
    if diastolic >= systolic:
        raise ValueError(
            f"Diastolic blood pressure ({diastolic} mmHg) must be lower than systolic "
            f"({systolic} mmHg); please re-check the reading."
        )

    t = (thresholds or DEFAULT_THRESHOLDS).tightened()
    alerts: set[str] = set()
    if phase == PRE and (systolic > t.pre_systolic_hold or diastolic > t.pre_diastolic_hold):
        alerts.add(HOLD_PRE_DOSE_BP)
    if systolic >= t.systolic_alert or diastolic >= t.diastolic_alert:
        alerts.add(HYPERTENSION)
    if spo2 < t.spo2_min:
        alerts.add(HYPOXIA)
    if heart_rate > t.hr_max:
        alerts.add(TACHYCARDIA)
    if heart_rate < t.hr_min:
        alerts.add(BRADYCARDIA)
    if systolic < t.systolic_min:
        alerts.add(HYPOTENSION)
    return alerts


def is_pre_dose_hold(phase: str, alerts: object) -> bool:
    """Any alert-level reading before the dose holds it until a medical provider acknowledges
    (DESIGN.md, "Pre-dose holds"); a recheck after 5 minutes' rest is offered meanwhile."""
    return phase == PRE and bool(alerts)


# Minutes of rest before a recheck of a reading that holds the dose (DESIGN.md).
RECHECK_REST_MINUTES = 5


def _check_reading(value: object, name: str, unit: str, lowest: int, highest: int) -> None:
    if not _is_int(value):
        raise ValueError(f"{name} must be a whole number, got {value!r} ({type(value).__name__}).")
    if not lowest <= value <= highest:
        raise ValueError(
            f"{name} of {value} {unit} is not a possible reading (expected {lowest}–{highest} "
            f"{unit}); please re-check it."
        )
