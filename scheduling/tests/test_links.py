from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling import links, selectors, services
from scheduling.models import Appointment, AppointmentType, Room
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    RoomFactory,
    tomorrow_at,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def dosing_visit():
    RoomFactory(name="Infusion 1", kind=Room.Kind.INFUSION)
    dosing = AppointmentTypeFactory(
        name="Dosing session",
        kind=AppointmentType.Kind.DOSING,
        room_kind=Room.Kind.INFUSION,
        duration_minutes=150,
    )
    return AppointmentFactory(type=dosing, starts_at=tomorrow_at(9))


def url(name: str, appointment: Appointment) -> str:
    return reverse(f"scheduling:{name}", args=[links.make_token(appointment)])


def test_patient_confirms_without_logging_in(dosing_visit):
    client = Client()
    page = client.get(url("link_confirm", dosing_visit))
    assert page.status_code == 200
    dosing_visit.refresh_from_db()
    assert dosing_visit.confirmed_at is None, "a GET (e.g. a mail scanner) must change nothing"
    response = client.post(url("link_confirm", dosing_visit))
    assert 'data-testid="link-done"' in response.content.decode()
    dosing_visit.refresh_from_db()
    assert dosing_visit.confirmed_at and dosing_visit.confirmed_via == Appointment.Via.LINK


def test_patient_cancels_with_a_reason(dosing_visit):
    client = Client()
    empty = client.post(url("link_cancel", dosing_visit), {"reason": " "})
    assert "Please tell us why" in empty.content.decode()
    client.post(url("link_cancel", dosing_visit), {"reason": "Car broke down"})
    dosing_visit.refresh_from_db()
    assert dosing_visit.status == Appointment.Status.CANCELLED
    assert dosing_visit.cancellation_reason == "Car broke down"
    assert dosing_visit.cancelled_by is None and dosing_visit.cancelled_via == "link"
    assert not dosing_visit.reminders.filter(status="pending").exists()


def test_patient_confirms_fasting_and_escort_for_the_checklist(dosing_visit):
    Client().post(
        url("link_prepare", dosing_visit),
        {"fasting": "on", "escort_name": "Kim Lee", "escort_phone": "(734) 555-0111"},
    )
    dosing_visit.refresh_from_db()
    answers = selectors.patient_confirmations(dosing_visit)
    assert answers["fasting_confirmed"] and answers["escort_recorded"]
    assert answers["escort_name"] == "Kim Lee" and answers["escort_phone"] == "+17345550111"


def test_escort_needs_both_name_and_phone(dosing_visit):
    response = Client().post(url("link_prepare", dosing_visit), {"escort_name": "Kim Lee"})
    assert "Give both the name and the phone number" in response.content.decode()
    dosing_visit.refresh_from_db()
    assert not dosing_visit.escort_name


def test_answers_are_visible_on_the_appointment(dosing_visit, as_front_desk):
    client = Client()
    client.post(url("link_confirm", dosing_visit))
    client.post(
        url("link_prepare", dosing_visit),
        {"fasting": "on", "escort_name": "Kim Lee", "escort_phone": "+17345550111"},
    )
    page = as_front_desk.get(
        reverse("scheduling:appointment_detail", args=[dosing_visit.pk])
    ).content.decode()
    assert "Kim Lee" in page and "+17345550111" in page
    assert page.count("Yes, ") >= 2


def test_link_page_shows_only_date_time_and_clinic(dosing_visit):
    page = Client().get(url("link_manage", dosing_visit)).content.decode()
    patient = dosing_visit.patient
    for private in (
        patient.legal_first_name,
        patient.legal_last_name,
        patient.mrn,
        dosing_visit.type.name,
        dosing_visit.clinician.last_name,
        "Infusion",
    ):
        assert private not in page
    assert "KAP Clinic" in page
    assert timezone.localtime(dosing_visit.starts_at).strftime("%B") in page


def test_a_tampered_link_changes_nothing(dosing_visit):
    token = links.make_token(dosing_visit)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = Client().post(reverse("scheduling:link_cancel", args=[forged]), {"reason": "x"})
    assert response.status_code == 410
    assert "Nothing was changed" in response.content.decode()
    dosing_visit.refresh_from_db()
    assert dosing_visit.status == Appointment.Status.BOOKED


def test_a_link_for_another_appointment_cannot_be_forged_by_editing_the_id(dosing_visit):
    other = AppointmentFactory()
    token = links.make_token(dosing_visit)
    payload, _, rest = token.partition(":")
    response = Client().post(
        reverse("scheduling:link_confirm", args=[f"{payload}x:{rest}"]),
    )
    assert response.status_code == 410
    other.refresh_from_db()
    assert other.confirmed_at is None


def test_a_link_expires_when_the_appointment_starts(dosing_visit):
    token = links.make_token(dosing_visit)
    with pytest.raises(links.LinkError, match="expired"):
        links.appointment_for_token(token, now=dosing_visit.starts_at)
    Appointment.objects.filter(pk=dosing_visit.pk).update(
        starts_at=timezone.now() - timedelta(minutes=1),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    # The token names the old start, so it is out of date as well as past.
    response = Client().post(reverse("scheduling:link_confirm", args=[token]))
    assert response.status_code == 410
    dosing_visit.refresh_from_db()
    assert dosing_visit.confirmed_at is None


def test_an_expired_link_changes_nothing(dosing_visit):
    import time_machine

    token = links.make_token(dosing_visit)
    with time_machine.travel(dosing_visit.starts_at + timedelta(minutes=1), tick=False):
        response = Client().post(reverse("scheduling:link_cancel", args=[token]), {"reason": "x"})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    dosing_visit.refresh_from_db()
    assert dosing_visit.status == Appointment.Status.BOOKED


def test_rescheduling_retires_the_old_links(dosing_visit):
    token = links.make_token(dosing_visit)
    services.appointment_reschedule(
        appointment=dosing_visit,
        starts_at=tomorrow_at(12),
        by=dosing_visit.booked_by,
        allow_outside_hours=True,
    )
    response = Client().post(reverse("scheduling:link_confirm", args=[token]))
    assert response.status_code == 410 and "out of date" in response.content.decode()


def test_a_cancelled_appointment_cannot_be_confirmed(dosing_visit):
    token = links.make_token(dosing_visit)
    services.appointment_cancel(appointment=dosing_visit, reason="Ill", by=dosing_visit.booked_by)
    response = Client().post(reverse("scheduling:link_confirm", args=[token]))
    assert response.status_code == 410 and "cancelled" in response.content.decode()


def test_preparation_questions_are_only_for_dosing_visits():
    appointment = AppointmentFactory()
    page = Client().get(url("link_prepare", appointment)).content.decode()
    assert "Nothing to confirm" in page
    with pytest.raises(services.SchedulingError):
        services.appointment_record_preparation(
            appointment=appointment, fasting=True, escort_name="", escort_phone=""
        )
