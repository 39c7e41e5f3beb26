"""The malformed requests found by fuzzing and review, each answered without a server error:
a fallback with a message or a form error (kap_clinic.params, kap_clinic.redirects)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def just_started() -> Appointment:
    start = timezone.now() - timedelta(minutes=5)
    return AppointmentFactory(starts_at=start, now=start - timedelta(hours=1))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("name", "value"), [("scheduling:day", "9999-12-31"), ("scheduling:week", "0001-01-01")]
)
def test_a_date_outside_1900_to_2100_shows_today_with_a_message(as_front_desk, name, value):
    response = as_front_desk.get(reverse(name), {"date": value})
    assert response.status_code == 200
    assert any(value in message and "instead" in message for message in messages_of(response))
    day = response.context.get("day") or response.context["monday"]
    assert abs((day - timezone.localdate()).days) < 7


def test_an_inventory_date_outside_the_range_is_a_form_error(as_provider):
    response = as_provider.get(reverse("sessions:inventory"), {"on": "9999-12-31"})
    assert response.status_code == 200
    assert "2100 or earlier" in response.content.decode()


def test_a_visit_type_that_is_not_a_number_finds_no_slots(as_front_desk):
    response = as_front_desk.get(reverse("scheduling:next_available"), {"type": "abc"})
    assert response.status_code == 200 and response.context["asked"] is False


def test_a_patient_id_that_overflows_is_ignored_with_a_message(as_front_desk):
    response = as_front_desk.get(
        reverse("scheduling:appointment_book"), {"patient": "9" * 30, "type": "abc"}
    )
    assert response.status_code == 200
    assert len(messages_of(response)) == 2


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("scheduling:appointment_check_in", Appointment.Status.CHECKED_IN),
        ("scheduling:appointment_no_show", Appointment.Status.NO_SHOW),
    ],
)
@pytest.mark.parametrize("target", ["foo", "https://evil.example/", "//evil.example/"])
def test_a_next_that_is_not_a_page_here_falls_back_to_the_appointment(
    as_front_desk, action, status, target
):
    appointment = just_started()
    response = as_front_desk.post(reverse(action, args=[appointment.pk]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:appointment_detail", args=[appointment.pk])
    appointment.refresh_from_db()
    assert appointment.status == status
    page = as_front_desk.get(response["Location"])
    assert any("not one of this site's" in m for m in messages_of(page))


def test_a_next_that_is_a_page_here_is_followed(as_front_desk):
    appointment = just_started()
    arrivals = reverse("scheduling:arrivals")
    url = reverse("scheduling:appointment_check_in", args=[appointment.pk])
    assert as_front_desk.post(url, {"next": arrivals})["Location"] == arrivals
