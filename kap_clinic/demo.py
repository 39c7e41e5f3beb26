"""Demo staff for the local demo clinic (``manage.py seed_demo``). Never used by migrations."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction

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
    for username, first, last, role in DEMO_STAFF + EXTRA_STAFF:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@demo-clinic.invalid"
        user.is_active = True
        user.is_staff = role == roles.CLINIC_ADMIN
        user.is_superuser = role == roles.CLINIC_ADMIN
        user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        users[username] = user
    return users
