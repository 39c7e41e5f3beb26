"""Demo staff for the local demo clinic (``manage.py seed_demo``), and the clinic calendar the
apps' demos date their records by. Never used by migrations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from kap_clinic import roles

DEMO_STAFF: tuple[tuple[str, str, str, str], ...] = (
    # username, first name, last name, role
    ("frontdesk", "Fran", "Desk", roles.FRONT_DESK),
    ("clinician", "Casey", "Morgan", roles.CLINICIAN),
    ("provider", "Priya", "Raman", roles.MEDICAL_PROVIDER),
    ("clinicadmin", "Alex", "Admin", roles.CLINIC_ADMIN),
)
# More staff so calendars have several columns (not printed as demo logins).
EXTRA_STAFF: tuple[tuple[str, str, str, str], ...] = (
    ("therapist2", "Jordan", "Lee", roles.CLINICIAN),
    ("nurse", "Sam", "Okafor", roles.CLINICIAN),
    ("provider2", "Miguel", "Santos", roles.MEDICAL_PROVIDER),
    ("frontdesk2", "Robin", "Hart", roles.FRONT_DESK),
)


@transaction.atomic
def seed_staff(*, password: str) -> dict[str, User]:
    """Create or refresh the demo staff; returns them by username."""
    users = {}
    # One hash for all: hashing is slow on purpose (PBKDF2), and the demo password is public.
    hashed = make_password(password)
    for username, first, last, role in DEMO_STAFF + EXTRA_STAFF:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@demo-clinic.invalid"
        user.is_active = True
        user.is_staff = role == roles.CLINIC_ADMIN
        # The clinic admin works through the "Clinic admin" group's permissions, never as a
        # superuser: a superuser is a break-glass account (SECURITY.md).
        user.is_superuser = False
        user.password = hashed
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        users[username] = user
    return users


def clinic_day(today: date, offset: int) -> date:
    """The clinic day (Monday to Friday) ``offset`` clinic days from ``today``; offset 0 is today,
    or the next clinic day when today is a weekend. A negative offset is always before today."""
    day = today
    while day.weekday() >= 5:
        day += timedelta(days=1)
    step = timedelta(days=1 if offset > 0 else -1)
    for _ in range(abs(offset)):
        day += step
        while day.weekday() >= 5:
            day += step
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """``day`` at a time of day in the clinic's zone."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))
