"""DEA record-keeping rules for a Schedule III practitioner, as pure functions (no database).

Sources, each cited where it is applied:
- 21 CFR 1301.76(b), as amended by 88 FR 40707 (22 June 2023, effective 24 July 2023): theft or
  significant loss → written notice to the DEA Field Division Office within one business day of
  discovery, and DEA Form 106 (electronic) within 45 days of discovery.
- 21 CFR 1304.11(b)–(c): an initial inventory when first engaged in the activity, then a new one
  "at least every two years", on any date within two years of the previous biennial inventory.
- 21 CFR 1304.11(e)(3): opened containers of Schedule III–V substances may be estimated.
- 21 CFR 1304.04(a): records kept at least two years.
- 21 CFR 1304.22(c): receipt records (number of containers, size, strength, supplier and its DEA
  registration number, date).
- DEA registration numbers: two letters and seven digits, the last a check digit (DEA
  Diversion Control Division's published formula): (d1 + d3 + d5) + 2 × (d2 + d4 + d6), last digit.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")

# --- quantities --------------------------------------------------------------------------------


def ml_for_mg(mg: Decimal, mg_per_ml: Decimal) -> Decimal:
    """Volume for an amount at a concentration, to 0.01 mL (what a syringe can be read to).
    10, 50 and 100 mg/mL are all on the market: the same mg is ten times the volume at 10 mg/mL
    as at 100 mg/mL, so the mL is always computed, never typed."""
    if mg_per_ml <= 0:
        raise ValueError("The concentration must be more than 0 mg/mL.")
    return (Decimal(mg) / Decimal(mg_per_ml)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def mg_for_ml(ml: Decimal, mg_per_ml: Decimal) -> Decimal:
    return (Decimal(ml) * Decimal(mg_per_ml)).quantize(TENTH, rounding=ROUND_HALF_UP)


def vials(mg: Decimal, *, mg_per_ml: Decimal, vial_ml: Decimal) -> tuple[int, Decimal]:
    """Whole vials and the mL left in a part vial for an amount on hand."""
    ml = Decimal(mg) / Decimal(mg_per_ml)
    whole = int(ml // Decimal(vial_ml))
    part = (ml - whole * Decimal(vial_ml)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    if part == Decimal(vial_ml):
        return whole + 1, Decimal("0.00")
    return whole, part


# --- registration numbers --------------------------------------------------------------------

_DEA_NUMBER = re.compile(r"^[A-Z]{2}\d{7}$")


def dea_number_problem(number: str) -> str:
    """Why ``number`` is not a well-formed DEA registration number ("" when it is)."""
    number = number.strip().upper()
    if not _DEA_NUMBER.match(number):
        return "A DEA number is two letters followed by seven digits (e.g. AB1234563)."
    d = [int(c) for c in number[2:]]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    if check != d[6]:
        return "This DEA number's check digit does not match; check it for a typing error."
    return ""


# The FDA's National Drug Code: 10 digits as labeler-product-package in one of three
# segmentations (4-4-2, 5-3-2, 5-4-1), or the 11-digit 5-4-2 billing form (21 CFR 207.35).
_NDC_SHAPES = {(4, 4, 2), (5, 3, 2), (5, 4, 1), (5, 4, 2)}


def ndc_problem(ndc: str) -> str:
    """Why ``ndc`` is not a National Drug Code as printed on a vial ("" when it is)."""
    parts = ndc.strip().split("-")
    if all(p.isdigit() for p in parts) and tuple(len(p) for p in parts) in _NDC_SHAPES:
        return ""
    return "Type the NDC as printed on the vial, with its hyphens (e.g. 0143-9508-10)."


# --- business days ---------------------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    # 5 U.S.C. 6103(b): a holiday on a Saturday is observed on the Friday before, on a Sunday on
    # the Monday after (Executive Order 11582).
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def federal_holidays(year: int) -> set[date]:
    """US federal holidays observed in ``year`` (5 U.S.C. 6103(a)); DEA field offices close on
    them, so they are not business days."""
    mon, thu = 0, 3
    days = {
        _observed(date(year, 1, 1)),  # New Year's Day
        _nth_weekday(year, 1, mon, 3),  # Birthday of Martin Luther King, Jr.
        _nth_weekday(year, 2, mon, 3),  # Washington's Birthday
        _last_weekday(year, 5, mon),  # Memorial Day
        _observed(date(year, 7, 4)),  # Independence Day
        _nth_weekday(year, 9, mon, 1),  # Labor Day
        _nth_weekday(year, 10, mon, 2),  # Columbus Day
        _observed(date(year, 11, 11)),  # Veterans Day
        _nth_weekday(year, 11, thu, 4),  # Thanksgiving Day
        _observed(date(year, 12, 25)),  # Christmas Day
    }
    if year >= 2021:
        days.add(_observed(date(year, 6, 19)))  # Juneteenth (Pub. L. 117-17, 2021)
    # New Year's Day of next year falling on a Saturday is observed on 31 December.
    days.add(_observed(date(year + 1, 1, 1)))
    return {d for d in days if d.year == year}


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in federal_holidays(day.year)


def add_business_days(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            n -= 1
    return day


# --- deadlines -------------------------------------------------------------------------------

FORM_106_DAYS = 45


def loss_notice_due(discovered_on: date) -> date:
    """Written notice of a theft or significant loss: within one business day of discovery
    (21 CFR 1301.76(b)). Weekends and federal holidays are not business days."""
    return add_business_days(discovered_on, 1)


def form_106_due(discovered_on: date) -> date:
    """DEA Form 106: within 45 calendar days of discovery (21 CFR 1301.76(b), 88 FR 40707)."""
    return discovered_on + timedelta(days=FORM_106_DAYS)


def next_inventory_due(last_taken_on: date) -> date:
    """The next biennial inventory: within two years of the previous inventory (21 CFR
    1304.11(c)). 29 February is followed by 28 February, never by 1 March (late)."""
    try:
        return last_taken_on.replace(year=last_taken_on.year + 2)
    except ValueError:
        return last_taken_on.replace(year=last_taken_on.year + 2, day=28)


# Warnings before a date runs out (clinic defaults): a DEA registration is renewed online well
# ahead (DEA sends the renewal notice about 60 days before expiry); a lot close to expiry is
# used first or returned.
REGISTRATION_WARNING_DAYS = 60
LOT_NEAR_EXPIRY_DAYS = 30
