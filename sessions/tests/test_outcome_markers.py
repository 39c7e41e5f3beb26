"""Dosing days on the patients app's outcome charts, registered from this app's AppConfig."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from sessions import services
from sessions.tests.factories import dose, make_course, make_lot, make_session, prepare

pytestmark = pytest.mark.django_db


def chart_page(client, patient_id: int) -> str:
    response = client.get(reverse("patients:chart", args=[patient_id]))
    assert response.status_code == 200
    return response.content.decode()


def markers(page: str) -> list[dict]:
    found = re.search(r'<script id="outcomes-data" type="application/json">(.*?)</script>', page)
    assert found, "no outcome charts on the page"
    return json.loads(found.group(1))["markers"]


def dosed_course(clinician, provider, sessions: int = 1):
    """A course with ``sessions`` doses given; ``prepare`` takes a PHQ-9 before each, so with
    the intake's baseline the PHQ-9 chart has points."""
    course = make_course(by=clinician, planned=max(sessions, 1))
    lot = make_lot(by=provider, number=f"OM{course.pk}")
    for number in range(sessions):
        session = prepare(make_session(by=clinician, course=course), by=clinician)
        if number:  # all on one day: the 24 h interval is a provider's decision
            services.checklist_override(
                session=session, item="interval", reason="Test series", by=provider
            )
        dose(session, by=clinician, lot=lot, provider=provider)
    return course


def test_dosed_sessions_are_marked_on_the_outcome_charts(as_clinician, clinician, provider):
    course = dosed_course(clinician, provider)
    session = course.sessions.get()
    page = chart_page(as_clinician, course.patient_id)
    [marker] = markers(page)
    assert marker["label"] == "Session 1"
    assert marker["x"] == int(session.dose_started_at.timestamp() * 1000)
    day = formats.date_format(timezone.localtime(session.dose_started_at), "M j, Y")
    assert f"Dashed lines on the charts: Session 1 ({day})." in page


def test_a_planned_session_without_a_dose_is_not_marked(as_clinician, clinician) -> None:
    course = make_course(by=clinician)
    prepare(make_session(by=clinician, course=course), by=clinician)  # a PHQ-9, no dose
    page = chart_page(as_clinician, course.patient_id)
    assert markers(page) == []
    assert "Dashed lines on the charts" not in page


def test_chart_query_count_does_not_grow_with_dosed_sessions(
    as_clinician, clinician, provider
) -> None:
    as_clinician.get(reverse("home"))  # the sign-in session is saved on the first request
    counts = []
    for sessions in (1, 4):
        course = dosed_course(clinician, provider, sessions=sessions)
        with CaptureQueriesContext(connection) as queries:
            page = chart_page(as_clinician, course.patient_id)
        assert len(markers(page)) == sessions
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
