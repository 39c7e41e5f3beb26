from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from kap_clinic import demo as staff_demo
from patients.tests.factories import PatientFactory
from scheduling import demo
from scheduling.models import Appointment, AppointmentType, Reminder, Room

pytestmark = pytest.mark.django_db


# Whatever the time of day `make run` starts, the first reminder is due within two minutes.
@pytest.mark.parametrize("clock", ["07:40", "11:35", "13:20"])
def test_demo_schedule_is_a_realistic_week_with_a_reminder_due_right_away(clock):
    day = date(2026, 11, 25)  # a Wednesday
    now = timezone.make_aware(datetime.combine(day, time.fromisoformat(clock)))
    with time_machine.travel(now, tick=False):
        _check_demo(now)


def _check_demo(now):
    staff = staff_demo.seed_staff(password="demo-password-for-tests")
    demo.seed(staff=staff, now=now)
    assert Room.objects.filter(kind=Room.Kind.INFUSION).count() == 4
    assert set(AppointmentType.objects.values_list("kind", flat=True)) == set(
        AppointmentType.Kind.values
    )
    appointments = Appointment.objects.all()
    assert appointments.count() >= 40
    assert appointments.values("clinician").distinct().count() >= 4
    # Dosing and integration visits come with a treatment course (the sessions' demo), never
    # from the week's plan: a dosing visit here would have no dosing session.
    assert not appointments.filter(
        type__kind__in=[AppointmentType.Kind.DOSING, AppointmentType.Kind.INTEGRATION]
    ).exists()
    # The past is over (completed or a no-show); nothing is left booked before now.
    assert (
        not appointments.filter(status=Appointment.Status.BOOKED, starts_at__lt=now)
        .exclude(ends_at__gt=now)
        .exists()
    )
    soon = Reminder.objects.filter(
        status=Reminder.Status.PENDING,
        send_after__gt=now,
        send_after__lte=now + timedelta(minutes=2),
    )
    assert soon.count() == 1
    assert soon.get().recipient

    count = appointments.count()
    demo.seed(staff=staff, now=now + timedelta(seconds=30))
    assert Appointment.objects.count() == count


@pytest.mark.parametrize(
    ("start", "status"),
    [
        (timedelta(hours=-3), Appointment.Status.COMPLETED),
        (timedelta(minutes=-20), Appointment.Status.CHECKED_IN),
        (timedelta(hours=3), Appointment.Status.BOOKED),
    ],
)
def test_a_demo_visit_is_as_far_along_as_the_day(start, status):
    now = timezone.make_aware(datetime.combine(date(2026, 11, 25), time(13, 20)))
    with time_machine.travel(now, tick=False):
        staff = staff_demo.seed_staff(password="demo-password-for-tests")
        types = demo.seed_configuration(staff)
        patient = PatientFactory()
        visit = demo.visit_book(
            patient=patient,
            type=types["follow_up"],
            clinician=staff["clinician"],
            starts_at=now + start,
            by=staff["frontdesk"],
            now=now,
        )
        missed = demo.visit_book(
            patient=patient,
            type=types["follow_up"],
            clinician=staff["clinician"],
            starts_at=now + start - timedelta(days=1),
            by=staff["frontdesk"],
            now=now,
            missed=True,
        )
    assert visit.status == status
    assert missed.status == Appointment.Status.NO_SHOW
    # A visit already under way or over was booked as of the day before (the service refuses
    # to book in the past), and has no reminder left to send.
    if visit.starts_at > now:
        assert visit.booked_at == now
    else:
        assert visit.booked_at == visit.starts_at - timedelta(days=1)
        assert not visit.reminders.filter(status=Reminder.Status.PENDING).exists()
