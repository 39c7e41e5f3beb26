"""A treatment course is stopped by hand when the patient discontinues: its planned sessions are
aborted with the reason, and the chart shows the stop and why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from scheduling.tests.factories import tomorrow_at
from sessions import services
from sessions.models import DosingSession, TreatmentCourse
from sessions.tests.factories import (
    discharge,
    dose,
    make_course,
    make_lot,
    make_session,
    prepare,
)

pytestmark = pytest.mark.django_db
Status = DosingSession.Status


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def course(clinician, provider):
    """Session 1 completed, sessions 2 and 3 planned."""
    course = make_course(by=clinician, planned=3, route="im")  # IM: the dose ends as given
    first = prepare(make_session(by=clinician, course=course), by=clinician)
    dose(first, by=clinician, lot=make_lot(by=provider), provider=provider)
    discharge(first, by=clinician, at=timezone.now() + dt.timedelta(hours=2))
    for days in (3, 6):
        services.session_plan(course=course, scheduled_for=tomorrow_at(10, days=days), by=clinician)
    return course


def stop_url(course) -> str:
    return reverse("sessions:course_stop", args=[course.pk])


def statuses(course) -> list[str]:
    return list(course.sessions.order_by("number").values_list("status", flat=True))


@pytest.mark.parametrize("persona", ["clinician", "provider"])
def test_clinical_roles_stop_a_course_and_its_planned_sessions_are_aborted(
    request, persona, course
):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    response = client.post(stop_url(course), {"reason": "Patient chose to discontinue"})
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.STOPPED
    assert course.stop_reason == "Patient chose to discontinue"
    assert course.stopped_by == user and course.stopped_at is not None
    assert course.history.first().history_change_reason == f"stopped by {user}"
    assert statuses(course) == [Status.COMPLETED, Status.ABORTED, Status.ABORTED]
    reasons = set(
        course.sessions.filter(status=Status.ABORTED).values_list("abort_reason", flat=True)
    )
    assert reasons == {"Course stopped: Patient chose to discontinue"}

    html = page(client.get(reverse("sessions:course_detail", args=[course.pk])))
    assert 'data-testid="course-stopped"' in html and "Patient chose to discontinue" in html
    assert 'data-testid="course-stop-form"' not in html
    assert "Plan the next session" not in html


def test_the_chart_shows_the_stopped_status_and_reason(as_clinician, course):
    services.course_stop(course=course, reason="Moved out of state", by=course.created_by)
    html = page(as_clinician.get(reverse("patients:chart", args=[course.patient_id])))
    section = html.split('data-testid="chart-treatment"')[1]
    assert 'data-testid="course-status">Stopped: Moved out of state</span>' in section


@pytest.mark.parametrize("persona", ["as_front_desk", "as_clinic_admin", "as_outsider"])
def test_non_clinical_roles_cannot_stop_a_course(request, persona, course):
    response = request.getfixturevalue(persona).post(stop_url(course), {"reason": "No"})
    assert response.status_code == 403
    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.ACTIVE
    assert statuses(course) == [Status.COMPLETED, Status.PLANNED, Status.PLANNED]


def test_anonymous_is_sent_to_sign_in(client, course):
    response = client.post(stop_url(course), {"reason": "No"})
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_stop_without_a_reason_is_refused(as_clinician, course):
    response = as_clinician.post(stop_url(course), {"reason": "   "})
    assert response.status_code == 400
    assert "This field is required." in page(response)
    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.ACTIVE
    with pytest.raises(ValidationError, match="Write why the course is stopped."):
        services.course_stop(course=course, reason=" ", by=course.created_by)


def test_a_session_under_way_refuses_the_stop(as_clinician, course, clinician):
    third = course.sessions.get(number=3)
    # Vitals taken: the session is in progress, the patient may be in the chair.
    services.vitals_record(
        session=course.sessions.get(number=2),
        systolic=120,
        diastolic=80,
        heart_rate=70,
        spo2=98,
        by=clinician,
    )
    response = as_clinician.post(stop_url(course), {"reason": "Patient discontinues"})
    assert response.status_code == 400
    assert "Session 2 is under way." in page(response)
    assert "Patient discontinues" in page(response)  # what was typed is kept
    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.ACTIVE
    assert statuses(course) == [Status.COMPLETED, Status.IN_PROGRESS, Status.PLANNED]
    assert DosingSession.objects.get(pk=third.pk).abort_reason == ""


def test_a_dosed_session_not_yet_discharged_refuses_the_stop(clinician, provider):
    course = make_course(by=clinician, planned=2)
    session = prepare(make_session(by=clinician, course=course), by=clinician)
    dose(session, by=clinician, lot=make_lot(by=provider), provider=provider)
    with pytest.raises(ValidationError, match="Session 1 is under way"):
        services.course_stop(course=course, reason="Discontinues", by=clinician)
    assert TreatmentCourse.objects.get(pk=course.pk).status == TreatmentCourse.Status.ACTIVE


def test_only_an_active_course_can_be_stopped(as_clinician, course, clinician):
    services.course_stop(course=course, reason="First stop", by=clinician)
    response = as_clinician.post(stop_url(course), {"reason": "Second stop"})
    assert response.status_code == 400
    assert "This course is stopped; only an active course can be stopped." in page(response)
    assert TreatmentCourse.objects.get(pk=course.pk).stop_reason == "First stop"


def test_a_stopped_course_plans_no_more_sessions(course, clinician):
    services.course_stop(course=course, reason="Discontinues", by=clinician)
    with pytest.raises(ValidationError, match="no longer active"):
        services.session_plan(course=course, scheduled_for=tomorrow_at(10, days=9), by=clinician)


def test_planning_on_a_stopped_course_says_why(as_clinician, course, clinician):
    services.course_stop(course=course, reason="Discontinues", by=clinician)
    url = reverse("sessions:course_detail", args=[course.pk])
    response = as_clinician.post(url, {"scheduled_for": "2030-01-07T10:00"})
    assert response.status_code == 200  # the page re-shown, as for any refused plan
    assert "This course is no longer active." in page(response)
    assert course.sessions.count() == 3
