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
