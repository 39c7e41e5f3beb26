"""The DEA rules as pure functions, table-driven from their sources (see ``sessions/dea.py``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sessions import dea

D = Decimal


# mg → mL to 0.01 mL at each concentration ketamine is sold in (DESIGN.md, chair-side safety).
@pytest.mark.parametrize(
    ("mg", "mg_per_ml", "ml"),
    [
        ("35.0", "10", "3.50"),
        ("35.0", "50", "0.70"),
        ("35.0", "100", "0.35"),
        ("61.3", "10", "6.13"),
        ("61.3", "50", "1.23"),  # 1.226
        ("61.3", "100", "0.61"),  # 0.613
        ("28.2", "50", "0.56"),  # 0.564
        ("36.3", "100", "0.36"),  # 0.363
        ("36.5", "100", "0.37"),  # 0.365: half up
        ("500.0", "50", "10.00"),
        ("-13.8", "50", "-0.28"),  # 0.276, a waste entry keeps its sign
        ("0.1", "10", "0.01"),
    ],
)
def test_ml_for_mg_to_a_hundredth(mg, mg_per_ml, ml) -> None:
    assert dea.ml_for_mg(D(mg), D(mg_per_ml)) == D(ml)


@pytest.mark.parametrize("mg_per_ml", ["10", "50", "100"])
def test_mg_ml_round_trip_is_exact_to_a_tenth_of_a_mg_at_each_concentration(mg_per_ml) -> None:
    for tenths in range(1, 2001, 7):
        mg = D(tenths) / 10
        ml = dea.ml_for_mg(mg, D(mg_per_ml))
        assert abs(dea.mg_for_ml(ml, D(mg_per_ml)) - mg) <= D(mg_per_ml) * D("0.005")


def test_a_tenfold_concentration_is_a_tenfold_volume() -> None:
    assert dea.ml_for_mg(D("50"), D("10")) == 10 * dea.ml_for_mg(D("50"), D("100"))


@pytest.mark.parametrize(
    ("mg", "mg_per_ml", "vial_ml", "vials"),
    [
        ("5000.0", "50", "10", (10, D("0.00"))),
        ("4895.6", "50", "10", (9, D("7.91"))),  # 97.912 mL
        ("0.0", "50", "10", (0, D("0.00"))),
        ("197.5", "10", "20", (0, D("19.75"))),
        ("400.0", "100", "2", (2, D("0.00"))),
    ],
)
def test_whole_vials_and_the_part_vial(mg, mg_per_ml, vial_ml, vials) -> None:
    assert dea.vials(D(mg), mg_per_ml=D(mg_per_ml), vial_ml=D(vial_ml)) == vials


def test_a_concentration_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="concentration"):
        dea.ml_for_mg(D("10"), D("0"))


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("FK1234563", True),  # (1+3+5) + 2(2+4+6) = 33
        ("ab1234563", True),  # typed in lower case
        ("BM1234563", True),
        ("FK1234564", False),  # check digit
        ("FK1243563", False),  # transposed digits
        ("F12345634", False),
        ("FK123456", False),
        ("", False),
    ],
)
def test_dea_number_check_digit(number, ok) -> None:
    assert (dea.dea_number_problem(number) == "") is ok


@pytest.mark.parametrize(
    ("ndc", "ok"),
    [
        ("0143-9508-10", True),  # 4-4-2
        ("12345-678-90", True),  # 5-3-2
        ("12345-6789-0", True),  # 5-4-1
        ("12345-6789-01", True),  # 11-digit 5-4-2
        ("0143950810", False),
        ("014-9508-10", False),
        ("0143-9508-1A", False),
    ],
)
def test_ndc_shapes(ndc, ok) -> None:
    assert (dea.ndc_problem(ndc) == "") is ok


def test_federal_holidays_2026_match_opm() -> None:
    # OPM's 2026 federal holiday list (Independence Day on a Saturday, observed Friday 3 July).
    assert sorted(dea.federal_holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 1, 19),
        date(2026, 2, 16),
        date(2026, 5, 25),
        date(2026, 6, 19),
        date(2026, 7, 3),
        date(2026, 9, 7),
        date(2026, 10, 12),
        date(2026, 11, 11),
        date(2026, 11, 26),
        date(2026, 12, 25),
    ]


def test_observed_holidays_across_a_year_end() -> None:
    assert date(2022, 12, 26) in dea.federal_holidays(2022)  # Christmas on a Sunday
    assert date(2021, 12, 31) in dea.federal_holidays(2021)  # New Year 2022 on a Saturday
    assert date(2022, 1, 1) not in dea.federal_holidays(2022)


@pytest.mark.parametrize(
    ("discovered", "due"),
    [
        (date(2026, 12, 1), date(2026, 12, 2)),  # Tuesday → Wednesday
        (date(2026, 12, 4), date(2026, 12, 7)),  # Friday → Monday
        (date(2026, 12, 5), date(2026, 12, 7)),  # found on a Saturday → Monday
        (date(2026, 11, 25), date(2026, 11, 27)),  # Thanksgiving Thursday skipped
        (date(2026, 12, 24), date(2026, 12, 28)),  # Christmas Friday, then the weekend
        (date(2026, 7, 2), date(2026, 7, 6)),  # 3 July observed, then the weekend
        (date(2026, 12, 31), date(2027, 1, 4)),  # New Year's Day Friday
    ],
)
def test_written_notice_is_due_one_business_day_after_discovery(discovered, due) -> None:
    assert dea.loss_notice_due(discovered) == due


@pytest.mark.parametrize(
    ("discovered", "due"),
    [
        (date(2026, 12, 1), date(2027, 1, 15)),
        (date(2026, 2, 1), date(2026, 3, 18)),
        (date(2026, 12, 4), date(2027, 1, 18)),  # calendar days, not business days
    ],
)
def test_form_106_is_due_45_days_after_discovery(discovered, due) -> None:
    assert dea.form_106_due(discovered) == due


@pytest.mark.parametrize(
    ("last", "due"),
    [
        (date(2026, 5, 1), date(2028, 5, 1)),
        (date(2024, 2, 29), date(2026, 2, 28)),  # never later than two years
    ],
)
def test_next_biennial_inventory_within_two_years(last, due) -> None:
    assert dea.next_inventory_due(last) == due
