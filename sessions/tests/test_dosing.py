from __future__ import annotations

import re
from decimal import Decimal

import pytest

from sessions.dosing import check_dose, total_dose_mg

D = Decimal


@pytest.mark.parametrize(
    ("weight_kg", "mg_per_kg", "expected_mg"),
    [
        (D("70"), D("0.5"), D("35.0")),
        (70, D("0.5"), D("35.0")),  # whole-number weight
        (D("70.1"), D("0.5"), D("35.1")),  # 35.05 rounds half up, not to even (35.0)
        (D("70.3"), D("0.5"), D("35.2")),  # 35.15 -> 35.2
        (D("70.02"), D("0.5"), D("35.0")),  # 35.01 rounds down
        (D("33.33"), D("0.15"), D("5.0")),  # 4.9995
        (D("0.5"), D("0.1"), D("0.1")),  # 0.05 -> 0.1
        (D("81.7"), D("0.75"), D("61.3")),  # 61.275
        (D("150"), D("1.5"), D("225.0")),
        (D("62.5"), 1, D("62.5")),  # whole-number mg/kg
    ],
)
def test_total_dose_is_weight_times_rate_rounded_half_up_to_a_tenth(
    weight_kg: Decimal, mg_per_kg: Decimal, expected_mg: Decimal
) -> None:
    dose = total_dose_mg(weight_kg, mg_per_kg)

    assert dose == expected_mg
    # Same value *and* one decimal place, so it prints as a nurse would write it.
    assert str(dose) == str(expected_mg)


