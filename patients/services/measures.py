"""Validated measures, scored by ``instruments.score`` only, and the risk flags they raise."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients import instruments
from patients.models import (
    Intake,
    MeasureResult,
    Patient,
    RiskFlag,
)
from patients.services.common import _refuse_if_signed

# --- measures and risk flags ----------------------------------------------------------------


@transaction.atomic
def measure_record(
    *,
    patient: Patient,
    code: str,
    answers: Any,
    by: User | None,
    taken_at: datetime | None = None,
    context: str = "",
    intake: Intake | None = None,
    patient_reported_at: datetime | None = None,
) -> MeasureResult:
    """Score and store one completed measure. The score comes from ``instruments.score`` only;
    its ValueError (wrong answers) propagates so the form can show it, and nothing is saved.

    A suicide-risk result raises a ``RiskFlag`` for the chart banner and the primary
    clinician's home page.

    ``by`` is None only for a result the patient answered themselves (``patient_reported_at``
    says when; ``patients.services.selfreport``).
    """
    if by is None and patient_reported_at is None:
        raise ValidationError("A measure is entered by a staff member or reported by the patient.")
    result = instruments.score(code, answers)
    if intake is not None:
        # Lock the intake so a signature in another request cannot slip in between the check
        # and the insert.
        intake = Intake.objects.select_for_update().get(pk=intake.pk)
        _refuse_if_signed(intake)
        if intake.patient_id != patient.pk:
            raise ValidationError("That intake belongs to another patient.")
    measure = MeasureResult.objects.create(
        patient=patient,
        code=code,
        answers=dict(answers) if isinstance(answers, Mapping) else list(answers),
        total=result.total,
        severity=result.severity,
        flags=sorted(result.flags),
        taken_at=taken_at or timezone.now(),
        entered_by=by,
        patient_reported_at=patient_reported_at,
        context=context or ("intake" if intake else ""),
        intake=intake,
    )
    if instruments.SUICIDE_RISK in result.flags:
        RiskFlag.objects.create(
            patient=patient,
            kind=RiskFlag.Kind.SUICIDE_RISK,
            measure=measure,
            raised_at=measure.taken_at,
        )
    return measure


@transaction.atomic
def risk_flag_acknowledge(*, flag: RiskFlag, note: str, by: User) -> RiskFlag:
    """A clinician has reviewed the safety plan; the banner and home-page item go away."""
    note = note.strip()
    if not note:
        raise ValidationError("Write what was done (for example, safety plan reviewed).")
    locked = RiskFlag.objects.select_for_update().get(pk=flag.pk)
    if locked.acknowledged_at is not None:
        raise ValidationError("This flag was already acknowledged.")
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = by
    locked.acknowledgement_note = note
    locked.save()
    return locked
