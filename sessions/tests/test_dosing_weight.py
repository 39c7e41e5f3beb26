"""``dosing_weight``, the weight checks and the volume to draw, at every boundary.

Worked examples from Devine, Drug Intell Clin Pharm 1974;8:650 (IBW = 50 kg men / 45.5 kg
women + 2.3 kg per inch over 60 in): a man 70 in (177.8 cm) tall has IBW 50 + 2.3 x 10 =
73.0 kg; at 120 kg his BMI is 37.96, so his adjusted weight is 73.0 + 0.4 x (120 - 73.0) =
91.8 kg. A woman 64 in (162.56 cm) tall has IBW 45.5 + 2.3 x 4 = 54.7 kg; at 90 kg (BMI 34.06)
her adjusted weight is 54.7 + 0.4 x 35.3 = 68.82 -> 68.8 kg.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from sessions.dosing import (
    dosing_weight,
    ideal_body_weight,
    kg_to_lb,
    lb_to_kg,
    volume_to_draw_ml,
    weight_change_needs_confirming,
    weight_problem,
)

D = Decimal


@pytest.mark.parametrize(
    ("height_cm", "sex", "ibw"),
    [
        pytest.param(D("177.8"), "male", D("73.0"), id="devine-male-70in"),
        pytest.param(D("162.56"), "female", D("54.7"), id="devine-female-64in"),
        pytest.param(D("152.4"), "male", D("50.0"), id="male-60in-base"),
        pytest.param(D("152.4"), "female", D("45.5"), id="female-60in-base"),
        pytest.param(D("150"), "male", D("50.0"), id="under-60in-adds-nothing"),
        pytest.param(D("154.94"), "male", D("52.3"), id="male-61in"),
    ],
)
def test_devine_ideal_body_weight(height_cm: Decimal, sex: str, ibw: Decimal) -> None:
    assert ideal_body_weight(height_cm=height_cm, sex=sex).quantize(D("0.1")) == ibw


@pytest.mark.parametrize(
    ("weight", "height", "sex", "method", "expected"),
    [
        # actual: the weight itself, whatever the BMI, rounded to 0.1 kg
        pytest.param(D("120"), D("177.8"), "male", "actual", D("120.0"), id="actual-obese"),
        pytest.param(D("70.25"), D("177.8"), "male", "actual", D("70.3"), id="actual-half-up"),
        pytest.param(D("70"), D("177.8"), "unknown", "actual", D("70.0"), id="actual-any-sex"),
        pytest.param(70, 178, "male", "actual", D("70.0"), id="actual-whole-numbers"),
        # adjusted, the worked examples
        pytest.param(D("120"), D("177.8"), "male", "adjusted", D("91.8"), id="devine-male"),
        pytest.param(D("90"), D("162.56"), "female", "adjusted", D("68.8"), id="devine-female"),
        # BMI boundary at exactly 30: 2 m tall, 120 kg -> BMI 30.0 -> adjusted
        # IBW = 50 + 2.3 x (200/2.54 - 60) = 93.1102...; 93.1102 + 0.4 x 26.8898 = 103.8661
        pytest.param(D("120"), D("200"), "male", "adjusted", D("103.9"), id="bmi-30-adjusts"),
        pytest.param(D("119.9"), D("200"), "male", "adjusted", D("119.9"), id="bmi-under-30"),
        pytest.param(D("80"), D("177.8"), "male", "adjusted", D("80.0"), id="not-obese"),
    ],
)
def test_dosing_weight(
    weight: Decimal, height: Decimal, sex: str, method: str, expected: Decimal
) -> None:
    result = dosing_weight(weight_kg=weight, height_cm=height, sex=sex, method=method)
    assert result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"weight_kg": None}, "Weight is missing", id="weight-missing"),
        pytest.param({"weight_kg": D("0")}, "Weight must be more than 0", id="weight-0"),
        pytest.param({"weight_kg": D("-70")}, "Weight must be more than 0", id="weight-neg"),
        pytest.param({"weight_kg": 70.0}, "Decimal or a whole number", id="weight-float"),
        pytest.param({"height_cm": None}, "Height is missing", id="height-missing"),
        pytest.param({"height_cm": D("0")}, "Height must be more than 0", id="height-0"),
        pytest.param({"method": "ideal"}, "'actual' or 'adjusted'", id="unknown-method"),
        pytest.param(
            {"sex": "intersex", "method": "adjusted"},
            "actual weight must be chosen",
            id="adjusted-needs-male-or-female",
        ),
        pytest.param(
            {"sex": "unknown", "method": "adjusted", "weight_kg": D("70")},
            "actual weight must be chosen",
            id="adjusted-unknown-sex-even-when-not-obese",
        ),
        pytest.param({"sex": None}, "Sex must be", id="sex-missing"),
    ],
)
def test_dosing_weight_refuses_bad_input(kwargs: dict, message: str) -> None:
    args = {"weight_kg": D("120"), "height_cm": D("177.8"), "sex": "male", "method": "actual"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        dosing_weight(**args)


@pytest.mark.parametrize(
    ("weight", "refused"),
    [
        (D("29.9"), True),
        (D("30"), False),
        (D("250"), False),
        (D("250.1"), True),
        (D("900"), True),
        (D("2"), True),
        (D("70"), False),
    ],
)
def test_weight_outside_30_to_250_kg_is_refused(weight: Decimal, refused: bool) -> None:
    problem = weight_problem(weight)
    assert bool(problem) is refused
    if refused:
        assert "30–250 kg" in problem and "kg or lb" in problem


@pytest.mark.parametrize(
    ("weight", "last", "confirm"),
    [
        (D("77"), D("70"), False),  # exactly +10 %
        (D("77.1"), D("70"), True),
        (D("63"), D("70"), False),  # exactly -10 %
        (D("62.9"), D("70"), True),
        (D("154"), D("70"), True),  # pounds typed as kilograms
        (D("154"), None, False),  # nothing to compare with
    ],
)
def test_weight_change_over_ten_percent_needs_confirming(weight, last, confirm) -> None:
    assert weight_change_needs_confirming(weight, last) is confirm


def test_pounds_and_kilograms_convert_both_ways() -> None:
    assert lb_to_kg(D("154")) == D("69.9")
    assert lb_to_kg(D("220.5")) == D("100.0")
    assert kg_to_lb(D("70")) == D("154.3")


@pytest.mark.parametrize(
    ("mg", "strength", "ml"),
    [
        (D("35.0"), D("10"), D("3.50")),
        (D("35.0"), D("50"), D("0.70")),
        (D("35.0"), D("100"), D("0.35")),
        (D("36.2"), D("50"), D("0.72")),  # 0.724
        (D("36.3"), D("50"), D("0.73")),  # 0.726
        (D("0.5"), D("100"), D("0.01")),  # 0.005 rounds half up
    ],
)
def test_volume_to_draw_is_mg_over_concentration_to_a_hundredth_ml(mg, strength, ml) -> None:
    volume = volume_to_draw_ml(mg, strength)
    assert volume == ml and str(volume) == str(ml)
