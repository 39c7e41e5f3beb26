"""Exact query counts of the schedule's pages: the same with 1 row as with 20 (issue 15), so the
front desk's pages do not slow down as the schedule fills. One test per page; a page that starts
querying per appointment, reminder or history row fails here."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.tests.factories import PatientFactory, UserFactory
from scheduling import services
from scheduling.models import Appointment, Reminder
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    RoomFactory,
    clinician_user,
    tomorrow_at,
)

pytestmark = pytest.mark.django_db


class Rows:
    """Adds today's appointments (each with a clinician, a room and a reminder in every board
    section that lists rows: sent, planned, retrying, failed) up to a total, written directly so
    20 take no time."""

    def __init__(self) -> None:
        self.desk = UserFactory()
        self.type = AppointmentTypeFactory(name="Counted visit", duration_minutes=30)
        self.made = 0

    def up_to(self, total: int) -> None:
        day = timezone.localdate()
        now = timezone.now()
        while self.made < total:
            n = self.made
            start = timezone.make_aware(datetime.combine(day, time(7))) + timedelta(minutes=30 * n)
            appointment = Appointment.objects.create(
                patient=PatientFactory(),
                type=self.type,
                clinician=clinician_user(),
                room=RoomFactory(name=f"Counted room {n}"),
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
                booked_by=self.desk,
            )
            for offset, status, attempts in (
                (48, "sent", 1),
                (2, "pending", 0),
                (3, "pending", 1),  # retrying
                (1, "failed", 5),
            ):
                Reminder.objects.create(
                    appointment=appointment,
                    channel="email",
                    offset_hours=offset,
                    due_at=start - timedelta(hours=offset),
                    send_after=start - timedelta(hours=offset),
                    status=status,
                    sent_at=now if status == "sent" else None,
                    attempts=attempts,
                    recipient="someone@example.org",
                )
            self.made += 1


# Measured with 1 and with 20 rows; a change is a decision, not drift (a rise means a query per
# row, or a new query to review).
# (URL name, query string, queries, what marks one row in the page, rows per appointment)
PAGES = {
    "day calendar by clinician": (
        "scheduling:day",
        {"by": "clinician"},
        8,
        'data-testid="calendar-appointment"',
        1,
    ),
    "day calendar by room": (
        "scheduling:day",
        {"by": "room"},
        8,
        'data-testid="calendar-appointment"',
        1,
    ),
    "week calendar": ("scheduling:week", {}, 4, "/schedule/appointments/", 1),
    "arrivals": ("scheduling:arrivals", {}, 4, 'href="/schedule/appointments/', 1),
    "reminders board": ("scheduling:reminders", {}, 8, 'data-testid="reminder-row"', 4),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_schedule_page_makes_the_same_queries_for_1_or_20_rows(
    as_front_desk, django_assert_num_queries, name
) -> None:
    url_name, params, expected, marker, per_row = PAGES[name]
    url = reverse(url_name)
    as_front_desk.get(url, params)  # the session's first request also writes the session
    rows = Rows()
    for total in (1, 20):
        rows.up_to(total)
        with django_assert_num_queries(expected):
            response = as_front_desk.get(url, params)
        assert response.status_code == 200
        assert response.content.decode().count(marker) >= total * per_row


def test_reminders_board_pages_the_sent_reminders(as_front_desk) -> None:
    rows = Rows()
    rows.up_to(30)  # 30 sent: a page of 25 and one of 5
    url = reverse("scheduling:reminders")
    first = as_front_desk.get(url).content.decode()
    second = as_front_desk.get(url, {"sent_page": 2}).content.decode()
    assert "?sent_page=2#sent" in first and "?sent_page=1#sent" not in first
    assert "?sent_page=1#sent" in second and "?sent_page=3#sent" not in second
    sent = Reminder.objects.filter(status="sent").order_by("-sent_at", "-id")
    assert sent.count() == 30
    # Each page lists its own sent reminders: the 30 are split 25 / 5 (plus the 30 failed, 30
    # retrying and 30 planned ones shown on both).
    assert first.count('data-testid="reminder-row"') == 25 + 30 + 30 + 30
    assert second.count('data-testid="reminder-row"') == 5 + 30 + 30 + 30


APPOINTMENT_PAGE = 10


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
