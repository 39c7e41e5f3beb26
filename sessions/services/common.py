"""What every write to a dosing session checks: the provider role where a rule needs it, the
signed-and-locked state, and the row lock two tablets would race on."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

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
