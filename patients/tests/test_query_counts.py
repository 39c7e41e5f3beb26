"""Pages opened all day keep a constant number of queries as a patient's record grows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.instruments import OUTCOME_MEASURES
from patients.tests.factories import (
    PHQ9_MODERATE,
    PatientFactory,
    make_intake,
    make_measure,
    make_total,
)

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_chart_queries_do_not_grow_with_measures_and_intakes(as_clinician, clinician) -> None:
    small, large = PatientFactory(), PatientFactory()
    make_intake(small, by=clinician, sign=True)
    make_intake(large, by=clinician, sign=True)
    make_intake(large, by=clinician, complete=True)  # a second, draft intake
    for _ in range(20):
        make_measure(large, "phq9", PHQ9_MODERATE[:8] + [1], by=clinician)  # flags too
    as_clinician.get(reverse("home"))  # the session's first request also writes the session
    counts = [queries(as_clinician, reverse("patients:chart", args=[p.pk])) for p in (small, large)]
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("flags", [1, 10])
def test_home_risk_panel_queries_do_not_grow(
    as_clinician, clinician, django_assert_max_num_queries, flags
) -> None:
    for _ in range(flags):
        make_measure(
            PatientFactory(primary_clinician=clinician), "phq9", [0] * 8 + [2], by=clinician
        )
    with django_assert_max_num_queries(12):
        page = as_clinician.get(reverse("home")).content.decode()
    assert page.count("btn btn-sm btn-danger") == flags


# Measured when the outcome charts came: the outcomes add one query for the results and one for
# the dosing-day markers (sessions). A rise means a section started querying per result.
# Issue 15 added one for the outcome counts (the charts show a bounded window of results) and,
# on the chart, one for the sessions the upcoming visits are booked for; on the measures page,
# one to count the results it pages through.
OUTCOME_PAGE_QUERIES = {"patients:chart": 26, "patients:measure_list": 10}


@pytest.mark.parametrize("url_name", sorted(OUTCOME_PAGE_QUERIES))
def test_outcome_pages_queries_do_not_grow_with_results(as_clinician, clinician, url_name) -> None:
    as_clinician.get(reverse("home"))
    counts = []
    for results in (2, 30):
        patient = PatientFactory()
        make_intake(patient, by=clinician, sign=True)  # the first result of each
        start = timezone.now() - dt.timedelta(days=results)
        for day in range(1, results):
            for code in OUTCOME_MEASURES:
                taken_at = start + dt.timedelta(days=day)
                make_total(patient, code, day % 15, by=clinician, taken_at=taken_at)
        counts.append(queries(as_clinician, reverse(url_name, args=[patient.pk])))
    assert counts[0] == counts[1] <= OUTCOME_PAGE_QUERIES[url_name], counts


# Issue 15: the registry's list and search pages, exactly, for 1 and for 20 patients.
LIST_QUERIES = {"": 5, "okonk": 5}


@pytest.mark.parametrize("query", sorted(LIST_QUERIES))
def test_patient_list_makes_the_same_queries_for_1_or_20_patients(
    as_front_desk, clinician, django_assert_num_queries, query
) -> None:
    url = reverse("patients:list")
    params = {"q": query} if query else {}
    as_front_desk.get(url, params)  # the session's first request also writes the session
    made = 0
    for total in (1, 20):
        while made < total:
            PatientFactory(legal_last_name=f"Okonkwo{made}", primary_clinician=clinician)
            made += 1
        with django_assert_num_queries(LIST_QUERIES[query]):
            response = as_front_desk.get(url, params)
        assert response.content.decode().count("Okonkwo") >= total
