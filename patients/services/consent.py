"""Informed consent: signing the current version, revoking it."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.models import (
    Consent,
    ConsentDocument,
    Patient,
)
from patients.selectors import (
    current_consent_document,
)
from patients.services.common import (
    _when,
)
from patients.services.registry import _set_sms_consent

# --- consent ---------------------------------------------------------------------------------


@transaction.atomic
def consent_sign(
    *,
    patient: Patient,
    document: ConsentDocument,
    typed_name: str,
    sms_consent: bool,
    by: User,
    ip_address: str | None = None,
    at: datetime | None = None,
) -> Consent:
    """Record the patient's typed-name signature, witnessed by ``by``.

    The typed name must match the patient's legal name, so a signature cannot be recorded for
    the wrong chart. SMS consent given here turns ``Patient.sms_consent`` on. ``at`` dates a
    signature entered after the fact (see ``_when``).
    """
    signed_at = _when(at)
    typed = " ".join(typed_name.split())
    if typed.casefold() != " ".join(patient.legal_name.split()).casefold():
        raise ValidationError(
            f"The typed name must be the patient's legal name, “{patient.legal_name}”."
        )
    current = current_consent_document()
    if current is None or document.pk != current.pk:
        raise ValidationError("Only the current version of the consent document can be signed.")
    if at is not None and signed_at < document.published_at:
        raise ValidationError("This version of the consent document was not published yet then.")
    consent = Consent.objects.create(
        patient=patient,
        document=document,
        typed_name=typed,
        witness=by,
        ip_address=ip_address,
        sms_consent=sms_consent,
        signed_at=signed_at,
    )
    _set_sms_consent(patient=patient, value=sms_consent, by=by)
    return consent


@transaction.atomic
def consent_revoke(*, consent: Consent, note: str, by: User) -> Consent:
    """The patient withdrew consent. Treatment needs a new signature; SMS stops too."""
    note = note.strip()
    if not note:
        raise ValidationError("Record how and why consent was withdrawn.")
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if locked.revoked_at is not None:
        raise ValidationError("This consent was already revoked.")
    locked.revoked_at = timezone.now()
    locked.revoked_by = by
    locked.revocation_note = note
    locked.save()
    if locked.sms_consent:
        _set_sms_consent(patient=locked.patient, value=False, by=by)
    return locked
