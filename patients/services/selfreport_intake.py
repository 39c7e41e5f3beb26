"""The intake forms a patient fills in by link before the intake visit: history, medications,
allergies, substance use and the contraindication screen land in the draft intake, marked
patient-reported; contact corrections wait on the intake for staff to apply. The clinician
reviews, edits and signs — nothing here signs anything."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients import contraindications
from patients.models import Consent, ConsentDocument, Intake, Patient, SelfReportLink
from patients.selectors import current_consent_document
from patients.selfreport.names import names_match
from patients.services.intake import intake_start, intake_update
from patients.services.registry import _set_sms_consent
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
    link.recorded = {**link.recorded, "intake": intake.pk}
    # Done, unless the current consent is still to be read and signed on the next page.
    if consent_needed(patient) is None:
        link.used_at = now
    link.save(update_fields=["recorded", "used_at"])
    intake.refresh_from_db()
    return intake


# --- consent by link ------------------------------------------------------------------------

NAME_MISMATCH = (
    "The name does not match the legal name the clinic has on file. Type your full legal name "
    "as on your ID, or call the clinic."
)


def consent_needed(patient: Patient) -> ConsentDocument | None:
    """The consent document the patient should sign by link: the current version, unless it is
    signed (and not revoked) already, witnessed or awaiting a countersignature."""
    document = current_consent_document()
    if document is None:
        return None
    signed = Consent.objects.filter(
        patient_id=patient.pk, document=document, revoked_at__isnull=True
    ).exists()
    return None if signed else document


@transaction.atomic
def consent_sign_by_link(
    *,
    link: SelfReportLink,
    typed_name: str,
    sms_consent: bool,
    ip_address: str | None = None,
    now: datetime | None = None,
) -> Consent:
    """The patient reads the current version and types their legal name (accents and case
    ignored; the expected name is never shown). Recorded as signed remotely with the time and
    IP; it becomes current when a clinician countersigns at the intake."""
    now = now or timezone.now()
    link = _locked_usable(link, now)
    if link.purpose != SelfReportLink.Purpose.INTAKE or "intake" not in link.recorded:
        raise ValidationError("This link is not for signing the consent.")
    document = consent_needed(link.patient)
    if document is None:
        raise ValidationError("There is nothing to sign. Thank you.")
    if not names_match(typed_name, link.patient.legal_name):
        raise ValidationError({"typed_name": NAME_MISMATCH})
    consent = Consent.objects.create(
        patient=link.patient,
        document=document,
        typed_name=" ".join(typed_name.split()),
        witness=None,
        signed_remotely=True,
        ip_address=ip_address,
        sms_consent=sms_consent,
        signed_at=now,
    )
    link.used_at = now
    link.save(update_fields=["used_at"])
    return consent


@transaction.atomic
def consent_countersign(*, consent: Consent, by: User) -> Consent:
    """A clinician countersigns a remote signature at the intake; SMS consent given by the
    patient takes effect now."""
    locked = Consent.objects.select_for_update().select_related("patient").get(pk=consent.pk)
    if not locked.signed_remotely:
        raise ValidationError("Only a consent signed remotely is countersigned.")
    if locked.countersigned_at is not None:
        raise ValidationError("This consent was already countersigned.")
    if locked.revoked_at is not None:
        raise ValidationError("This consent was revoked.")
    locked.countersigned_by, locked.countersigned_at = by, timezone.now()
    locked.save(update_fields=["countersigned_by", "countersigned_at"])
    if locked.sms_consent:
        _set_sms_consent(patient=locked.patient, value=True, by=by)
    return locked
