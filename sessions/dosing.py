"""Weight-based ketamine dose arithmetic and the protocol range/cap check.

Pure functions: the ``DosingProtocol`` model supplies the limits, services decide what a
refusal or an override means. Keeping the arithmetic here means the number on the session
screen, the number in the controlled-substance ledger and the number in a report are the
same number.

Defaults the protocols start from (DESIGN.md, "Dosing"):
- IV 0.5 mg/kg over 40 min, allowed 0.1-1.0 mg/kg: Andrade, J Clin Psychiatry 2017;78:e852-7
  (responders from 0.1 mg/kg; some need 0.75 mg/kg or more).
- IM 0.5 mg/kg, allowed 0.25-1.5 mg/kg; trials used 0.5-0.75 mg/kg with a 60 mg cap, hence
  an optional absolute cap per protocol.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Doses are drawn up and recorded to 0.1 mg (DESIGN.md).
_DOSE_STEP = Decimal("0.1")


def total_dose_mg(weight_kg: Decimal, mg_per_kg: Decimal) -> Decimal:
    """Dose in mg = weight (kg) x dose (mg/kg), rounded half-up to 0.1 mg.

    Half-up rather than Python's default banker's rounding, so that 35.05 mg is 35.1 mg as
    a nurse doing the sum by hand would write it.
    """
    weight = _positive_decimal(weight_kg, "Weight", "kg")
    rate = _positive_decimal(mg_per_kg, "Dose", "mg/kg")
    return (weight * rate).quantize(_DOSE_STEP, rounding=ROUND_HALF_UP)


def check_dose(
    *,
    mg_per_kg: Decimal,
    total_mg: Decimal,
    min_mg_per_kg: Decimal,
    max_mg_per_kg: Decimal,
    cap_mg: Decimal | None,
) -> list[str]:
    """Problems with a planned dose against its protocol, as sentences; [] when within limits.

    The limits are inclusive: a dose exactly at the minimum, maximum or cap is allowed.
    Problems are returned rather than raised because a medical provider may override them
    with a recorded reason (DESIGN.md); malformed input still raises ValueError.
    """
    rate = _positive_decimal(mg_per_kg, "Dose", "mg/kg")
    total = _positive_decimal(total_mg, "Total dose", "mg")
    low = _positive_decimal(min_mg_per_kg, "The protocol's minimum dose", "mg/kg")
    high = _positive_decimal(max_mg_per_kg, "The protocol's maximum dose", "mg/kg")
    if low > high:
        raise ValueError(
            f"The protocol's minimum dose ({_show(low, 2)} mg/kg) is above its maximum "
            f"({_show(high, 2)} mg/kg); the protocol needs correcting."
        )
    cap = None if cap_mg is None else _positive_decimal(cap_mg, "The protocol's cap", "mg")

    problems: list[str] = []
    if not low <= rate <= high:
        problems.append(
            f"{_show(rate, 2)} mg/kg is outside the protocol's allowed range of "
            f"{_show(low, 2)}–{_show(high, 2)} mg/kg."
        )
    if cap is not None and total > cap:
        problems.append(f"{_show(total, 1)} mg is above the protocol's cap of {_show(cap, 1)} mg.")
    return problems


def _positive_decimal(value: object, what: str, unit: str) -> Decimal:
    if value is None:
        raise ValueError(f"{what} is missing.")
    # bool is an int subclass: True would pass as 1.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        hint = " (floats cannot hold values like 0.1 exactly)" if isinstance(value, float) else ""
        raise ValueError(
            f"{what} must be a Decimal or a whole number, got {value!r} "
            f"({type(value).__name__}){hint}."
        )
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what} must be a number, got {value}.")
    if number <= 0:
        raise ValueError(f"{what} must be more than 0 {unit}, got {number} {unit}.")
    return number


def _show(value: Decimal, places: int) -> str:
    """At least ``places`` decimals, more if the value has them: a message never rounds."""
    fixed = value.quantize(Decimal(1).scaleb(-places))
    return f"{fixed:f}" if fixed == value else f"{value.normalize():f}"


def dose_problems(*, protocol: Any, mg_per_kg: Decimal, total_mg: Decimal) -> list[str]:
    """The protocol's range/cap problems with a dose, each sentence ending with the range."""
    return check_dose(
        mg_per_kg=mg_per_kg,
        total_mg=total_mg,
        min_mg_per_kg=protocol.min_mg_per_kg,
        max_mg_per_kg=protocol.max_mg_per_kg,
        cap_mg=protocol.cap_mg,
    )


# --- weight, dosing weight and the volume to draw (DESIGN.md, "Chair-side safety") -----------

# A weight outside this range is a typing slip (900 for 90, 2 for 72), not a patient: refused,
# no override. The clinic's plausible adult range, DESIGN.md "Chair-side safety".
WEIGHT_MIN_KG = Decimal("30")
WEIGHT_MAX_KG = Decimal("250")
# A change of more than this fraction from the last recorded weight needs confirming: pounds
# typed as kilograms are a factor of 2.2 (DESIGN.md).
WEIGHT_CHANGE_CONFIRM = Decimal("0.10")
KG_PER_LB = Decimal("0.45359237")  # the international avoirdupois pound, exactly
_WEIGHT_STEP = Decimal("0.1")
_VOLUME_STEP = Decimal("0.01")
CM_PER_INCH = Decimal("2.54")

