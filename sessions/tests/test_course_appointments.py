"""A treatment course's "next appointments" are the visits actually booked (scheduling), with
each planned session linked to its booked visit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from patients.tests.factories import PatientFactory
from scheduling import services as scheduling_services
from scheduling.tests.factories import tomorrow_at
from sessions import services
from sessions.tests.factories import (
    book_visit,
    make_course,
    plan_booked_session,
    protocol,
)

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def upcoming_rows(html: str) -> list[str]:
    """The text of each "next appointments" row, tags stripped."""
    rows = re.findall(r'<tr data-testid="upcoming-visit">(.*?)</tr>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


@pytest.fixture
def course_with_visits(clinician, provider):
    """Session 1 on a booked dosing visit, session 2 planned with no visit, an integration
    visit; and visits that do not belong in the list (a consultation, a cancelled dosing
    visit, another patient's dosing visit)."""
    course = make_course(by=clinician)
    patient = course.patient
    first = plan_booked_session(course, by=clinician, starts_at=tomorrow_at(10))
    second = services.session_plan(
        course=course, scheduled_for=tomorrow_at(10, days=8), by=clinician
    )
    integration = book_visit(
        patient, by=provider, starts_at=tomorrow_at(14, days=2), kind="integration"
    )
    book_visit(patient, by=clinician, starts_at=tomorrow_at(9, days=3), kind="consultation")
    cancelled = book_visit(patient, by=clinician, starts_at=tomorrow_at(10, days=4))
    scheduling_services.appointment_cancel(appointment=cancelled, reason="Unwell", by=clinician)
    book_visit(PatientFactory(), by=clinician, starts_at=tomorrow_at(10, days=5))
    return {"course": course, "first": first, "second": second, "integration": integration}


@pytest.mark.parametrize("persona", ["clinician", "provider"])
def test_course_page_lists_the_booked_dosing_and_integration_visits(
    request, persona, course_with_visits, clinician, provider
) -> None:
    client = client_for(request.getfixturevalue(persona))
    course, first = course_with_visits["course"], course_with_visits["first"]
    html = page(client.get(reverse("sessions:course_detail", args=[course.pk])))

    day1 = timezone.localtime(tomorrow_at(10))
    day2 = timezone.localtime(tomorrow_at(14, days=2))
    assert upcoming_rows(html) == [
        f"{day1:%a %Y-%m-%d} 10:00–11:00 Test dosing {clinician.get_full_name()} Booked Session 1",
        f"{day2:%a %Y-%m-%d} 14:00–15:00 Test integration {provider.get_full_name()} Booked",
    ]
    visit_url = reverse("scheduling:appointment_detail", args=[first.appointment_id])
    assert f'<a href="{visit_url}">' in html  # the row's date opens the booked visit
    assert f'href="{reverse("sessions:session_detail", args=[first.pk])}">Session 1<' in html


def test_each_planned_session_links_to_its_booked_visit(as_clinician, course_with_visits) -> None:
    course, first = course_with_visits["course"], course_with_visits["first"]
    html = page(as_clinician.get(reverse("sessions:course_detail", args=[course.pk])))
    visit_url = reverse("scheduling:appointment_detail", args=[first.appointment_id])
    sessions_table = html.split('data-testid="course-sessions"')[1]
    assert f'<a href="{visit_url}" data-testid="session-visit">' in sessions_table
    assert sessions_table.count('data-testid="session-visit"') == 1
    assert sessions_table.count('data-testid="session-not-booked"') == 1  # session 2

    session_page = page(as_clinician.get(reverse("sessions:session_detail", args=[first.pk])))
    assert f'<a href="{visit_url}" data-testid="session-visit">Booked visit' in session_page
    second = course_with_visits["second"]
    other = page(as_clinician.get(reverse("sessions:session_detail", args=[second.pk])))
    assert 'data-testid="session-visit"' not in other


def test_a_rescheduled_visit_shows_its_new_time(as_clinician, course_with_visits, clinician):
    course, first = course_with_visits["course"], course_with_visits["first"]
    moved = tomorrow_at(16, days=1)
    scheduling_services.appointment_reschedule(
        appointment=first.appointment, starts_at=moved, by=clinician, allow_outside_hours=True
    )
    html = page(as_clinician.get(reverse("sessions:course_detail", args=[course.pk])))
    assert upcoming_rows(html)[0].startswith(f"{timezone.localtime(moved):%a %Y-%m-%d} 16:00")


def test_a_booked_dosing_visit_without_a_session_says_so(as_clinician, clinician) -> None:
    course = make_course(by=clinician)
    book_visit(course.patient, by=clinician, starts_at=tomorrow_at(10))
    html = page(as_clinician.get(reverse("sessions:course_detail", args=[course.pk])))
    assert 'data-testid="visit-not-planned"' in html
    # The plan form offers that visit to plan the session on.
    assert "Test dosing" in html.split("Plan the next session")[1]


def test_visits_that_are_over_drop_off_and_one_under_way_stays(
    course_with_visits, clinician
) -> None:
    course, first = course_with_visits["course"], course_with_visits["first"]
    url = reverse("sessions:course_detail", args=[course.pk])
    # Signed in afresh at each time: a day later the first sign-in has idled out.
    with time_machine.travel(first.appointment.starts_at + dt.timedelta(minutes=5)):
        scheduling_services.appointment_check_in(appointment=first.appointment, by=clinician)
        rows = upcoming_rows(page(client_for(clinician).get(url)))
        assert len(rows) == 2 and "Checked in Session 1" in rows[0]
    with time_machine.travel(first.appointment.ends_at + dt.timedelta(minutes=1)):
        rows = upcoming_rows(page(client_for(clinician).get(url)))
        assert len(rows) == 1 and "Test integration" in rows[0]


def test_no_booked_visits_says_none_booked(as_clinician, clinician) -> None:
    course = make_course(by=clinician)
    services.session_plan(course=course, scheduled_for=tomorrow_at(10), by=clinician)
    html = page(as_clinician.get(reverse("sessions:course_detail", args=[course.pk])))
    assert upcoming_rows(html) == []
    assert "Next appointments: none booked." in html


def test_a_finished_course_does_not_claim_the_next_visits(
    as_clinician, course_with_visits, clinician
) -> None:
    old = course_with_visits["course"]
    services.course_stop(course=old, reason="Patient moved away", by=clinician)
    new = services.course_start(
        patient=old.patient,
        protocol=protocol("im"),
        planned_sessions=6,
        starts_on=timezone.localdate(),
        by=clinician,
    )
    old_rows = upcoming_rows(
        page(as_clinician.get(reverse("sessions:course_detail", args=[old.pk])))
    )
    new_rows = upcoming_rows(
        page(as_clinician.get(reverse("sessions:course_detail", args=[new.pk])))
    )
    # Session 1's visit stays with the course it was planned in; the integration visit goes
    # to the course under way.
    assert len(old_rows) == 1 and old_rows[0].endswith("Session 1")
    assert len(new_rows) == 1 and "Test integration" in new_rows[0]


def test_chart_treatment_section_shows_the_booked_visits(as_provider, course_with_visits) -> None:
    course = course_with_visits["course"]
    html = page(as_provider.get(reverse("patients:chart", args=[course.patient_id])))
    section = html.split('data-testid="chart-treatment"')[1]
    rows = upcoming_rows(section)
    assert len(rows) == 2
    assert rows[0].endswith("Booked Session 1") and "Test integration" in rows[1]


@pytest.mark.parametrize("persona", ["as_front_desk", "as_clinic_admin", "as_outsider"])
def test_non_clinical_roles_get_403_on_a_course_with_booked_visits(
    request, persona, course_with_visits
) -> None:
    client = request.getfixturevalue(persona)
    course, first = course_with_visits["course"], course_with_visits["first"]
    assert client.get(reverse("sessions:course_detail", args=[course.pk])).status_code == 403
    assert client.get(reverse("sessions:session_detail", args=[first.pk])).status_code == 403


def test_rescheduling_a_booked_dosing_visit_moves_its_planned_session_and_todays_screens(
    clinician,
) -> None:
    from patients.tests.factories import PHQ9_MODERATE, make_measure
    from sessions import selectors

    course = make_course(by=clinician)
    session = plan_booked_session(course, by=clinician, starts_at=tomorrow_at(10))
    moved_to = tomorrow_at(11, days=2)
    scheduling_services.appointment_reschedule(
        appointment=session.appointment, starts_at=moved_to, by=clinician, allow_outside_hours=True
    )
    session.refresh_from_db()
    assert session.scheduled_for == moved_to
    assert session.history.first().history_change_reason.startswith("visit rescheduled by")

    # At the chair on the new day, the PHQ-9 taken that morning is "today's".
    with time_machine.travel(moved_to - dt.timedelta(hours=1)):
        make_measure(course.patient, "phq9", PHQ9_MODERATE, by=clinician)
        items = {item.key: item for item in selectors.checklist_items(session)}
    assert items["phq9"].done
