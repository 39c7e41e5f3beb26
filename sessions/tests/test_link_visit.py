"""A planned session whose booked dosing visit was cancelled (or missed) is linked to the new
booking from its own page, so the patient's fasting and escort answers reach the checklist."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from patients.tests.factories import PatientFactory
from scheduling import services as scheduling_services
from scheduling.tests.factories import tomorrow_at
from sessions import services
from sessions.models import DosingSession
from sessions.tests.factories import (
    book_visit,
    dose,
    make_course,
    make_lot,
    plan_booked_session,
    prepare,
)

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def cancelled(clinician):
    """Session 1 planned on a dosing visit that was then cancelled; a new visit booked."""
    course = make_course(by=clinician)
    session = plan_booked_session(course, by=clinician, starts_at=tomorrow_at(10))
    scheduling_services.appointment_cancel(
        appointment=session.appointment, reason="Patient unwell", by=clinician
    )
    new = book_visit(course.patient, by=clinician, starts_at=tomorrow_at(11, days=3))
    return {"session": DosingSession.objects.get(pk=session.pk), "new": new}


def link_url(session) -> str:
    return reverse("sessions:session_link_appointment", args=[session.pk])


def test_cancelling_the_visit_keeps_the_link_and_the_page_says_so(as_clinician, cancelled):
    session, new = cancelled["session"], cancelled["new"]
    assert session.appointment.status == "cancelled"  # nothing automatic on cancel
    html = page(as_clinician.get(reverse("sessions:session_detail", args=[session.pk])))
    assert 'data-testid="visit-gone"' in html
    assert "visit cancelled — link the new booking" in html
    form = html.split('data-testid="link-visit-form"')[1].split("</form>")[0]
    assert f'value="{new.pk}"' in form
    assert "Link to booked visit" in form


@pytest.mark.parametrize("persona", ["clinician", "provider"])
def test_clinical_roles_link_the_new_booking(request, persona, cancelled):
    session, new = cancelled["session"], cancelled["new"]
    user = request.getfixturevalue(persona)
    client = client_for(user)
    response = client.post(link_url(session), {"appointment": new.pk})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.appointment_id == new.pk
    assert session.scheduled_for == new.starts_at
    latest = session.history.first()
    assert latest.history_change_reason == f"cancelled visit replaced by a new booking; by {user}"
    html = page(client.get(reverse("sessions:session_detail", args=[session.pk])))
    assert 'data-testid="visit-gone"' not in html and 'data-testid="link-visit-form"' not in html


def test_the_checklist_reads_the_new_visits_answers(as_clinician, cancelled):
    session, new = cancelled["session"], cancelled["new"]
    new.fasting_confirmed_at = timezone.now()
    new.escort_name, new.escort_phone = "Jamie Doe", "+1 734 555 0199"
    new.save()
    as_clinician.post(link_url(session), {"appointment": new.pk})
    html = page(as_clinician.get(reverse("sessions:session_detail", args=[session.pk])))
    assert "Jamie Doe" in html.split('data-testid="checklist"')[1].split("</ul>")[0]


@pytest.mark.parametrize("persona", ["as_front_desk", "as_clinic_admin", "as_outsider"])
def test_non_clinical_roles_cannot_link_a_visit(request, persona, cancelled):
    session, new = cancelled["session"], cancelled["new"]
    response = request.getfixturevalue(persona).post(link_url(session), {"appointment": new.pk})
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.appointment.status == "cancelled"


def test_anonymous_is_sent_to_sign_in(client, cancelled):
    response = client.post(link_url(cancelled["session"]), {"appointment": cancelled["new"].pk})
    assert response.status_code == 302 and "/login" in response["Location"]


def _refused(client, session, appointment, message: str) -> None:
    before = DosingSession.objects.get(pk=session.pk)
    response = client.post(link_url(session), {"appointment": appointment.pk})
    assert response.status_code == 400
    assert message in page(response)
    after = DosingSession.objects.get(pk=session.pk)
    assert (after.appointment_id, after.scheduled_for) == (
        before.appointment_id,
        before.scheduled_for,
    )


INVALID_CHOICE = "Choose one of this patient&#x27;s upcoming booked dosing visits"


def test_another_patients_visit_is_refused(as_clinician, cancelled, clinician):
    other = book_visit(PatientFactory(), by=clinician, starts_at=tomorrow_at(9, days=4))
    _refused(as_clinician, cancelled["session"], other, INVALID_CHOICE)


def test_a_consultation_is_refused(as_clinician, cancelled, clinician):
    patient = cancelled["session"].course.patient
    consult = book_visit(
        patient, by=clinician, starts_at=tomorrow_at(9, days=4), kind="consultation"
    )
    _refused(as_clinician, cancelled["session"], consult, INVALID_CHOICE)


def test_a_visit_with_a_session_already_is_refused(as_clinician, cancelled, clinician):
    course = cancelled["session"].course
    taken = plan_booked_session(course, by=clinician, starts_at=tomorrow_at(9, days=5))
    _refused(as_clinician, cancelled["session"], taken.appointment, INVALID_CHOICE)


def test_a_dosed_session_is_refused(as_clinician, clinician, provider):
    course = make_course(by=clinician)
    session = services.session_plan(course=course, scheduled_for=timezone.now(), by=clinician)
    prepare(session, by=clinician)
    dose(session, by=clinician, lot=make_lot(by=provider), provider=provider)
    new = book_visit(course.patient, by=clinician, starts_at=tomorrow_at(11, days=3))
    _refused(
        as_clinician,
        session,
        new,
        "Only a planned session that has not been dosed can be linked to a visit.",
    )
    html = page(as_clinician.get(reverse("sessions:session_detail", args=[session.pk])))
    assert 'data-testid="link-visit-form"' not in html


def test_a_session_with_no_visit_is_offered_the_form(as_clinician, clinician):
    course = make_course(by=clinician)
    session = services.session_plan(course=course, scheduled_for=tomorrow_at(10), by=clinician)
    url = reverse("sessions:session_detail", args=[session.pk])
    assert 'data-testid="link-visit-none"' in page(as_clinician.get(url))
    new = book_visit(course.patient, by=clinician, starts_at=tomorrow_at(11, days=3))
    assert as_clinician.post(link_url(session), {"appointment": new.pk}).status_code == 302
    assert DosingSession.objects.get(pk=session.pk).appointment_id == new.pk


# --- the service's own rules (callers other than the form) -----------------------------------


def test_service_refuses_another_patients_consultation(cancelled, clinician):
    session = cancelled["session"]
    other = book_visit(
        PatientFactory(), by=clinician, starts_at=tomorrow_at(9, days=4), kind="consultation"
    )
    with pytest.raises(ValidationError) as error:
        services.session_link_appointment(session=session, appointment=other, by=clinician)
    assert "That visit is for another patient." in error.value.messages
    assert "That visit is not a dosing visit." in error.value.messages


def test_service_refuses_a_cancelled_visit_and_a_taken_one(cancelled, clinician):
    session = cancelled["session"]
    with pytest.raises(ValidationError, match="cancelled, not booked"):
        services.session_link_appointment(
            session=session, appointment=session.appointment, by=clinician
        )
    taken = plan_booked_session(session.course, by=clinician, starts_at=tomorrow_at(9, days=5))
    with pytest.raises(ValidationError, match="already has a dosing session"):
        services.session_link_appointment(
            session=session, appointment=taken.appointment, by=clinician
        )


def test_service_refuses_while_the_visit_is_still_on(clinician):
    course = make_course(by=clinician)
    session = plan_booked_session(course, by=clinician, starts_at=tomorrow_at(10))
    new = book_visit(course.patient, by=clinician, starts_at=tomorrow_at(11, days=3))
    with pytest.raises(ValidationError, match="still on; reschedule"):
        services.session_link_appointment(session=session, appointment=new, by=clinician)
    assert DosingSession.objects.get(pk=session.pk).appointment_id == session.appointment_id
