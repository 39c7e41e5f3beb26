"""What every write to a dosing session checks: the provider role where a rule needs it, the
signed-and-locked state, and the row lock two tablets would race on."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from kap_clinic import roles
from sessions.models import (
    DosingSession,
    LedgerEntry,
)

Status = DosingSession.Status
Kind = LedgerEntry.Kind


def _require_provider(user: User, what: str) -> None:
    if not roles.has_role(user, roles.MEDICAL_PROVIDER):
        raise ValidationError(f"Only a medical provider can {what}.")


def _refuse_if_signed(session: DosingSession) -> None:
    if session.is_signed:
        raise ValidationError("This session record is signed and locked; add an addendum instead.")


def _lock(session: DosingSession) -> DosingSession:
    """Re-read the session under a row lock, so two tablets cannot dose or sign it twice."""
    locked = (
        DosingSession.objects.select_for_update()
        .select_related("course__protocol", "course__patient")
        .get(pk=session.pk)
    )
    _refuse_if_signed(locked)
    return locked


# A clock a minute ahead on a tablet is not "the future".
_CLOCK_SKEW = timedelta(minutes=1)


def _charted_time(session: DosingSession, at: datetime | None, what: str) -> datetime:
    """The time an entry records: now by default, or a back-charted time in minutes (DESIGN.md,
    "Chair-side safety": in the past, not before the session started)."""
    now = timezone.now()
    if at is None:
        return now
    at = at.replace(second=0, microsecond=0)
    if at > now + _CLOCK_SKEW:
        raise ValidationError(
            f"The time of the {what} ({timezone.localtime(at):%H:%M}) is in the future: give "
            "the time it happened, or leave it empty for now."
        )
    if at < session.opened_at:
        raise ValidationError(
            f"The time of the {what} ({timezone.localtime(at):%Y-%m-%d %H:%M}) is before this "
            f"session started (from {timezone.localtime(session.opened_at):%Y-%m-%d %H:%M}): "
            "check the time."
        )
    return at
