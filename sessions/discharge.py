"""The modified Aldrete score for discharge after a ketamine dose.

Aldrete JA, "The post-anesthesia recovery score revisited", J Clin Anesth 1995;7:89–91: five
items scored 0–2, total 0–10; discharge needs at least 9 (DESIGN.md, "Chair-side safety").

- Activity, respiration and consciousness: 0–2 as the nurse assesses them.
- Circulation: systolic within ±20 % of the pre-dose value → 2; within ±50 % → 1; else 0.
- Oxygenation (SpO₂): on room air above 92 % → 2, 90–92 % → 1, below 90 % → 0; needing oxygen
  to stay above 90 % → 1, else 0.

Pure: the discharge service takes circulation and oxygenation from the last reading and the
pre-dose baseline and refuses a total under ``MIN_DISCHARGE_TOTAL``.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_DISCHARGE_TOTAL = 9
# The same "cannot be a real reading" bounds as sessions.vitals.
_SYSTOLIC_RANGE = (50, 260)
_SPO2_RANGE = (50, 100)


@dataclass(frozen=True)
class AldreteScore:
    activity: int
    respiration: int
    consciousness: int
    circulation: int
    oxygenation: int
    total: int

    @property
    def fit_for_discharge(self) -> bool:
        return self.total >= MIN_DISCHARGE_TOTAL


def aldrete(
    *,
    activity: int,
    respiration: int,
    consciousness: int,
    systolic: int,
    systolic_baseline: int,
    spo2: int,
    on_oxygen: bool,
) -> AldreteScore:
    """Score the modified Aldrete items; ValueError for out-of-range or wrongly typed input."""
    for name, value in (
        ("activity", activity),
        ("respiration", respiration),
        ("consciousness", consciousness),
    ):
        _whole(value, name, 0, 2)
    _whole(systolic, "systolic", *_SYSTOLIC_RANGE)
    _whole(systolic_baseline, "systolic_baseline", *_SYSTOLIC_RANGE)
    _whole(spo2, "spo2", *_SPO2_RANGE)
    if not isinstance(on_oxygen, bool):
        raise ValueError(f"on_oxygen must be True or False, got {on_oxygen!r}.")

    # Integer arithmetic, so the boundaries are exact: |d| <= 20 % of b  <=>  5|d| <= b.
    change = abs(systolic - systolic_baseline)
    if 5 * change <= systolic_baseline:
        circulation = 2
    elif 2 * change < systolic_baseline:
        circulation = 1
    else:
        circulation = 0

    if on_oxygen:
        oxygenation = 1 if spo2 > 90 else 0
    elif spo2 > 92:
        oxygenation = 2
    elif spo2 >= 90:
        oxygenation = 1
    else:
        oxygenation = 0

    return AldreteScore(
        activity=activity,
        respiration=respiration,
        consciousness=consciousness,
        circulation=circulation,
        oxygenation=oxygenation,
        total=activity + respiration + consciousness + circulation + oxygenation,
    )


def _whole(value: object, name: str, lowest: int, highest: int) -> None:
    # bool is an int subclass: a ticked box must not pass as a score of 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r} ({type(value).__name__}).")
    if not lowest <= value <= highest:
        raise ValueError(f"{name} must be {lowest}–{highest}, got {value}.")
