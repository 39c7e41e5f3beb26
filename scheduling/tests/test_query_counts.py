"""Exact query counts on the reminders board and the appointment page: the same number with 1
row as with 20, so the front desk's pages do not slow down as the schedule fills."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling import services
from scheduling.models import Reminder
from scheduling.tests.factories import AppointmentFactory, tomorrow_at

pytestmark = pytest.mark.django_db

# Measured with 1 and with 20 rows; a change is a decision, not drift.
REMINDERS_BOARD = 11
APPOINTMENT_PAGE = 10


@pytest.mark.parametrize("rows", [1, 20])
def test_reminders_board_query_count_is_the_same_for_1_and_20_rows(
    as_front_desk, django_assert_num_queries, rows
) -> None:
    for _ in range(rows):
        appointment = AppointmentFactory()
        first, *others = appointment.reminders.order_by("pk")
        # One reminder per board section that lists rows: failed, retrying, sent, next.
        Reminder.objects.filter(pk=first.pk).update(status=Reminder.Status.FAILED, attempts=5)
        if others:
            Reminder.objects.filter(pk=others[0].pk).update(
                status=Reminder.Status.SENT, sent_at=timezone.now()
            )
    with django_assert_num_queries(REMINDERS_BOARD):
        assert as_front_desk.get(reverse("scheduling:reminders")).status_code == 200


@pytest.mark.parametrize("rows", [1, 20])
def test_appointment_page_query_count_is_the_same_for_1_and_20_changes(
    as_front_desk, django_assert_num_queries, rows
) -> None:
    appointment = AppointmentFactory()
    for n in range(rows - 1):  # booking is the first history row
        services.appointment_reschedule(
            appointment=appointment,
            starts_at=tomorrow_at(8, days=4) + timedelta(minutes=30 * n),
            by=appointment.booked_by,
            allow_outside_hours=True,
        )
    assert appointment.history.count() >= rows
    url = reverse("scheduling:appointment_detail", args=[appointment.pk])
    with django_assert_num_queries(APPOINTMENT_PAGE):
        assert as_front_desk.get(url).status_code == 200
