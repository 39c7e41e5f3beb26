"""The registry: registering, updating, archiving a patient, the status path, SMS consent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients import hooks
from patients.models import (
    MRN_PREFIX,
    Patient,
)
from patients.services.common import (
    ALLOWED_TRANSITIONS,
    PATIENT_FIELDS,
    Status,
    _check_fields,
    _check_sms_consent,
    _when,
)

# --- registry --------------------------------------------------------------------------------


@transaction.atomic
def patient_create(*, by: User, at: datetime | None = None, **fields: Any) -> Patient:
    """Register a patient (status "inquiry") and give them the next MRN. ``at`` dates the
    registration when it is entered after the fact (see ``_when``)."""
    _check_fields(fields, PATIENT_FIELDS)
    registered_at = _when(at)
    patient = Patient(**fields)
    _check_sms_consent(patient)
    patient._change_reason = f"registered by {by}"
    patient.full_clean(exclude=["mrn"])
    patient.save()
    # The primary key is unique and already allocated, so the MRN cannot collide even when two
    # front-desk staff register at the same moment.
    patient.mrn = f"{MRN_PREFIX}{patient.pk:06d}"
    # created_at is set on insert (auto_now_add), so an earlier date is written with the MRN.
    dated = {"created_at": registered_at} if at is not None else {}
    Patient.objects.filter(pk=patient.pk).update(mrn=patient.mrn, **dated)
    if at is not None:
        patient.created_at = registered_at
    return patient


# The details a reminder is planned from (``scheduling.services.reminders``).
REMINDER_FIELDS: tuple[str, ...] = (
    "email",
    "phone",
    "remind_by_email",
    "remind_by_sms",
    "sms_consent",
)


def _reminder_details_changed(patient: Patient) -> bool:
    # Compared with the stored row, not with the instance as it came in: the registry form has
    # already written the new values onto the instance before the service sees it.
    saved = Patient.objects.filter(pk=patient.pk).values(*REMINDER_FIELDS).first()
    if saved is None:
        return False
    return any(
        str(saved[name] or "") != str(getattr(patient, name) or "") for name in REMINDER_FIELDS
    )


@transaction.atomic
def patient_update(*, patient: Patient, by: User, **fields: Any) -> Patient:
    """Save registry fields. A change to the reminder details (e-mail, phone, channels)
    re-plans the reminders of the patient's upcoming visits: fix the contact, and the visit's
    reminders go out."""
    _check_fields(fields, PATIENT_FIELDS)
    for name, value in fields.items():
        setattr(patient, name, value)
    _check_sms_consent(patient)
    patient.full_clean()
    if _reminder_details_changed(patient):
        # Before the save: the schedule locks the appointments first (the order a reschedule
        # takes them in), so a contact change and a reschedule cannot deadlock.
        hooks.reminder_details_changed(patient=patient)
    patient._change_reason = f"updated by {by}"
    patient.save()
    return patient


@transaction.atomic
def patient_archive(*, patient: Patient, by: User) -> Patient:
    """Hide a patient from the registry. Nothing is deleted; the chart stays readable.

    Appointments and their reminders are left as they are, on purpose. Archiving only hides
    the patient from search; a booked visit stays on the calendar and can still be checked in,
    so stopping its reminders silently would make a no-show nobody was told about. When the
    patient is not coming, front desk cancels the visits (the patient page lists them after
    archiving), which cancels the reminders with a reason on record.
    """
    if patient.archived_at is None:
        patient.archived_at = timezone.now()
        patient._change_reason = f"archived by {by}"
        patient.save(update_fields=["archived_at", "updated_at"])
    return patient


@transaction.atomic
def patient_unarchive(*, patient: Patient, by: User) -> Patient:
    if patient.archived_at is not None:
        patient.archived_at = None
        patient._change_reason = f"restored by {by}"
        patient.save(update_fields=["archived_at", "updated_at"])
    return patient


def allowed_next_statuses(patient: Patient) -> list[str]:
    return [s for s in Status.values if s in ALLOWED_TRANSITIONS[patient.status]]


@transaction.atomic
def patient_set_status(*, patient: Patient, status: str, by: User) -> Patient:
    """Move a patient along their path; the only way ``Patient.status`` changes.

    Raises ValidationError for a move the path does not allow (e.g. inquiry → in treatment).
    Setting the current status again is a no-op.
    """
    if status not in Status.values:
        raise ValidationError(f"Unknown patient status {status!r}.")
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.status == status:
        patient.status = status
        return patient
    if status not in ALLOWED_TRANSITIONS[locked.status]:
        raise ValidationError(
            f"A patient cannot go from “{Status(locked.status).label}” to “{Status(status).label}”."
        )
    locked.status = status
    locked._change_reason = f"status set to {status} by {by}"
    locked.save(update_fields=["status", "updated_at"])
    patient.status = status
    return patient


def sms_consent_withdraw(*, patient: Patient, by: User) -> Patient:
    """The patient asked for no more texts (e.g. replied STOP); treatment consent stands."""
    _set_sms_consent(patient=patient, value=False, by=by)
    return patient


def _set_sms_consent(*, patient: Patient, value: bool, by: User) -> None:
    patient.sms_consent = value
    if not value:
        patient.remind_by_sms = False
    if _reminder_details_changed(patient):
        # Before the save: the schedule locks the appointments first (the order a reschedule
        # takes them in), so a contact change and a reschedule cannot deadlock.
        hooks.reminder_details_changed(patient=patient)
    patient._change_reason = f"SMS consent {'given' if value else 'withdrawn'} (by {by})"
    patient.save(update_fields=["sms_consent", "remind_by_sms", "updated_at"])
