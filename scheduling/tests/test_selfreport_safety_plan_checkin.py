"""The safety plan (versioned, signed, printable, sent by link) and the next-day check-in
(a concerning answer reaches the clinician's worklist at once; no answer by noon puts the
patient on the front desk's call list)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.models import CheckIn, SafetyPlan, SelfReportLink
from patients.selfreport import tokens
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def run_on_commit():
    return mock.patch.object(transaction, "on_commit", lambda fn, *a, **k: fn())


def test_safety_plan_versions_are_signed_and_never_changed(clinician):
    patient = PatientFactory()
    v1 = services.safety_plan_save(patient=patient, by=clinician, warning_signs="Not sleeping")
    v1 = services.safety_plan_save(
        patient=patient, by=clinician, warning_signs="Not sleeping, alone"
    )
    assert v1.version == 1 and SafetyPlan.objects.count() == 1  # a draft is edited in place
    services.safety_plan_sign(plan=v1, by=clinician)
    with pytest.raises(ValidationError):
        services.safety_plan_sign(plan=v1, by=clinician)
    v2 = services.safety_plan_save(patient=patient, by=clinician, warning_signs="Withdrawing")
    assert v2.version == 2 and v2.pk != v1.pk and not v2.is_signed
    v1.refresh_from_db()
    assert v1.warning_signs == "Not sleeping, alone" and v1.is_signed
    with pytest.raises(ValidationError):
        services.safety_plan_save(patient=patient, by=clinician)


def test_safety_plan_pages_save_sign_print_and_send(as_clinician, clinician):
    patient = PatientFactory(remind_by_email=True)
    url = reverse("patients:safety_plan", args=[patient.pk])
    response = as_clinician.post(
        url, {"warning_signs": "Not sleeping", "reasons_for_living": "My kids"}
    )
    assert response.status_code == 302
    plan = SafetyPlan.objects.get(patient=patient)
    page = as_clinician.get(url).content.decode()
    assert "Draft version 1" in page and "Sign version 1" in page
    as_clinician.post(reverse("patients:safety_plan_sign", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.signed_by == clinician
    printable = as_clinician.get(
        reverse("patients:safety_plan_print", args=[plan.pk])
    ).content.decode()
    for text in ("Step 1: Warning signs", "Not sleeping", "My kids", "Step 6", "988", "signed"):
        assert text in printable
    as_clinician.post(reverse("scheduling:safety_plan_send", args=[plan.pk]))
    from scheduling import tasks

    assert tasks.send_due_patient_messages() == {"sent": 1}
    link = SelfReportLink.objects.get(purpose="safety_plan")
    patient_page = Client().get(
        reverse("patients:selfreport_start", args=[tokens.make_token(link)])
    )
    assert "My kids" in patient_page.content.decode()
    assert patient.legal_last_name not in patient_page.content.decode()


def test_unsigned_plan_cannot_be_sent(clinician):
    from scheduling import services as scheduling_services

    plan = services.safety_plan_save(patient=PatientFactory(), by=clinician, warning_signs="x")
    with pytest.raises(ValidationError):
        scheduling_services.safety_plan_send(plan=plan, by=clinician)


def checkin_link(patient):
    link = services.selfreport_link_create(patient=patient, purpose="checkin")
    return link, tokens.make_token(link)


@pytest.mark.parametrize(
    ("answers", "concerning"),
    [
        ({"wellbeing": 7}, False),
        ({"wellbeing": 7, "nausea": "on", "headache": "on", "dizziness": "on"}, False),
        ({"wellbeing": 3}, True),
        ({"wellbeing": 8, "unusual_distress": "on"}, True),
        ({"wellbeing": 8, "thoughts_of_self_harm": "on"}, True),
        ({"wellbeing": 9, "please_call": "on"}, True),
    ],
)
def test_checkin_by_link_and_what_is_concerning(clinician, answers, concerning):
    clinician.email = "c@example.org"
    clinician.save()
    patient = PatientFactory(primary_clinician=clinician)
    link, token = checkin_link(patient)
    with run_on_commit():
        response = Client().post(reverse("patients:selfreport_start", args=[token]), answers)
    assert response.status_code == 200
    checkin = CheckIn.objects.get(patient=patient)
    assert checkin.concerning is concerning
    assert len(mail.outbox) == (1 if concerning else 0)
    body = response.content.decode()
    assert ('data-testid="crisis-resources"' in body) is ("thoughts_of_self_harm" in answers)
    home = Client()
    home.force_login(clinician)
    listed = "home-checkins" in home.get("/").content.decode()
    assert listed is concerning
    # Used: a second answer is refused and stores nothing.
    again = Client().post(reverse("patients:selfreport_start", args=[token]), {"wellbeing": 1})
    assert again.status_code == 410 and CheckIn.objects.count() == 1


def test_checkin_without_a_wellbeing_is_shown_again_with_a_message(clinician):
    link, token = checkin_link(PatientFactory())
    response = Client().post(reverse("patients:selfreport_start", args=[token]), {"nausea": "on"})
    assert response.status_code == 400
    assert "Choose a number from 0 to 10" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_unanswered_checkin_puts_the_patient_on_the_call_list_after_noon(clinician, front_desk):
    from scheduling import tasks
    from scheduling.models import AppointmentType, Room
    from scheduling.selfreport_selectors import checkin_call_list
    from scheduling.tests.factories import AppointmentFactory, AppointmentTypeFactory, RoomFactory

    RoomFactory(name="Inf", kind=Room.Kind.INFUSION)
    dosing = AppointmentTypeFactory(
        name="Dosing", kind=AppointmentType.Kind.DOSING, room_kind=Room.Kind.INFUSION
    )
    patient = PatientFactory(legal_first_name="Callme", remind_by_email=True)
    dose_day = timezone.localdate() + timedelta(days=3)
    starts = timezone.make_aware(datetime.combine(dose_day, time(10)))
    visit = AppointmentFactory(patient=patient, type=dosing, starts_at=starts)
    assert visit.patient_messages.get(kind="checkin").status == "pending"
    next_day = dose_day + timedelta(days=1)
    with time_machine.travel(
        timezone.make_aware(datetime.combine(next_day, time(9, 1))), tick=False
    ):
        assert tasks.send_due_patient_messages() == {"sent": 1}
        assert checkin_call_list() == []
    with time_machine.travel(
        timezone.make_aware(datetime.combine(next_day, time(12, 5))), tick=False
    ):
        rows = checkin_call_list()
        assert [r.patient_id for r in rows] == [patient.pk]
        as_front_desk = Client()
        as_front_desk.force_login(front_desk)  # signed in now (sessions last 12 hours)
        page = as_front_desk.get(reverse("scheduling:call_list")).content.decode()
        assert "Callme" in page
        home = as_front_desk.get("/").content.decode()
        assert "home-call-list" in home
        # Answered: off the list.
        link = visit.patient_messages.get(kind="checkin").link
        services.checkin_submit(link=link, answers={"wellbeing": 8})
        assert checkin_call_list() == []
