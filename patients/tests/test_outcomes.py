"""Outcomes (DESIGN.md, "one patient's path", step 8): PHQ-9, GAD-7 and PCL-5 over time on the
chart and the measures page — the table a clinician reads, and the data the charts draw."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from kap_clinic.models import AccessEvent
from patients.tests.factories import PatientFactory, make_intake, make_total

pytestmark = pytest.mark.django_db

WEEK = dt.timedelta(days=7)
CLINICAL_PERSONAS = ("clinician", "provider")
NON_CLINICAL = ("front_desk", "clinic_admin", "outsider")


def chart(client, patient) -> str:
    response = client.get(reverse("patients:chart", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def measures_page(client, patient) -> str:
    response = client.get(reverse("patients:measure_list", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def row(page: str, code: str) -> str:
    found = re.search(rf'<tr data-testid="outcome-{code}">(.*?)</tr>', page, re.DOTALL)
    assert found, f"no outcome row for {code}"
    return found.group(1)


def cell(page: str, code: str, name: str) -> str:
    found = re.search(rf'data-testid="outcome-{name}"[^>]*>(.*?)</td>', row(page, code), re.DOTALL)
    assert found, f"no {name} cell for {code}"
    return _text(found.group(1))


def chart_data(page: str) -> dict:
    found = re.search(r'<script id="outcomes-data" type="application/json">(.*?)</script>', page)
    assert found, "no chart data on the page"
    return json.loads(found.group(1))


def series(page: str, code: str) -> dict:
    [found] = [c for c in chart_data(page)["charts"] if c["code"] == code]
    return found


@pytest.fixture
def course(clinician):
    """Intake three weeks ago (baseline PHQ-9 10, GAD-7 6, PCL-5 20), then weekly repeats:
    PHQ-9 8 -> 5 -> 4, GAD-7 3, no repeat PCL-5."""
    patient = PatientFactory(primary_clinician=clinician)
    start = timezone.now() - 3 * WEEK
    with time_machine.travel(start, tick=False):
        make_intake(patient, by=clinician, sign=True)
    for week, total in ((1, 8), (2, 5), (3, 4)):
        make_total(patient, "phq9", total, by=clinician, taken_at=start + week * WEEK)
    make_total(patient, "gad7", 3, by=clinician, taken_at=start + 2 * WEEK)
    return patient


# --- the table ----------------------------------------------------------------------------------


def test_chart_shows_phq9_response_and_remission_against_the_intake_baseline(
    as_clinician, course
) -> None:
    page = chart(as_clinician, course)
    assert 'data-testid="chart-section-outcomes"' in page
    assert cell(page, "phq9", "baseline").startswith("10 · moderate")
    assert cell(page, "phq9", "baseline").endswith("· intake")
    assert cell(page, "phq9", "latest").startswith("4 · minimal")
    assert cell(page, "phq9", "change") == "-6"
    assert cell(page, "phq9", "percent") == "-60.0 %"
    assert cell(page, "phq9", "response") == "response"
    assert cell(page, "phq9", "remission") == "remission"


def test_gad7_shows_change_but_no_response_rule(as_clinician, course) -> None:
    page = chart(as_clinician, course)
    assert cell(page, "gad7", "change") == "-3"
    assert cell(page, "gad7", "percent") == "-50.0 %"
    # A 50 % fall is a PHQ-9 rule (DESIGN.md); the GAD-7 gets none rather than a borrowed one.
    assert cell(page, "gad7", "response") == "n/a for GAD-7"
    assert cell(page, "gad7", "remission") == "n/a for GAD-7"


def test_a_measure_with_only_its_baseline_says_so_and_draws_no_chart(as_clinician, course) -> None:
    page = chart(as_clinician, course)
    assert cell(page, "pcl5", "baseline").startswith("20 · below threshold")
    assert cell(page, "pcl5", "latest") == "No result after the baseline yet"
    assert "1 result" in _text(row(page, "pcl5"))
    assert 'data-outcome-chart="pcl5"' not in page
    assert [c["code"] for c in chart_data(page)["charts"]] == ["phq9", "gad7"]


@pytest.mark.parametrize(
    ("latest", "change", "percent", "response", "remission"),
    [
        (10, "-10", "-50.0 %", "response", "not met"),  # exactly half
        (11, "-9", "-45.0 %", "not met", "not met"),
        (5, "-15", "-75.0 %", "response", "not met"),  # 5 is not remission
        (4, "-16", "-80.0 %", "response", "remission"),
        (22, "+2", "+10.0 %", "not met", "not met"),  # worse
    ],
)
def test_phq9_response_and_remission_at_their_boundaries(
    as_clinician, clinician, latest, change, percent, response, remission
) -> None:
    patient = PatientFactory()
    start = timezone.now() - 2 * WEEK
    make_total(patient, "phq9", 20, by=clinician, taken_at=start)
    make_total(patient, "phq9", latest, by=clinician, taken_at=start + WEEK)
    page = chart(as_clinician, patient)
    assert cell(page, "phq9", "baseline").endswith("· first result")
    assert cell(page, "phq9", "change") == change
    assert cell(page, "phq9", "percent") == percent
    assert cell(page, "phq9", "response") == response
    assert cell(page, "phq9", "remission") == remission


def test_a_baseline_of_0_has_no_percentage(as_clinician, clinician) -> None:
    patient = PatientFactory()
    start = timezone.now() - 2 * WEEK
    make_total(patient, "phq9", 0, by=clinician, taken_at=start)
    make_total(patient, "phq9", 3, by=clinician, taken_at=start + WEEK)
    page = chart(as_clinician, patient)
    assert cell(page, "phq9", "change") == "+3"
    assert cell(page, "phq9", "percent") == "— (no percentage of a baseline of 0)"
    assert cell(page, "phq9", "response") == "not met"


def test_the_intake_result_is_the_baseline_even_after_an_earlier_screen(
    as_clinician, clinician
) -> None:
    patient = PatientFactory()
    now = timezone.now()
    make_total(patient, "phq9", 24, by=clinician, taken_at=now - 5 * WEEK)  # consultation
    with time_machine.travel(now - 4 * WEEK, tick=False):
        make_intake(patient, by=clinician, sign=True)  # PHQ-9 10
    make_total(patient, "phq9", 6, by=clinician, taken_at=now - WEEK)
    page = chart(as_clinician, patient)
    assert cell(page, "phq9", "baseline").startswith("10 · moderate")
    assert cell(page, "phq9", "change") == "-4"
    assert cell(page, "phq9", "response") == "not met"  # 24 -> 6 would have been a response
    points = series(page, "phq9")["points"]
    assert [(p["y"], p["baseline"]) for p in points] == [(24, False), (10, True), (6, False)]


def test_a_returning_patients_new_intake_is_the_new_baseline(as_clinician, clinician) -> None:
    patient = PatientFactory()
    now = timezone.now()
    with time_machine.travel(now - 40 * WEEK, tick=False):
        make_intake(patient, by=clinician, sign=True)
    make_total(patient, "phq9", 2, by=clinician, taken_at=now - 30 * WEEK)
    with time_machine.travel(now - 3 * WEEK, tick=False):
        make_intake(
            patient, by=clinician, baseline={"phq9": [3, 3, 3, 3, 3, 3, 0, 0, 0]}
        )  # a draft, PHQ-9 18
    make_total(patient, "phq9", 9, by=clinician, taken_at=now - WEEK)
    page = chart(as_clinician, patient)
    assert cell(page, "phq9", "baseline").startswith("18 · moderately severe")
    assert cell(page, "phq9", "response") == "response"


def test_patient_with_no_outcome_measures_has_no_outcomes_section(as_clinician) -> None:
    patient = PatientFactory()
    assert 'data-testid="chart-section-outcomes"' not in chart(as_clinician, patient)
    assert 'data-testid="outcomes"' not in measures_page(as_clinician, patient)


# --- the charts ---------------------------------------------------------------------------------


def test_chart_data_is_passed_as_json_and_no_script_runs_inline(as_clinician, course) -> None:
    page = chart(as_clinician, course)
    phq9 = series(page, "phq9")
    assert [p["y"] for p in phq9["points"]] == [10, 8, 5, 4]
    assert [p["baseline"] for p in phq9["points"]] == [True, False, False, False]
    assert phq9["max"] == 27
    assert [b["low"] for b in phq9["bands"]] == [0, 5, 10, 15, 20]
    assert phq9["points"][0]["label"].endswith("10 · moderate (baseline)")
    assert chart_data(page)["timeZone"] == "America/Detroit"
    # The Content-Security-Policy forbids inline script: every <script> has a src, except the
    # JSON data, which a browser never runs.
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "vendor/chartjs-4.6.1/chart.umd.min.js" in page
    assert "js/outcomes.js" in page


def test_each_chart_is_described_for_screen_readers_and_lists_its_results_without_js(
    as_clinician, course
) -> None:
    page = chart(as_clinician, course)
    canvas = re.search(r'<canvas data-outcome-chart="phq9"([^>]*)>(.*?)</canvas>', page, re.DOTALL)
    assert canvas
    attributes, fallback = canvas.groups()
    assert 'role="img"' in attributes
    label = html.unescape(re.search(r'aria-label="([^"]*)"', attributes).group(1))
    assert label.startswith("PHQ-9 totals, 4 results: 10 · moderate on ")
    assert " to 4 · minimal on " in label
    # Fallback content: what a browser without scripting shows in the canvas's place.
    assert _text(fallback).count("·") == 4
    bands = "0–4 minimal · 5–9 mild · 10–14 moderate · 15–19 moderately severe · 20–27 severe"
    assert bands in _text(page)


def test_measures_page_shows_the_same_outcomes(as_clinician, course) -> None:
    page = measures_page(as_clinician, course)
    assert cell(page, "phq9", "response") == "response"
    assert 'data-outcome-chart="phq9"' in page
    assert len(series(page, "phq9")["points"]) == 4


# --- who sees it ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", CLINICAL_PERSONAS)
def test_clinical_roles_see_outcomes_on_chart_and_measures_page(personas, course, persona) -> None:
    client = client_for(personas[persona])
    for page in (chart(client, course), measures_page(client, course)):
        assert cell(page, "phq9", "response") == "response"
    seen = AccessEvent.objects.filter(user=personas[persona], patient_id=course.pk, allowed=True)
    assert set(seen.values_list("what", flat=True)) == {"chart", "measures"}


@pytest.mark.parametrize("persona", NON_CLINICAL)
def test_non_clinical_roles_are_refused_the_outcomes(personas, course, persona) -> None:
    client = client_for(personas[persona])
    for name in ("patients:chart", "patients:measure_list"):
        response = client.get(reverse(name, args=[course.pk]))
        assert response.status_code == 403, (persona, name)
        assert b"outcomes-data" not in response.content


def test_front_desk_patient_page_shows_no_outcomes(as_front_desk, course) -> None:
    response = as_front_desk.get(reverse("patients:detail", args=[course.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for clinical in ("Outcomes", "outcomes-data", "data-outcome-chart", "PHQ-9", "remission"):
        assert clinical not in page


def test_long_history_charts_the_latest_results_and_keeps_baseline_and_latest(clinician) -> None:
    """Issue 15: the charts draw a bounded window of results, and the table still has the
    intake baseline, the latest result and the true count."""
    from patients import selectors

    patient = PatientFactory()
    intake = make_intake(patient, by=clinician, complete=False)
    start = timezone.now() - dt.timedelta(days=200)
    make_total(patient, "phq9", 20, by=clinician, taken_at=start, intake=intake)
    count = selectors.OUTCOME_POINTS + 15
    for day in range(1, count):
        make_total(
            patient, "phq9", 10 + day % 5, by=clinician, taken_at=start + dt.timedelta(days=day)
        )
    latest = make_total(patient, "phq9", 3, by=clinician, taken_at=timezone.now())
    phq9 = selectors.outcomes_for_chart(patient)[0]
    assert phq9.count == count + 1
    assert phq9.baseline.total == 20 and phq9.baseline_from_intake
    assert phq9.latest == latest
    assert len(phq9.results) == selectors.OUTCOME_POINTS + 1  # the window and the baseline
    assert phq9.window_start is not None
    assert phq9.outcome.remission
