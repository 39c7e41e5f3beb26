from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
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
    token = links.make_token(appointment, name.removeprefix("link_"))
    return reverse(f"scheduling:{name}", args=[token])


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
    token = links.make_token(dosing_visit, "cancel")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = Client().post(reverse("scheduling:link_cancel", args=[forged]), {"reason": "x"})
    assert response.status_code == 410
    assert "Nothing was changed" in response.content.decode()
    dosing_visit.refresh_from_db()
    assert dosing_visit.status == Appointment.Status.BOOKED


def test_a_link_for_another_appointment_cannot_be_forged_by_editing_the_id(dosing_visit):
    other = AppointmentFactory()
    token = links.make_token(dosing_visit, "confirm")
    payload, _, rest = token.partition(":")
    response = Client().post(
        reverse("scheduling:link_confirm", args=[f"{payload}x:{rest}"]),
    )
    assert response.status_code == 410
    other.refresh_from_db()
    assert other.confirmed_at is None


def test_a_link_expires_when_the_appointment_starts(dosing_visit):
    token = links.make_token(dosing_visit, "confirm")
    with pytest.raises(links.LinkError, match="expired"):
        links.appointment_for_token(token, purpose="confirm", now=dosing_visit.starts_at)
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
    token = links.make_token(dosing_visit, "cancel")
    with time_machine.travel(dosing_visit.starts_at + timedelta(minutes=1), tick=False):
        response = Client().post(reverse("scheduling:link_cancel", args=[token]), {"reason": "x"})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    dosing_visit.refresh_from_db()
    assert dosing_visit.status == Appointment.Status.BOOKED


def test_rescheduling_retires_the_old_links(dosing_visit):
    token = links.make_token(dosing_visit, "confirm")
    services.appointment_reschedule(
        appointment=dosing_visit,
        starts_at=tomorrow_at(12),
        by=dosing_visit.booked_by,
        allow_outside_hours=True,
    )
    response = Client().post(reverse("scheduling:link_confirm", args=[token]))
    assert response.status_code == 410 and "out of date" in response.content.decode()


def test_a_cancelled_appointment_cannot_be_confirmed(dosing_visit):
    token = links.make_token(dosing_visit, "confirm")
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


@pytest.mark.parametrize(
    ("issued_for", "used_on"),
    [
        ("confirm", "link_cancel"),
        ("prepare", "link_cancel"),
        ("confirm", "link_prepare"),
        ("cancel", "link_confirm"),
        ("manage", "link_cancel"),
    ],
)
def test_a_token_opens_only_the_page_it_was_issued_for(dosing_visit, issued_for, used_on):
    token = links.make_token(dosing_visit, issued_for)
    client = Client()
    assert client.get(reverse(f"scheduling:{used_on}", args=[token])).status_code == 410
    response = client.post(
        reverse(f"scheduling:{used_on}", args=[token]),
        {"reason": "Not me", "fasting": "on", "escort_name": "K", "escort_phone": "+17345550111"},
    )
    assert response.status_code == 410 and "not valid" in response.content.decode()
    dosing_visit.refresh_from_db()
    assert dosing_visit.status == Appointment.Status.BOOKED
    assert dosing_visit.confirmed_at is None and not dosing_visit.escort_name


def test_the_reminder_carries_a_different_token_for_each_purpose(dosing_visit):
    sent = links.links_for(dosing_visit)
    tokens = [url.split("/r/")[1].split("/")[0] for url in (sent.manage, sent.confirm, sent.cancel)]
    assert len(set(tokens)) == 3 and sent.prepare.split("/r/")[1].split("/")[0] not in tokens
    confirm_token = tokens[1]
    with pytest.raises(links.LinkError):
        links.appointment_for_token(confirm_token, purpose="cancel")
    assert links.appointment_for_token(confirm_token, purpose="confirm") == dosing_visit


def test_a_link_older_than_its_maximum_age_is_refused(dosing_visit, settings):
    settings.REMINDER_LINK_MAX_AGE_DAYS = 2
    issued = timezone.now() - timedelta(days=3)
    with time_machine.travel(issued, tick=False):
        token = links.make_token(dosing_visit, "confirm")
    response = Client().post(reverse("scheduling:link_confirm", args=[token]))
    assert response.status_code == 410 and "expired" in response.content.decode()
    dosing_visit.refresh_from_db()
    assert dosing_visit.confirmed_at is None
    # The same token, younger than the limit, works.
    settings.REMINDER_LINK_MAX_AGE_DAYS = 4
    assert Client().post(reverse("scheduling:link_confirm", args=[token])).status_code == 200


def test_the_manage_page_links_each_action_with_its_own_token(dosing_visit):
    manage_token = links.make_token(dosing_visit, "manage")
    page = Client().get(reverse("scheduling:link_manage", args=[manage_token])).content.decode()
    hrefs = re.findall(r'href="([^"]*/r/[^"]+)"', page)
    assert len(hrefs) == 3 and not any(manage_token in href for href in hrefs)
    cancel = next(href for href in hrefs if href.endswith("/cancel/"))
    assert Client().get(cancel).status_code == 200
