from __future__ import annotations

import dataclasses
import re

import pytest

from sessions.vitals import (
    ALERT_LABELS,
    BRADYCARDIA,
    HOLD_PRE_DOSE_BP,
    HYPERTENSION,
    HYPOTENSION,
    HYPOXIA,
    TACHYCARDIA,
    Thresholds,
    alert_label,
    classify,
    is_pre_dose_hold,
)

CALM = {"systolic": 120, "diastolic": 80, "heart_rate": 72, "spo2": 98}


def vitals(phase: str = "during", **readings: object) -> set[str]:
    return classify(phase=phase, **(CALM | readings))


@pytest.mark.parametrize("phase", ["pre", "during", "post"])
def test_normal_vitals_raise_nothing(phase: str) -> None:
    assert vitals(phase) == set()


@pytest.mark.parametrize(
    ("readings", "alerts"),
    [
        pytest.param({"systolic": 140}, set(), id="systolic-140-no-hold"),
        pytest.param({"systolic": 141}, {HOLD_PRE_DOSE_BP}, id="systolic-141-hold"),
        pytest.param({"diastolic": 90}, set(), id="diastolic-90-no-hold"),
        pytest.param({"diastolic": 91}, {HOLD_PRE_DOSE_BP}, id="diastolic-91-hold"),
        pytest.param({"systolic": 140, "diastolic": 90}, set(), id="140/90-no-hold"),
        pytest.param({"systolic": 180}, {HOLD_PRE_DOSE_BP, HYPERTENSION}, id="systolic-180-both"),
        pytest.param(
            {"systolic": 150, "diastolic": 110},
            {HOLD_PRE_DOSE_BP, HYPERTENSION},
            id="diastolic-110-both",
        ),
    ],
)
def test_pre_dose_bp_above_140_90_is_a_hold(readings: dict, alerts: set[str]) -> None:
    assert vitals("pre", **readings) == alerts


@pytest.mark.parametrize("phase", ["during", "post"])
@pytest.mark.parametrize("readings", [{"systolic": 179}, {"diastolic": 109}, {"systolic": 141}])
def test_hold_applies_only_before_the_dose(phase: str, readings: dict) -> None:
    assert HOLD_PRE_DOSE_BP not in vitals(phase, **readings)


@pytest.mark.parametrize("phase", ["pre", "during", "post"])
@pytest.mark.parametrize(
    ("readings", "alert", "raised"),
    [
        pytest.param({"systolic": 179}, HYPERTENSION, False, id="systolic-179"),
        pytest.param({"systolic": 180}, HYPERTENSION, True, id="systolic-180"),
        pytest.param({"systolic": 150, "diastolic": 109}, HYPERTENSION, False, id="dia-109"),
        pytest.param({"systolic": 150, "diastolic": 110}, HYPERTENSION, True, id="dia-110"),
        pytest.param({"spo2": 92}, HYPOXIA, False, id="spo2-92"),
        pytest.param({"spo2": 91}, HYPOXIA, True, id="spo2-91"),
        pytest.param({"heart_rate": 120}, TACHYCARDIA, False, id="hr-120"),
        pytest.param({"heart_rate": 121}, TACHYCARDIA, True, id="hr-121"),
        pytest.param({"heart_rate": 50}, BRADYCARDIA, False, id="hr-50"),
        pytest.param({"heart_rate": 49}, BRADYCARDIA, True, id="hr-49"),
    ],
)
def test_alerts_apply_in_every_phase_at_their_thresholds(
    phase: str, readings: dict, alert: str, raised: bool
) -> None:
    assert (alert in vitals(phase, **readings)) is raised


def test_several_alerts_at_once() -> None:
    assert vitals("pre", systolic=200, diastolic=120, heart_rate=130, spo2=85) == {
        HOLD_PRE_DOSE_BP,
        HYPERTENSION,
        TACHYCARDIA,
        HYPOXIA,
    }
    assert vitals("post", heart_rate=40, spo2=90) == {BRADYCARDIA, HYPOXIA}