ACTUAL = "actual"
ADJUSTED = "adjusted"
DOSING_WEIGHT_METHODS = (ACTUAL, ADJUSTED)
# Devine, Drug Intell Clin Pharm 1974;8:650: IBW = 50 kg (men) or 45.5 kg (women) + 2.3 kg per
# inch of height over 5 ft (60 in).
_DEVINE_BASE_KG = {"male": Decimal("50"), "female": Decimal("45.5")}
_DEVINE_KG_PER_INCH = Decimal("2.3")
_DEVINE_FROM_INCHES = Decimal("60")
# Adjusted body weight = IBW + 0.4 x (actual - IBW), used when BMI >= 30: the usual dosing
# correction for obesity (DESIGN.md, "Dosing weight").
_ADJUSTMENT_FACTOR = Decimal("0.4")
_OBESE_BMI = Decimal("30")


def lb_to_kg(pounds: Decimal) -> Decimal:
    """Pounds to kilograms, rounded half up to 0.1 kg."""
    value = _positive_decimal(pounds, "Weight", "lb")
    return (value * KG_PER_LB).quantize(_WEIGHT_STEP, rounding=ROUND_HALF_UP)


def kg_to_lb(kilograms: Decimal) -> Decimal:
    """Kilograms to pounds, rounded half up to 0.1 lb (shown beside the kg)."""
    value = _positive_decimal(kilograms, "Weight", "kg")
    return (value / KG_PER_LB).quantize(_WEIGHT_STEP, rounding=ROUND_HALF_UP)


def weight_problem(weight_kg: Decimal) -> str:
    """Why a weight cannot be a patient's, or "" when it is plausible (inclusive bounds)."""
    value = _positive_decimal(weight_kg, "Weight", "kg")
    if not WEIGHT_MIN_KG <= value <= WEIGHT_MAX_KG:
        return (
            f"A weight of {_show(value, 1)} kg is outside the plausible "
            f"{WEIGHT_MIN_KG}–{WEIGHT_MAX_KG} kg: check the scale and the unit (kg or lb) and "
            "enter it again."
        )
    return ""


def weight_change_needs_confirming(weight_kg: Decimal, last_kg: Decimal | None) -> bool:
    """True when ``weight_kg`` is more than 10 % away from the last recorded weight."""
    if last_kg is None:
        return False
    value = _positive_decimal(weight_kg, "Weight", "kg")
    last = _positive_decimal(last_kg, "The last recorded weight", "kg")
    return abs(value - last) > last * WEIGHT_CHANGE_CONFIRM


def ideal_body_weight(*, height_cm: Decimal, sex: str) -> Decimal:
    """Devine's ideal body weight, unrounded. Heights under 60 in add nothing (the formula
    counts inches *over* 5 ft)."""
    if sex not in _DEVINE_BASE_KG:
        raise ValueError(
            f"Ideal body weight needs sex 'male' or 'female', got {sex!r}: actual weight must "
            "be chosen for this patient."
        )
    height = _positive_decimal(height_cm, "Height", "cm")
    inches_over = max(Decimal(0), height / CM_PER_INCH - _DEVINE_FROM_INCHES)
    return _DEVINE_BASE_KG[sex] + _DEVINE_KG_PER_INCH * inches_over


def dosing_weight(*, weight_kg: Decimal, height_cm: Decimal, sex: str, method: str) -> Decimal:
    """The weight the dose is calculated on, rounded half up to 0.1 kg.

    ``"actual"``: the weight itself (as in the trials). ``"adjusted"``: when BMI (weight /
    height in m squared) is 30 or more, Devine IBW + 0.4 x (weight - IBW); otherwise the weight.
    ``sex`` must be ``"male"`` or ``"female"`` for ``"adjusted"``. Non-positive or missing
    values, an unknown method, or another sex with ``"adjusted"`` raise ValueError.
    """
    weight = _positive_decimal(weight_kg, "Weight", "kg")
    height = _positive_decimal(height_cm, "Height", "cm")
    if method not in DOSING_WEIGHT_METHODS:
        raise ValueError(f"Dosing weight method must be 'actual' or 'adjusted', got {method!r}.")
    if not isinstance(sex, str):
        raise ValueError(f"Sex must be 'male' or 'female', got {sex!r}.")
    result = weight
    if method == ADJUSTED:
        if sex not in _DEVINE_BASE_KG:
            raise ValueError(
                f"Adjusted body weight needs sex 'male' or 'female' (got {sex!r}): actual "
                "weight must be chosen for this patient."
            )
        # BMI >= 30 without dividing: weight / (h/100)^2 >= 30  <=>  weight x 10^4 >= 30 x h^2.
        if weight * 10000 >= _OBESE_BMI * height * height:
            ibw = ideal_body_weight(height_cm=height, sex=sex)
            result = ibw + _ADJUSTMENT_FACTOR * (weight - ibw)
    return result.quantize(_WEIGHT_STEP, rounding=ROUND_HALF_UP)


def volume_to_draw_ml(total_mg: Decimal, concentration_mg_per_ml: Decimal) -> Decimal:
    """mL to draw = mg / (mg/mL), rounded half up to 0.01 mL (DESIGN.md: ketamine comes as
    10, 50 and 100 mg/mL, the classic set-up for a tenfold error, so the volume is always
    shown beside the mg)."""
    total = _positive_decimal(total_mg, "Total dose", "mg")
    strength = _positive_decimal(concentration_mg_per_ml, "Concentration", "mg/mL")
    return (total / strength).quantize(_VOLUME_STEP, rounding=ROUND_HALF_UP)
