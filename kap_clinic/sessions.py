"""A staff member's login sessions: list them, end all but the current one."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from kap_clinic.models import ClinicSession


def active_sessions(*, user: User) -> list[ClinicSession]:
    return list(
        ClinicSession.objects.filter(user=user, expire_date__gt=timezone.now()).order_by(
            "-signed_in_at"
        )
    )


@transaction.atomic
def end_other_sessions(*, user: User, keep: str | None) -> int:
    """Sign ``user`` out everywhere except the session ``keep``; returns how many ended.
    Deleting the row is the logout: the next request with that cookie is anonymous."""
    others = ClinicSession.objects.filter(user=user).exclude(session_key=keep)
    ended = others.filter(expire_date__gt=timezone.now()).count()
    others.delete()
    return ended
