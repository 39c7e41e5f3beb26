"""The modified Aldrete score (Aldrete, J Clin Anesth 1995;7:89–91) at every boundary."""

from __future__ import annotations

import dataclasses

import pytest

from sessions.discharge import MIN_DISCHARGE_TOTAL, aldrete


def score(**kw):
    args = {
        "activity": 2,
        "respiration": 2,
        "consciousness": 2,
        "systolic": 120,
        "systolic_baseline": 120,
        "spo2": 98,
        "on_oxygen": False,
    }
    args.update(kw)
    return aldrete(**args)


@pytest.mark.parametrize(
    ("systolic", "baseline", "circulation"),
    [
        (120, 120, 2),
        (144, 120, 2),  # +20 % exactly
        (96, 120, 2),  # -20 % exactly
        (145, 120, 1),  # just over 20 %
        (95, 120, 1),
        (179, 120, 1),  # +49.2 %
        (180, 120, 0),  # +50 % exactly is not "under 50 %"
        (60, 120, 0),  # -50 %
        (61, 120, 1),
        (192, 120, 0),
    ],
)
def test_circulation_from_systolic_against_the_pre_dose_value(
    systolic: int, baseline: int, circulation: int
) -> None:
    assert score(systolic=systolic, systolic_baseline=baseline).circulation == circulation


@pytest.mark.parametrize(
    ("spo2", "on_oxygen", "oxygenation"),
    [
        (100, False, 2),
        (93, False, 2),
        (92, False, 1),
        (90, False, 1),
        (89, False, 0),
        (100, True, 1),
        (91, True, 1),
        (90, True, 0),
        (85, True, 0),
    ],
)
def test_oxygenation_on_room_air_and_on_oxygen(spo2: int, on_oxygen: bool, oxygenation: int):
    assert score(spo2=spo2, on_oxygen=on_oxygen).oxygenation == oxygenation


@pytest.mark.parametrize(
    ("kw", "total", "fit"),
    [
        ({}, 10, True),
        ({"activity": 1}, 9, True),
        ({"activity": 1, "spo2": 92}, 8, False),
        (
            {"activity": 0, "respiration": 0, "consciousness": 0, "spo2": 80, "systolic": 200},
            0,
            False,
        ),
    ],
)
def test_total_is_the_sum_and_nine_is_enough(kw: dict, total: int, fit: bool) -> None:
    result = score(**kw)
    assert result.total == total
    assert result.fit_for_discharge is fit
    assert MIN_DISCHARGE_TOTAL == 9


def test_result_is_immutable() -> None:
    result = score()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "kw",
    [
        {"activity": 3},
        {"activity": -1},
        {"respiration": 3},
        {"consciousness": -1},
        {"activity": True},
        {"activity": 1.0},
        {"respiration": "2"},
        {"consciousness": None},
        {"systolic": 49},
        {"systolic": 261},
        {"systolic_baseline": 0},
        {"systolic": 120.0},
        {"spo2": 101},
        {"spo2": 49},
        {"spo2": "98"},
        {"on_oxygen": 1},
        {"on_oxygen": None},
    ],
)
def test_out_of_range_or_wrongly_typed_input_raises(kw: dict) -> None:
    with pytest.raises(ValueError):
        score(**kw)
