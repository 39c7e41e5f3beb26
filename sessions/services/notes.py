"""The session note, its signature, and addenda to a signed record."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sessions.models import (
    DosingSession,
    LedgerEntry,
    SessionAddendum,
)
from sessions.services.common import _lock

Status = DosingSession.Status
Kind = LedgerEntry.Kind


# --- note, signature, addenda ----------------------------------------------------------------


@transaction.atomic
def note_save(*, session: DosingSession, text: str, by: User) -> DosingSession:
    session = _lock(session)
    session.note = text.strip()
    session.save()
    return session


@transaction.atomic
def session_sign(*, session: DosingSession, by: User, at: datetime | None = None) -> DosingSession:
    """Sign the therapist's note; the whole session record is locked from now on.

    ``at`` dates a signature entered after the fact (an import, the demo clinic): never in the
    future, never before the patient was discharged.
    """
    session = _lock(session)
    problems = []
    if session.status not in (Status.COMPLETED, Status.ABORTED):
        problems.append("Discharge the patient (or abort the session) before signing.")
    if not session.note:
        problems.append("Write the session note before signing.")
    if at is not None and at > timezone.now():
        problems.append("A note cannot be signed in the future.")
    elif at is not None and session.discharged_at is not None and at < session.discharged_at:
        problems.append("A note cannot be signed before the patient was discharged.")
    if problems:
        raise ValidationError(problems)
    session.signed_at = at or timezone.now()
    session.signed_by = by
    session._change_reason = "signed"
    session.save()
    return session


@transaction.atomic
def addendum_add(*, session: DosingSession, text: str, by: User) -> SessionAddendum:
    text = text.strip()
    if not text:
        raise ValidationError("The addendum is empty.")
    session = DosingSession.objects.get(pk=session.pk)
    if not session.is_signed:
        raise ValidationError("Edit the note directly until it is signed.")
    return SessionAddendum.objects.create(session=session, text=text, author=by)
