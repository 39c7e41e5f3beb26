"""The patient's safety plan (Stanley & Brown, Cogn Behav Pract 2012;19:256-264): six steps
plus reasons for living, versioned. Saving edits the unsigned draft, or starts the next version
from the latest one; a signed version is never changed (a change is a new version)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from patients.models import Patient, SafetyPlan

SAFETY_PLAN_FIELDS = (
    "warning_signs",
    "coping_strategies",
    "distraction",
    "people_to_ask",
    "professionals",
    "safe_environment",
    "reasons_for_living",
)


@transaction.atomic
def safety_plan_save(*, patient: Patient, by: User, **fields: str) -> SafetyPlan:
    unknown = set(fields) - set(SAFETY_PLAN_FIELDS)
    if unknown:
        raise ValueError(f"Unknown safety-plan fields: {', '.join(sorted(unknown))}")
    # Lock the patient so two clinicians saving at once cannot both start version n + 1.
    Patient.objects.select_for_update().get(pk=patient.pk)
    values = {name: (fields.get(name) or "").strip() for name in SAFETY_PLAN_FIELDS}
    if not any(values.values()):
        raise ValidationError("Write at least one step of the plan.")
    draft = SafetyPlan.objects.filter(patient=patient, signed_at__isnull=True).first()
    if draft is None:
        latest = SafetyPlan.objects.filter(patient=patient).aggregate(n=Max("version"))["n"] or 0
        draft = SafetyPlan(patient=patient, version=latest + 1, created_by=by)
    for name, value in values.items():
        setattr(draft, name, value)
    draft.save()
    return draft


@transaction.atomic
def safety_plan_sign(*, plan: SafetyPlan, by: User) -> SafetyPlan:
    locked = SafetyPlan.objects.select_for_update().get(pk=plan.pk)
    if locked.is_signed:
        raise ValidationError("This version is already signed; save a change as a new version.")
    locked.signed_by, locked.signed_at = by, timezone.now()
    locked.save(update_fields=["signed_by", "signed_at"])
    return locked
