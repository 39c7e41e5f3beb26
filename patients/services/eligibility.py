"""The medical provider's eligibility decision, signed."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from patients.models import (
    EligibilityDecision,
    Intake,
    Patient,
)
from patients.selectors import absolute_contraindications_present
from patients.services.common import ALLOWED_TRANSITIONS, Status, _when
from patients.services.registry import patient_set_status

# --- eligibility ------------------------------------------------------------------------------


@transaction.atomic
def eligibility_sign(
    *,
    patient: Patient,
    decision: str,
    note: str,
    by: User,
    override_reason: str = "",
    at: datetime | None = None,
) -> EligibilityDecision:
    """A medical provider's signed eligibility decision (the caller checks the role).

    "Eligible" needs a signed intake, and is refused while an absolute contraindication is
    answered "yes" unless ``override_reason`` explains why (DESIGN.md; Sanacora 2017). ``at``
    dates a decision entered after the fact (see ``_when``).
    """
    signed_at = _when(at)
    if decision not in EligibilityDecision.Decision.values:
        raise ValidationError(f"Unknown eligibility decision {decision!r}.")
    note = note.strip()
    override_reason = override_reason.strip()
    if not note:
        raise ValidationError("Write a note explaining the decision.")
    intake = (
        Intake.objects.filter(patient=patient, status=Intake.Status.SIGNED)
        .order_by("-signed_at", "-id")
        .first()
    )
    if at is not None and intake is not None and signed_at < intake.signed_at:
        raise ValidationError("A decision cannot be dated before its intake was signed.")
    overridden: list[str] = []
    if decision == EligibilityDecision.Decision.ELIGIBLE:
        if intake is None:
            raise ValidationError("“Eligible” needs a signed intake assessment first.")
        present = absolute_contraindications_present(intake)
        if present and not override_reason:
            labels = ", ".join(answer.get_item_display() for answer in present)
            raise ValidationError(
                f"Absolute contraindication answered yes: {labels}. “Eligible” needs an "
                "override reason."
            )
        overridden = [answer.item for answer in present]
        if not present:
            override_reason = ""  # nothing to override; keep the chart honest
    else:
        override_reason = ""
    record = EligibilityDecision.objects.create(
        patient=patient,
        intake=intake,
        decision=decision,
        note=note,
        override_reason=override_reason,
        overridden_items=overridden,
        signed_by=by,
        signed_at=signed_at,
    )
    target = {
        EligibilityDecision.Decision.ELIGIBLE: Status.ELIGIBLE,
        EligibilityDecision.Decision.NOT_ELIGIBLE: Status.NOT_ELIGIBLE,
    }.get(decision)
    current = Patient.objects.get(pk=patient.pk).status
    if target is not None and target != current:
        if current in (Status.INQUIRY, Status.CONSULTATION_SCHEDULED):
            patient_set_status(patient=patient, status=Status.INTAKE, by=by)
        if target in ALLOWED_TRANSITIONS[Patient.objects.get(pk=patient.pk).status]:
            patient_set_status(patient=patient, status=target, by=by)
    return record
