"""Writes at the infusion chair: the preparation checklist, vitals and holds, the dose and its
ledger entry, adverse events, dissociation, discharge and abort."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kap_clinic import roles
from patients import instruments
from patients import services as patient_services
from sessions import dosing, selectors
from sessions import vitals as vital_rules
from sessions.dosing import dose_problems
from sessions.models import (
    CONTRAINDICATIONS_NEW_FOUND,
    CONTRAINDICATIONS_NOT_ASKED,
    CONTRAINDICATIONS_NOTHING_NEW,
    NEW_CONTRAINDICATION_NEEDS_NOTE,
    AdverseEvent,
    DosingSession,
    LedgerEntry,
    Lot,
    TreatmentCourse,
    VitalReading,
)
from sessions.services.common import _lock, _require_provider
from sessions.services.ledger import _ledger_append

Status = DosingSession.Status
Kind = LedgerEntry.Kind


# --- preparation checklist -------------------------------------------------------------------

CHECKLIST_FIELDS = (
    "fasting_confirmed",
    "escort_name",
    "escort_phone",
    "medications_reviewed",
    "pregnancy_test",
    "intention_set",
    "contraindications_reconfirmed",
    "contraindications_note",
)
RECONFIRM_ANSWERS = (
    CONTRAINDICATIONS_NOT_ASKED,
    CONTRAINDICATIONS_NOTHING_NEW,
    CONTRAINDICATIONS_NEW_FOUND,
)


@transaction.atomic
def checklist_update(*, session: DosingSession, by: User, **fields: Any) -> DosingSession:
    """Save what a person confirms on the preparation checklist.

    The contraindication screen is re-confirmed before every dose (DESIGN.md, "Contraindication
    screen"). A new contraindication found at the chair cannot be ticked past: it is an answer
    of its own, with a required note saying what was found, and it leaves the item (so the
    checklist) incomplete. Once recorded it stays on this session's checklist — nobody changes
    it back to "nothing new" — so the only way to a dose is a medical provider's checklist
    override with a written reason ("Incomplete checklist → no dose, unless a medical provider
    overrides", DESIGN.md, "Preparation checklist"), or the session is aborted. An override
    given before the finding was not about it, so the finding withdraws it: the provider
    decides again knowing what was found (the earlier one stays in the history).
    """
    unknown = set(fields) - set(CHECKLIST_FIELDS)
    if unknown:
        raise TypeError(f"Not checklist fields: {', '.join(sorted(unknown))}")
    session = _lock(session)
    if session.is_dosed:
        raise ValidationError("The dose is recorded; the checklist can no longer change.")
    found_before = session.contraindications_reconfirmed == CONTRAINDICATIONS_NEW_FOUND
    for name, value in fields.items():
        setattr(session, name, value.strip() if isinstance(value, str) else value)
    answer = session.contraindications_reconfirmed
    if answer not in RECONFIRM_ANSWERS:
        raise ValidationError(
            {"contraindications_reconfirmed": "Choose one of the contraindication answers."}
        )
    if found_before and answer != CONTRAINDICATIONS_NEW_FOUND:
        raise ValidationError(
            {
                "contraindications_reconfirmed": "A new contraindication was recorded for this "
                "session and stays on its checklist. A medical provider can override the "
                "checklist with a reason, or the session can be aborted."
            }
        )
    if answer == CONTRAINDICATIONS_NEW_FOUND and not session.contraindications_note:
        raise ValidationError({"contraindications_note": NEW_CONTRAINDICATION_NEEDS_NOTE})
    if answer == CONTRAINDICATIONS_NEW_FOUND and not found_before:
        session._change_reason = f"new contraindication found by {by}"
        if session.checklist_override_reason:
            session.checklist_override_reason = ""
            session.checklist_override_by = None
            session._change_reason += "; the earlier checklist override is withdrawn"
    session.save()
    return session


@transaction.atomic
def checklist_override(*, session: DosingSession, reason: str, by: User) -> DosingSession:
    """A medical provider lets the dose go ahead with the checklist incomplete (DESIGN.md)."""
    _require_provider(by, "override an incomplete checklist")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Write why the dose may go ahead with the checklist incomplete.")
    session = _lock(session)
    if session.is_dosed:
        raise ValidationError("The dose is already recorded.")
    session.checklist_override_reason = reason
    session.checklist_override_by = by
    session._change_reason = "checklist override"
    session.save()
    return session


# --- vitals ----------------------------------------------------------------------------------


@transaction.atomic
def vitals_record(
    *,
    session: DosingSession,
    systolic: int,
    diastolic: int,
    heart_rate: int,
    spo2: int,
    by: User,
    respiratory_rate: int | None = None,
    taken_at: datetime | None = None,
) -> VitalReading:
    """Record one set of vitals; the phase follows the session, the alerts come from
    ``vitals.classify`` with the protocol's thresholds. ValueError for impossible values."""
    session = _lock(session)
    if session.status in (Status.COMPLETED, Status.ABORTED):
        raise ValidationError("This session is closed; no more readings can be added.")
    phase = session.phase
    alerts = vital_rules.classify(
        phase=phase,
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=heart_rate,
        spo2=spo2,
        respiratory_rate=respiratory_rate,
        thresholds=session.course.protocol.thresholds,
    )
    if session.status == Status.PLANNED:
        session.status = Status.IN_PROGRESS
        session.save(update_fields=["status"])
    return VitalReading.objects.create(
        session=session,
        taken_at=taken_at or timezone.now(),
        phase=phase,
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=heart_rate,
        spo2=spo2,
        respiratory_rate=respiratory_rate,
        alerts=sorted(alerts),
        recorded_by=by,
    )


@transaction.atomic
def hold_acknowledge(*, reading: VitalReading, note: str, by: User) -> VitalReading:
    """A medical provider acknowledges a pre-dose BP hold (DESIGN.md, "Vitals")."""
    _require_provider(by, "acknowledge a pre-dose blood-pressure hold")
    note = note.strip()
    if not note:
        raise ValidationError("Write what you decided about the raised blood pressure.")
    _lock(reading.session)
    reading = VitalReading.objects.select_for_update().get(pk=reading.pk)
    if not reading.is_hold:
        raise ValidationError("This reading is not a pre-dose hold.")
    if reading.acknowledged_at is not None:
        raise ValidationError("This hold was already acknowledged.")
    reading.acknowledged_at = timezone.now()
    reading.acknowledged_by = by
    reading.acknowledgement_note = note
    reading.save()
    return reading


# --- the dose --------------------------------------------------------------------------------


@transaction.atomic
def dose_record(
    *,
    session: DosingSession,
    weight_kg: Decimal,
    mg_per_kg: Decimal,
    lot: Lot,
    administered_by: User,
    supervising_provider: User,
    by: User,
    started_at: datetime | None = None,
    override_reason: str = "",
) -> DosingSession:
    """Record the dose and its administration entry in the ledger, in one transaction.

    Refused: incomplete checklist (unless a provider overrode it), an unacknowledged pre-dose
    hold, a dose outside the protocol (unless ``by`` is a medical provider giving
    ``override_reason``), a lot that is expired or holds less than the dose.
    """

    session = _lock(session)
    if session.is_dosed:
        raise ValidationError("The dose for this session is already recorded.")
    if session.status == Status.ABORTED:
        raise ValidationError("This session was aborted.")
    protocol = session.course.protocol
    total = dosing.total_dose_mg(weight_kg, mg_per_kg)  # ValueError for unusable numbers

    problems: list[str] = []
    checklist = selectors.checklist_items(session)
    missing = [item.label for item in checklist if not item.done]
    if missing and not session.checklist_override_reason:
        problems.append(
            "The preparation checklist is incomplete (" + "; ".join(missing) + "). A medical "
            "provider can override it with a reason."
        )
    holds = [r for r in session.vitals.all() if r.needs_acknowledgement]
    if holds:
        problems.append(
            "A pre-dose blood-pressure hold needs a medical provider's acknowledgement."
        )
    if not roles.has_role(supervising_provider, roles.MEDICAL_PROVIDER):
        problems.append("The supervising clinician must be a medical provider.")
    if not roles.has_role(administered_by, roles.CLINICAL):
        problems.append("The dose must be administered by a clinician or medical provider.")
    if problems:
        raise ValidationError(problems)

    override_reason = override_reason.strip()
    protocol_problems = dose_problems(protocol=protocol, mg_per_kg=mg_per_kg, total_mg=total)
    if protocol_problems:
        if not roles.has_role(by, roles.MEDICAL_PROVIDER):
            raise ValidationError(
                protocol_problems + ["Only a medical provider can override the protocol."]
            )
        if not override_reason:
            raise ValidationError(
                protocol_problems + ["To give it anyway, write an override reason."]
            )
    else:
        override_reason = ""  # nothing to override; keep the record honest

    session.weight_kg = weight_kg
    session.mg_per_kg = mg_per_kg
    session.total_mg = total
    session.dose_override_reason = override_reason
    session.dose_override_by = by if override_reason else None
    session.lot = lot
    session.administered_by = administered_by
    session.supervising_provider = supervising_provider
    session.dose_started_at = started_at or timezone.now()
    if protocol.route == "im":
        # An injection ends when it starts; observation runs from then.
        session.dose_ended_at = session.dose_started_at
    session.status = Status.IN_PROGRESS
    session.checklist_at_dose = [dataclasses.asdict(item) for item in checklist]
    session.save()
    _ledger_append(
        lot=lot,
        kind=Kind.ADMINISTRATION,
        change_mg=-total,
        by=by,
        session=session,
        at=session.dose_started_at,
        for_dose=True,
    )
    return session


@transaction.atomic
def dose_end(*, session: DosingSession, by: User, ended_at: datetime | None = None):
    session = _lock(session)
    if not session.is_dosed:
        raise ValidationError("Record the dose first.")
    if session.dose_ended_at is not None:
        raise ValidationError("The end of the dose is already recorded.")
    ended_at = ended_at or timezone.now()
    if ended_at < session.dose_started_at:
        raise ValidationError("The dose cannot end before it started.")
    session.dose_ended_at = ended_at
    session.save()
    return session


# --- events, dissociation, discharge, abort --------------------------------------------------


@transaction.atomic
def adverse_event_record(*, session: DosingSession, by: User, **fields: Any) -> AdverseEvent:
    session = _lock(session)
    return AdverseEvent.objects.create(session=session, recorded_by=by, **fields)


@transaction.atomic
def cadss_record(
    *, session: DosingSession, answers: list[int], by: User, taken_at: datetime | None = None
):
    """CADSS-6 after the dose, scored by the patients' measure service."""
    session = _lock(session)
    if not session.is_dosed:
        raise ValidationError("Rate dissociation after the dose has been given.")
    measure = patient_services.measure_record(
        patient=session.course.patient,
        code=instruments.CADSS6,
        answers=answers,
        by=by,
        taken_at=taken_at,
        context="dosing session",
    )
    session.cadss = measure
    session.save()
    return measure


DISCHARGE_CRITERIA = (
    "vitals_near_baseline",
    "alert_and_oriented",
    "walking_steadily",
    "nausea_controlled",
    "escort_present",
    "instructions_given",
)


@transaction.atomic
def session_discharge(
    *,
    session: DosingSession,
    criteria: Mapping[str, bool],
    escort_name: str,
    by: User,
    at: datetime | None = None,
) -> DosingSession:
    """Complete the session: every discharge criterion met, an escort named, and at least the
    protocol's minimum observation time after the dose ended (DESIGN.md)."""
    session = _lock(session)
    at = at or timezone.now()
    problems = []
    if not session.is_dosed or session.dose_ended_at is None:
        problems.append("Record the end of the dose before discharge.")
    elif at < session.observed_until:
        minutes = session.course.protocol.min_observation_minutes
        local = timezone.localtime(session.observed_until)
        problems.append(
            f"The protocol needs {minutes} minutes of observation after the dose ends: "
            f"discharge from {local:%H:%M}."
        )
    labels = {f: DosingSession._meta.get_field(f).verbose_name for f in DISCHARGE_CRITERIA}
    unmet = [labels[f] for f in DISCHARGE_CRITERIA if not criteria.get(f)]
    if unmet:
        problems.append("Discharge criteria not met: " + ", ".join(unmet) + ".")
    escort_name = escort_name.strip()
    if not escort_name:
        problems.append("Name the responsible adult taking the patient home.")
    if session.status != Status.IN_PROGRESS:
        problems.append("Only a session in progress can be completed.")
    if problems:
        raise ValidationError(problems)
    for name in DISCHARGE_CRITERIA:
        setattr(session, name, True)
    session.discharged_with = escort_name
    session.discharged_at = at
    session.discharged_by = by
    session.status = Status.COMPLETED
    session.save()
    course = TreatmentCourse.objects.select_for_update().get(pk=session.course_id)
    completed = DosingSession.objects.filter(course=course, status=Status.COMPLETED).count()
    if completed >= course.planned_sessions and course.status == TreatmentCourse.Status.ACTIVE:
        course.status = TreatmentCourse.Status.COMPLETED
        course._change_reason = f"all {completed} planned sessions completed"
        course.save()
    return session


@transaction.atomic
def session_abort(*, session: DosingSession, reason: str, by: User) -> DosingSession:
    reason = reason.strip()
    if not reason:
        raise ValidationError("Write why the session was stopped.")
    session = _lock(session)
    if session.status in (Status.COMPLETED, Status.ABORTED):
        raise ValidationError("This session is already closed.")
    session.status = Status.ABORTED
    session.abort_reason = reason
    session._change_reason = f"aborted by {by}"
    session.save()
    return session
