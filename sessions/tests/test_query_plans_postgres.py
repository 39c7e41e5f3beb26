"""The day calendar and the home worklists read today from an index, not the clinic's history
(issue 15), on PostgreSQL with a year of history and the planner's statistics.

The speed itself is measured by ``make bench``; these pin the access path, which is what stops a
page from growing slower with every year of appointments.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from patients.tests.factories import PatientFactory
from scheduling import selectors
from scheduling.models import Appointment
from scheduling.tests.factories import AppointmentTypeFactory, RoomFactory
from sessions import selectors as session_selectors
from sessions.models import DosingSession
from sessions.tests.factories import make_course

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DAYS = 400
PER_DAY = 40


@pytest.fixture
def a_year_of_history(front_desk, clinician):
    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's; SQLite runs without them")
    visit = AppointmentTypeFactory(duration_minutes=15)
    room = RoomFactory(name="Plan room")
    patient = PatientFactory()
    today = timezone.localdate()
    rows = []
    for day in range(-DAYS + 7, 7):  # mostly past, a week ahead
        start = timezone.make_aware(datetime.combine(today + timedelta(days=day), time(7)))
        for n in range(PER_DAY):  # one every 15 minutes: nobody is ever double-booked
            starts_at = start + timedelta(minutes=15 * n)
            rows.append(
                Appointment(
                    patient=patient,
                    type=visit,
                    clinician=clinician,
                    room=room,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=15),
                    status="completed" if day < 0 else "booked",
                    booked_by=front_desk,
                )
            )
    Appointment.objects.bulk_create(rows, batch_size=2000)
    course = make_course(by=clinician, planned=DAYS)
    now = timezone.now()
    DosingSession.objects.bulk_create(
        DosingSession(
            course=course,
            number=n + 1,
            scheduled_for=now - timedelta(days=DAYS - n),
            status="completed",
            signed_at=now - timedelta(days=DAYS - n),
            signed_by=clinician,
            created_by=clinician,
        )
        for n in range(DAYS - 1)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scheduling_appointment")
        cursor.execute("ANALYZE clinic_sessions_dosingsession")
    return today


def scans(queryset) -> list[tuple[str, str]]:
    """(access method, table) of each scan in the plan."""
    plan = queryset.explain()
    return re.findall(
        r"((?:Parallel )?(?:Seq|Index Only|Index|Bitmap Heap) Scan)(?: Backward)?(?: using \w+)? "
        r"on (\w+)",
        plan,
    )


def reads_by_index(queryset, table: str) -> bool:
    found = [kind for kind, name in scans(queryset) if name == table]
    return bool(found) and all("Seq" not in kind for kind in found)


def test_day_calendar_reads_the_day_from_an_index(a_year_of_history) -> None:
    start, end = selectors._day_bounds(a_year_of_history)
    calendar_query = selectors.appointments_between(start, end).only(*selectors.CALENDAR_FIELDS)
    assert reads_by_index(calendar_query, "scheduling_appointment"), calendar_query.explain()
    day = selectors.day_calendar(day=a_year_of_history)
    assert day["count"] == PER_DAY


def test_front_desk_arrivals_worklist_reads_the_day_from_an_index(a_year_of_history) -> None:
    start, end = selectors._day_bounds(a_year_of_history)
    waiting = selectors.appointments_between(start, end).filter(status__in=["booked"])[:11]
    assert reads_by_index(waiting, "scheduling_appointment"), waiting.explain()


def test_todays_sessions_worklist_reads_from_indexes(a_year_of_history) -> None:
    worklist = session_selectors.sessions_worklist()[:16]
    assert reads_by_index(worklist, "clinic_sessions_dosingsession"), worklist.explain()