@pytest.mark.parametrize(
    ("weight_kg", "mg_per_kg", "message"),
    [
        pytest.param(None, D("0.5"), "Weight is missing.", id="weight-none"),
        pytest.param(D("70"), None, "Dose is missing.", id="rate-none"),
        pytest.param(D("0"), D("0.5"), "Weight must be more than 0 kg, got 0 kg.", id="weight-0"),
        pytest.param(0, D("0.5"), "Weight must be more than 0 kg", id="weight-int-0"),
        pytest.param(D("-70"), D("0.5"), "Weight must be more than 0 kg, got -70 kg.", id="neg"),
        pytest.param(D("70"), D("0"), "Dose must be more than 0 mg/kg, got 0 mg/kg.", id="rate-0"),
        pytest.param(D("70"), D("-0.5"), "Dose must be more than 0 mg/kg", id="rate-negative"),
        pytest.param(
            70.1,
            D("0.5"),
            "Weight must be a Decimal or a whole number, got 70.1 (float) (floats cannot hold",
            id="weight-float",
        ),
        pytest.param(
            D("70"),
            0.5,
            "Dose must be a Decimal or a whole number, got 0.5 (float)",
            id="rate-float",
        ),
        pytest.param(
            True,
            D("0.5"),
            "Weight must be a Decimal or a whole number, got True (bool)",
            id="weight-bool",
        ),
        pytest.param(D("70"), False, "got False (bool)", id="rate-bool"),
        pytest.param("70", D("0.5"), "got '70' (str)", id="weight-str"),
        pytest.param(D("NaN"), D("0.5"), "Weight must be a number, got NaN", id="nan"),
        pytest.param(D("70"), D("Infinity"), "Dose must be a number, got Infinity", id="inf"),
    ],
)
def test_total_dose_refuses_missing_or_unusable_numbers(weight_kg, mg_per_kg, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        total_dose_mg(weight_kg, mg_per_kg)


IV = {"min_mg_per_kg": D("0.10"), "max_mg_per_kg": D("1.00"), "cap_mg": None}
IM = {"min_mg_per_kg": D("0.25"), "max_mg_per_kg": D("1.5"), "cap_mg": D("60")}


@pytest.mark.parametrize(
    ("protocol", "mg_per_kg", "total_mg", "problems"),
    [
        pytest.param(IV, D("0.5"), D("35.0"), [], id="iv-default"),
        pytest.param(IV, D("0.1"), D("7.0"), [], id="iv-at-minimum"),
        pytest.param(IV, D("1.0"), D("70.0"), [], id="iv-at-maximum"),
        pytest.param(
            IV,
            D("0.05"),
            D("3.5"),
            ["0.05 mg/kg is outside the protocol's allowed range of 0.10–1.00 mg/kg."],
            id="iv-below-range",
        ),
        pytest.param(
            IV,
            D("1.01"),
            D("70.7"),
            ["1.01 mg/kg is outside the protocol's allowed range of 0.10–1.00 mg/kg."],
            id="iv-above-range",
        ),
        pytest.param(
            IV,
            D("0.099"),
            D("6.9"),
            ["0.099 mg/kg is outside the protocol's allowed range of 0.10–1.00 mg/kg."],
            id="message-does-not-round-0.099-to-0.10",
        ),
        pytest.param(IV, D("0.5"), D("100.0"), [], id="no-cap-no-cap-problem"),
        pytest.param(IM, D("0.5"), D("60.0"), [], id="im-at-cap"),
        pytest.param(IM, D("0.25"), D("17.5"), [], id="im-at-minimum"),
        pytest.param(IM, D("1.5"), D("52.5"), [], id="im-at-maximum"),
        pytest.param(
            IM,
            D("0.5"),
            D("60.1"),
            ["60.1 mg is above the protocol's cap of 60.0 mg."],
            id="im-just-above-cap",
        ),
        pytest.param(
            IM,
            D("1.6"),
            D("160.0"),
            [
                "1.60 mg/kg is outside the protocol's allowed range of 0.25–1.50 mg/kg.",
                "160.0 mg is above the protocol's cap of 60.0 mg.",
            ],
            id="im-range-and-cap",
        ),
        pytest.param(
            {"min_mg_per_kg": D("0.1"), "max_mg_per_kg": D("1"), "cap_mg": D("40")},
            D("0.5"),
            D("42.5"),
            ["42.5 mg is above the protocol's cap of 40.0 mg."],
            id="cap-from-brief",
        ),
        pytest.param({"min_mg_per_kg": 1, "max_mg_per_kg": 2, "cap_mg": 100}, 1, 70, [], id="ints"),
    ],
)
def test_check_dose_reports_range_and_cap_problems(
    protocol: dict, mg_per_kg: Decimal, total_mg: Decimal, problems: list[str]
) -> None:
    assert check_dose(mg_per_kg=mg_per_kg, total_mg=total_mg, **protocol) == problems


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"mg_per_kg": None}, "Dose is missing.", id="rate-none"),
        pytest.param({"total_mg": None}, "Total dose is missing.", id="total-none"),
        pytest.param({"mg_per_kg": 0.5}, "got 0.5 (float)", id="rate-float"),
        pytest.param(
            {"total_mg": 35.0}, "Total dose must be a Decimal or a whole number", id="total-float"
        ),
        pytest.param({"total_mg": D("0")}, "Total dose must be more than 0 mg", id="total-0"),
        pytest.param({"mg_per_kg": D("-0.5")}, "Dose must be more than 0 mg/kg", id="rate-neg"),
        pytest.param(
            {"min_mg_per_kg": None}, "The protocol's minimum dose is missing.", id="min-none"
        ),
        pytest.param(
            {"max_mg_per_kg": True}, "The protocol's maximum dose must be a Decimal", id="max-bool"
        ),
        pytest.param({"cap_mg": D("0")}, "The protocol's cap must be more than 0 mg", id="cap-0"),
        pytest.param({"cap_mg": 60.0}, "The protocol's cap must be a Decimal", id="cap-float"),
        pytest.param(
            {"min_mg_per_kg": D("1.5"), "max_mg_per_kg": D("0.25")},
            "The protocol's minimum dose (1.50 mg/kg) is above its maximum (0.25 mg/kg)",
            id="min-above-max",
        ),
    ],
)
def test_check_dose_refuses_malformed_input(arguments: dict, message: str) -> None:
    call = {"mg_per_kg": D("0.5"), "total_mg": D("35.0")} | IM | arguments

    with pytest.raises(ValueError, match=re.escape(message)):
        check_dose(**call)


def test_check_dose_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        check_dose(D("0.5"), D("35.0"), D("0.1"), D("1.0"), None)  # type: ignore[misc]