@pytest.mark.parametrize(
    ("readings", "message"),
    [
        pytest.param(
            {"systolic": 49},
            "Systolic blood pressure of 49 mmHg is not a possible reading (expected 50–260 mmHg)",
            id="systolic-49",
        ),
        pytest.param({"systolic": 261}, "Systolic blood pressure of 261 mmHg", id="systolic-261"),
        pytest.param(
            {"diastolic": 29},
            "Diastolic blood pressure of 29 mmHg is not a possible reading (expected 30–160 mmHg)",
            id="diastolic-29",
        ),
        pytest.param(
            {"systolic": 250, "diastolic": 161},
            "Diastolic blood pressure of 161 mmHg",
            id="diastolic-161",
        ),
        pytest.param(
            {"heart_rate": 19},
            "Heart rate of 19 bpm is not a possible reading (expected 20–250 bpm)",
            id="hr-19",
        ),
        pytest.param({"heart_rate": 251}, "Heart rate of 251 bpm", id="hr-251"),
        pytest.param(
            {"spo2": 49}, "SpO₂ of 49 % is not a possible reading (expected 50–100 %)", id="spo2-49"
        ),
        pytest.param({"spo2": 101}, "SpO₂ of 101 %", id="spo2-101"),
        pytest.param(
            {"respiratory_rate": 3},
            "Respiratory rate of 3 breaths/min is not a "
            "possible reading (expected 4–60 breaths/min)",
            id="rr-3",
        ),
        pytest.param({"respiratory_rate": 61}, "Respiratory rate of 61 breaths/min", id="rr-61"),
        pytest.param(
            {"systolic": 80, "diastolic": 80},
            "Diastolic blood pressure (80 mmHg) must be lower than systolic (80 mmHg)",
            id="diastolic-equals-systolic",
        ),
        pytest.param(
            {"systolic": 80, "diastolic": 120},
            "Diastolic blood pressure (120 mmHg) must be lower than systolic (80 mmHg)",
            id="diastolic-above-systolic",
        ),
        pytest.param(
            {"systolic": True},
            "Systolic blood pressure must be a whole number, got True (bool)",
            id="bool",
        ),
        pytest.param(
            {"heart_rate": 72.0}, "Heart rate must be a whole number, got 72.0 (float)", id="float"
        ),
        pytest.param({"spo2": "98"}, "SpO₂ must be a whole number, got '98' (str)", id="str"),
        pytest.param(
            {"diastolic": None},
            "Diastolic blood pressure must be a whole number, got None (NoneType)",
            id="none",
        ),
        pytest.param(
            {"respiratory_rate": False}, "Respiratory rate must be a whole number", id="rr-bool"
        ),
    ],
)
def test_impossible_readings_are_refused(readings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        vitals("during", **readings)


@pytest.mark.parametrize(
    "readings",
    [
        {"systolic": 50, "diastolic": 30},
        {"systolic": 260, "diastolic": 159},
        {"systolic": 200, "diastolic": 160},
        {"heart_rate": 20},
        {"heart_rate": 250},
        {"spo2": 50},
        {"spo2": 100},
        {"systolic": 81, "diastolic": 80},
        {"respiratory_rate": 4},
        {"respiratory_rate": 60},
        {"respiratory_rate": None},
    ],
)
def test_extreme_but_possible_readings_are_accepted(readings: dict) -> None:
    assert isinstance(vitals("during", **readings), set)


@pytest.mark.parametrize("phase", ["", "PRE", "intra", "discharge", None])
def test_unknown_phase_is_refused(phase) -> None:
    with pytest.raises(ValueError, match=re.escape(f"Unknown phase {phase!r}")):
        vitals(phase)


def test_respiratory_rate_is_validated_but_raises_no_alert() -> None:
    assert vitals("during", respiratory_rate=6) == set()
    assert vitals("during", respiratory_rate=40) == set()


# --- protocol thresholds may only tighten ---------------------------------------------------


@pytest.mark.parametrize(
    ("thresholds", "readings", "alert", "raised"),
    [
        pytest.param(
            Thresholds(pre_systolic_hold=130),
            {"systolic": 131},
            HOLD_PRE_DOSE_BP,
            True,
            id="tighter-hold-systolic",
        ),
        pytest.param(
            Thresholds(pre_diastolic_hold=85),
            {"diastolic": 86},
            HOLD_PRE_DOSE_BP,
            True,
            id="tighter-hold-diastolic",
        ),
        pytest.param(
            Thresholds(systolic_alert=160),
            {"systolic": 160},
            HYPERTENSION,
            True,
            id="tighter-systolic-alert",
        ),
        pytest.param(
            Thresholds(diastolic_alert=100),
            {"diastolic": 100},
            HYPERTENSION,
            True,
            id="tighter-diastolic-alert",
        ),
        pytest.param(Thresholds(spo2_min=94), {"spo2": 93}, HYPOXIA, True, id="tighter-spo2"),
        pytest.param(
            Thresholds(hr_max=100), {"heart_rate": 101}, TACHYCARDIA, True, id="tighter-hr-max"
        ),
        pytest.param(
            Thresholds(hr_min=55), {"heart_rate": 54}, BRADYCARDIA, True, id="tighter-hr-min"
        ),
        # Looser than the defaults: clamped back, so the default alert still fires.
        pytest.param(
            Thresholds(pre_systolic_hold=160),
            {"systolic": 141},
            HOLD_PRE_DOSE_BP,
            True,
            id="looser-hold-systolic-clamped",
        ),
        pytest.param(
            Thresholds(pre_diastolic_hold=100),
            {"diastolic": 91},
            HOLD_PRE_DOSE_BP,
            True,
            id="looser-hold-diastolic-clamped",
        ),
        pytest.param(
            Thresholds(systolic_alert=200),
            {"systolic": 180},
            HYPERTENSION,
            True,
            id="looser-systolic-alert-clamped",
        ),
        pytest.param(
            Thresholds(diastolic_alert=120),
            {"diastolic": 110, "systolic": 170},
            HYPERTENSION,
            True,
            id="looser-diastolic-alert-clamped",
        ),
        pytest.param(
            Thresholds(spo2_min=88), {"spo2": 91}, HYPOXIA, True, id="looser-spo2-clamped"
        ),
        pytest.param(
            Thresholds(hr_max=150),
            {"heart_rate": 121},
            TACHYCARDIA,
            True,
            id="looser-hr-max-clamped",
        ),
        pytest.param(
            Thresholds(hr_min=40), {"heart_rate": 49}, BRADYCARDIA, True, id="looser-hr-min-clamped"
        ),
        # A tighter threshold does not move the ones it did not set.
        pytest.param(
            Thresholds(hr_max=100),
            {"heart_rate": 50},
            BRADYCARDIA,
            False,
            id="other-thresholds-unchanged",
        ),
    ],
)
def test_protocol_thresholds_can_tighten_but_not_loosen(
    thresholds: Thresholds, readings: dict, alert: str, raised: bool
) -> None:
    result = classify(phase="pre", thresholds=thresholds, **(CALM | readings))

    assert (alert in result) is raised


def test_tightened_keeps_tighter_values_and_restores_looser_ones() -> None:
    mixed = Thresholds(pre_systolic_hold=130, spo2_min=88, hr_max=110, hr_min=45)

    assert mixed.tightened() == Thresholds(pre_systolic_hold=130, hr_max=110)
    assert Thresholds().tightened() == Thresholds()


@pytest.mark.parametrize("bad", [True, 92.5, "92", None])
def test_thresholds_must_be_whole_numbers(bad) -> None:
    with pytest.raises(ValueError, match="threshold spo2_min must be a whole number"):
        Thresholds(spo2_min=bad)


def test_thresholds_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Thresholds().spo2_min = 80  # type: ignore[misc]


# --- labels ---------------------------------------------------------------------------------


def test_every_alert_has_a_label() -> None:
    assert set(ALERT_LABELS) == {
        HOLD_PRE_DOSE_BP,
        HYPERTENSION,
        HYPOXIA,
        TACHYCARDIA,
        BRADYCARDIA,
        HYPOTENSION,
    }
    assert ALERT_LABELS[HOLD_PRE_DOSE_BP] == (
        "Pre-dose BP above 140/90 — dosing needs a medical provider's acknowledgement"
    )
    assert "180/110" in ALERT_LABELS[HYPERTENSION]
    assert "92 %" in ALERT_LABELS[HYPOXIA]
    assert "120/min" in ALERT_LABELS[TACHYCARDIA]
    assert "50/min" in ALERT_LABELS[BRADYCARDIA]


def test_alert_label_quotes_the_thresholds_actually_applied() -> None:
    assert "130/85" in alert_label(
        HOLD_PRE_DOSE_BP, Thresholds(pre_systolic_hold=130, pre_diastolic_hold=85)
    )
    assert "92 %" in alert_label(HYPOXIA, Thresholds(spo2_min=88))  # clamped


@pytest.mark.parametrize("phase", ["pre", "during", "post"])
@pytest.mark.parametrize(
    ("systolic", "raised"), [(89, True), (90, False), (50, True), (120, False)]
)
def test_systolic_below_90_is_hypotension(phase: str, systolic: int, raised: bool) -> None:
    readings = {"systolic": systolic, "diastolic": min(80, systolic - 10)}
    assert (HYPOTENSION in vitals(phase, **readings)) is raised


@pytest.mark.parametrize(
    ("phase", "readings", "hold"),
    [
        ("pre", {"spo2": 88}, True),
        ("pre", {"spo2": 92}, False),
        ("pre", {"heart_rate": 121}, True),
        ("pre", {"heart_rate": 49}, True),
        ("pre", {"systolic": 89, "diastolic": 60}, True),
        ("pre", {"systolic": 141}, True),
        ("pre", {}, False),
        ("during", {"spo2": 88}, False),
    ],
)
def test_any_alert_level_reading_before_the_dose_holds_it(phase, readings, hold) -> None:
    assert is_pre_dose_hold(phase, vitals(phase, **readings)) is hold
