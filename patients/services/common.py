"""What the patient-record writes share: the patient's path between statuses, the writable
fields, and how a record is dated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from patients.models import (
    Intake,
    Patient,
)

Status = Patient.Status


# The patient's path (DESIGN.md): which status may follow which. Discharge is possible from
# anywhere; a discharged patient who returns starts again as an inquiry. "Not eligible" can go
# back to intake for a re-assessment; maintenance can return to a new treatment course.
ALLOWED_TRANSITIONS: Mapping[str, frozenset[str]] = {
    Status.INQUIRY: frozenset({Status.CONSULTATION_SCHEDULED, Status.INTAKE, Status.DISCHARGED}),
    Status.CONSULTATION_SCHEDULED: frozenset({Status.INQUIRY, Status.INTAKE, Status.DISCHARGED}),
    Status.INTAKE: frozenset({Status.ELIGIBLE, Status.NOT_ELIGIBLE, Status.DISCHARGED}),
    Status.ELIGIBLE: frozenset(
        {Status.IN_TREATMENT, Status.NOT_ELIGIBLE, Status.INTAKE, Status.DISCHARGED}
    ),
    Status.NOT_ELIGIBLE: frozenset({Status.INTAKE, Status.ELIGIBLE, Status.DISCHARGED}),
    Status.IN_TREATMENT: frozenset({Status.MAINTENANCE, Status.DISCHARGED}),
    Status.MAINTENANCE: frozenset({Status.IN_TREATMENT, Status.DISCHARGED}),
    Status.DISCHARGED: frozenset({Status.INQUIRY}),
}
# Statuses only an eligibility decision may set: a provider's signature stands behind them.
ELIGIBILITY_STATUSES = frozenset({Status.ELIGIBLE, Status.NOT_ELIGIBLE})

# Fields a registry form may write; status, MRN, SMS consent and archive have their own services.
# In the order the registry form shows them.
PATIENT_FIELDS: tuple[str, ...] = (
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "sex_assigned_at_birth",
    "gender",
    "pronouns",
    "phone",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_phone",
    "remind_by_email",
    "remind_by_sms",
    "primary_clinician",
    "referral_source",
)

INTAKE_FIELDS = frozenset(
    {
        "diagnoses",
        "prior_treatments",
        "failed_antidepressant_trials",
        "hospitalisations",
        "substance_use",
        "medical_history",
        "medications",
        "allergies",
        "bp_systolic",
        "bp_diastolic",
        "heart_rate",
        "spo2",
        "weight_kg",
        "height_cm",
        "notes",
    }
)


def _check_fields(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Not writable here: {', '.join(sorted(unknown))}")


def _when(at: datetime | None) -> datetime:
    """The time a record is dated: now, or ``at`` for one written after the fact (an import, the
    demo clinic). Never in the future: nothing is signed or registered ahead of time."""
    now = timezone.now()
    if at is None:
        return now
    if at > now:
        raise ValidationError("A record cannot be dated in the future.")
    return at


def _check_sms_consent(patient: Patient) -> None:
    if patient.remind_by_sms and not patient.sms_consent:
        raise ValidationError(
            {
                "remind_by_sms": "Text-message reminders need the patient's SMS consent, "
                "recorded with their consent form."
            }
        )


def _refuse_if_signed(intake: Intake) -> None:
    # Read the status from the database: a stale instance must not sneak a change past a
    # signature made in another request.
    if Intake.objects.filter(pk=intake.pk, status=Intake.Status.SIGNED).exists():
        raise ValidationError("This intake is signed and locked; add an addendum instead.")
