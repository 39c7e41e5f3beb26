"""The intake forms a patient fills in by link before the intake visit: history, medications,
allergies, substance use and the contraindication screen land in the draft intake, marked
patient-reported; contact corrections wait on the intake for staff to apply. The clinician
reviews, edits and signs — nothing here signs anything."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients import contraindications
from patients.models import Intake, SelfReportLink
from patients.services.intake import intake_start, intake_update
from patients.services.selfreport import _locked_usable

# What the patient may answer (the clinician's summary, vitals and trial counts are staff's).
PATIENT_INTAKE_FIELDS = (
    "diagnoses",
    "prior_treatments",
    "hospitalisations",
    "medical_history",
    "medications",
    "allergies",
    "substance_use",
)
PATIENT_CONTACT_FIELDS = (
    "phone",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_phone",
)


@transaction.atomic
def intake_submit_by_link(
    *,
    link: SelfReportLink,
    fields: Mapping[str, str],
    screen: Mapping[str, str],
    contact: Mapping[str, str],
    now: datetime | None = None,
) -> Intake:
    now = now or timezone.now()
    link = _locked_usable(link, now)
    if link.purpose != SelfReportLink.Purpose.INTAKE:
        raise ValidationError("This link is not for the intake forms.")
    if link.created_by is None:
        raise ValidationError("This link has no clinician to review it. Please call the clinic.")
    patient = link.patient
    intake = intake_start(patient=patient, by=link.created_by)
    if intake.is_signed:  # pragma: no cover - intake_start only returns drafts
        raise ValidationError("The intake is already signed.")
    # Only what the patient wrote: an empty box never blanks what the clinician entered.
    answers = {
        name: fields[name].strip()
        for name in PATIENT_INTAKE_FIELDS
        if (fields.get(name) or "").strip()
    }
    chosen = {code: value for code, value in screen.items() if value}
    unknown = set(chosen) - set(contraindications.BY_CODE)
    if unknown:
        raise ValidationError("Unknown question in the health screen.")
    intake = intake_update(
        intake=intake,
        by=link.created_by,
        screen=chosen,
        screen_notes={code: "answered by the patient" for code in chosen},
        **answers,
    )
    corrections = {
        name: str(value).strip()
        for name, value in contact.items()
        if name in PATIENT_CONTACT_FIELDS
        and str(value or "").strip()
        and str(value).strip() != str(getattr(patient, name) or "")
    }
    Intake.objects.filter(pk=intake.pk).update(
        patient_reported_at=now,
        patient_reported_fields=sorted({*answers, *(f"screen:{c}" for c in chosen)}),
        patient_contact_corrections=corrections,
    )
    link.used_at = now
    link.save(update_fields=["used_at"])
    intake.refresh_from_db()
    return intake
