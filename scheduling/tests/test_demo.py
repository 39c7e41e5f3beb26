from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from kap_clinic import demo as staff_demo
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
    assert appointments.count() >= 50
    assert appointments.values("clinician").distinct().count() >= 4
    assert appointments.values("room").distinct().count() >= 5
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
