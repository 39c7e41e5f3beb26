"""Integration follow-ups after a dosing session."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients import instruments
from patients import services as patient_services
from sessions.models import (
    DosingSession,
    IntegrationFollowUp,
    LedgerEntry,
)

Status = DosingSession.Status
Kind = LedgerEntry.Kind


# --- integration -----------------------------------------------------------------------------


@transaction.atomic
def follow_up_record(
    *,
    session: DosingSession,
    themes: str,
    insights: str,
    plan: str,
    by: User,
    held_at: datetime | None = None,
    phq9: list[int] | None = None,
) -> IntegrationFollowUp:
    """A signed integration follow-up (locked from the start), with an optional repeat PHQ-9."""
    session = DosingSession.objects.select_related("course__patient").get(pk=session.pk)
    if not session.is_dosed:
        raise ValidationError("Integration follows a dosing session that took place.")
    held_at = held_at or timezone.now()
    follow_up = IntegrationFollowUp.objects.create(
        session=session,
        held_at=held_at,
        themes=themes.strip(),
        insights=insights.strip(),
        plan=plan.strip(),
        signed_by=by,
    )
    if phq9 is not None:
        measure = patient_services.measure_record(
            patient=session.course.patient,
            code=instruments.PHQ9,
            answers=phq9,
            by=by,
            taken_at=held_at,
            context="integration follow-up",
        )
        follow_up.measures.add(measure)
    return follow_up
