"""The intake assessment: draft, contraindication screen, signature, addenda."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from patients import contraindications
from patients.models import (
    ContraindicationAnswer,
    Intake,
    IntakeAddendum,
    Patient,
)
from patients.selectors import intake_missing
from patients.services.common import INTAKE_FIELDS, Status, _check_fields, _refuse_if_signed, _when
from patients.services.registry import patient_set_status

# --- intake ----------------------------------------------------------------------------------


@transaction.atomic
def intake_start(*, patient: Patient, by: User, at: datetime | None = None) -> Intake:
    """Open the patient's intake draft (or return the one already open). ``at`` dates the start
    of an intake entered after the fact (see ``_when``)."""
    draft = Intake.objects.filter(patient=patient, status=Intake.Status.DRAFT).first()
    if draft is not None:
        return draft
    started_at = _when(at)
    intake = Intake.objects.create(patient=patient, created_by=by)
    if at is not None:
        # created_at is set on insert (auto_now_add); an earlier start is written after it.
        Intake.objects.filter(pk=intake.pk).update(created_at=started_at)
        intake.created_at = started_at
    if patient.status in (Status.INQUIRY, Status.CONSULTATION_SCHEDULED):
        patient_set_status(patient=patient, status=Status.INTAKE, by=by)
    return intake


@transaction.atomic
def intake_update(
    *,
    intake: Intake,
    by: User,
    screen: Mapping[str, str | None] | None = None,
    screen_notes: Mapping[str, str] | None = None,
    **fields: Any,
) -> Intake:
    """Save draft answers. ``screen`` maps contraindication codes to yes/no/unknown (None or ""
    for not answered yet)."""
    _check_fields(fields, INTAKE_FIELDS)
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    _refuse_if_signed(intake)
    for name, value in fields.items():
        setattr(intake, name, value)
    intake.full_clean()
    intake._change_reason = f"draft saved by {by}"
    intake.save()
    if screen is not None:
        _save_screen(intake, screen, screen_notes or {})
    return intake


def _save_screen(
    intake: Intake, screen: Mapping[str, str | None], notes: Mapping[str, str]
) -> None:
    valid_answers = {value for value, _label in contraindications.ANSWERS}
    existing = {answer.item: answer for answer in intake.screen.all()}
    for code, value in screen.items():
        if code not in contraindications.BY_CODE:
            raise ValidationError(f"Unknown contraindication item {code!r}.")
        note = (notes.get(code) or "").strip()
        row = existing.get(code)
        value = value or ""
        if value and value not in valid_answers:
            raise ValidationError(f"Answer yes, no or unknown for {code!r}.")
        if row is None:
            if value or note:
                ContraindicationAnswer.objects.create(
                    intake=intake, item=code, answer=value, note=note
                )
        elif (row.answer, row.note) != (value, note):
            row.answer, row.note = value, note
            row.save()


@transaction.atomic
def intake_sign(*, intake: Intake, by: User, at: datetime | None = None) -> Intake:
    """Sign a complete intake. From now on it is locked; changes are addenda. ``at`` dates a
    signature entered after the fact (see ``_when``)."""
    signed_at = _when(at)
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    _refuse_if_signed(intake)
    missing = intake_missing(intake)
    if missing:
        raise ValidationError(
            "The intake cannot be signed yet. Still missing: " + "; ".join(missing) + "."
        )
    if at is not None and signed_at < intake.created_at:
        raise ValidationError("An intake cannot be signed before it was started.")
    intake.status = Intake.Status.SIGNED
    intake.signed_by = by
    intake.signed_at = signed_at
    intake._change_reason = f"signed by {by}"
    intake.save()
    return intake


@transaction.atomic
def intake_add_addendum(*, intake: Intake, text: str, by: User) -> IntakeAddendum:
    text = text.strip()
    if not text:
        raise ValidationError("An addendum needs some text.")
    if not Intake.objects.filter(pk=intake.pk, status=Intake.Status.SIGNED).exists():
        raise ValidationError("Addenda are for signed intakes; edit the draft instead.")
    return IntakeAddendum.objects.create(intake=intake, text=text, author=by)
