"""Writes at the infusion chair: the preparation checklist and its per-item overrides, the
review of the day's screens, vitals with their holds and alerts, adverse events, dissociation
and abort. The dose is in ``dose``, discharge in ``discharge``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kap_clinic import roles
from patients import instruments
from patients import services as patient_services
from sessions import selectors
from sessions import vitals as vital_rules
from sessions.models import (
    CONTRAINDICATIONS_NEW_FOUND,
    CONTRAINDICATIONS_NOT_ASKED,
    CONTRAINDICATIONS_NOTHING_NEW,
    NEW_CONTRAINDICATION_NEEDS_NOTE,
    AdverseEvent,
    ChecklistOverride,
    DosingSession,
    VitalReading,
)
from sessions.services.common import _charted_time, _lock, _require_provider

Status = DosingSession.Status


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
    it back to "nothing new" — and it is a hard stop no override lifts (DESIGN.md, "Chair-side
    safety"): the session is aborted and eligibility reassessed.
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
                "session and stays on its checklist: no dose in this session. Abort it; a "
                "provider reassesses eligibility with a new intake."
            }
        )
    if answer == CONTRAINDICATIONS_NEW_FOUND and not session.contraindications_note:
        raise ValidationError({"contraindications_note": NEW_CONTRAINDICATION_NEEDS_NOTE})
    if answer == CONTRAINDICATIONS_NEW_FOUND and not found_before:
        session._change_reason = f"new contraindication found by {by}"
    session.save()
    return session


@transaction.atomic
def checklist_override(
    *, session: DosingSession, item: str, reason: str, by: User, at: datetime | None = None
) -> ChecklistOverride:
    """A medical provider lets the dose go ahead with one checklist item not done, with the
    reason (DESIGN.md, "Chair-side safety"). Hard stops (consent, eligibility, a positive
    pregnancy test, a high-risk C-SSRS that day, a new contraindication) cannot be overridden."""
    _require_provider(by, "override a checklist item")
    reason = reason.strip()
    session = _lock(session)
    if session.is_dosed:
        raise ValidationError("The dose is already recorded.")
    items = {i.key: i for i in selectors.checklist_items(session, at)}
    target = items.get(item)
    if target is None:
        raise ValidationError("Choose one of the checklist items.")
    if target.hard_stop:
        raise ValidationError(f"“{target.label}” cannot be overridden. {target.hard_stop}")
    if not target.overridable:
        raise ValidationError(
            f"“{target.label}” cannot be overridden: a clinician documents the review below."
        )
    if target.done:
        raise ValidationError(f"“{target.label}” is done; there is nothing to override.")
    if target.overridden:
        raise ValidationError(f"“{target.label}” is already overridden.")
    if not reason:
        raise ValidationError(f"Write why the dose may go ahead without “{target.label}”.")
    return ChecklistOverride.objects.create(
        session=session, item=item, label=target.label[:300], reason=reason, by=by
    )


@transaction.atomic
def screens_review_record(*, session: DosingSession, note: str, by: User) -> DosingSession:
    """A clinician documents their review of the day's concerning screens (moderate C-SSRS risk
    or PHQ-9 item 9 above 0) before the dose (DESIGN.md, "Screens")."""
    if not roles.has_role(by, roles.CLINICAL):
        raise ValidationError("Only a clinician or medical provider can review the screens.")
    note = note.strip()
    if not note:
        raise ValidationError(
            "Write what you reviewed with the patient (risk, safety plan) and what you decided."
        )
    session = _lock(session)
    if session.is_dosed:
        raise ValidationError("The dose is already recorded.")
    session.screens_reviewed_at = timezone.now()
    session.screens_reviewed_by = by
    session.screens_review_note = note
    session._change_reason = "screens reviewed"
    session.save()
    return session


# --- vitals ----------------------------------------------------------------------------------


def phase_at(session: DosingSession, at: datetime) -> str:
    """The vitals phase of a reading taken at ``at``: a back-charted reading before the dose
    started is a pre-dose reading."""
    if session.dose_started_at is None or at < session.dose_started_at:
        return vital_rules.PRE
    if session.dose_ended_at is None or at < session.dose_ended_at:
        return vital_rules.DURING
    return vital_rules.POST


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
    """Record one set of vitals, now or back-charted (``taken_at``, in the past and not before
    the session started); the phase follows the time, the alerts come from ``vitals.classify``
    with the protocol's thresholds. ValueError for impossible values. A pre-dose reading after
    one that held the dose is recorded as its recheck."""
    session = _lock(session)
    if session.status in (Status.COMPLETED, Status.ABORTED):
        raise ValidationError("This session is closed; no more readings can be added.")
    taken_at = _charted_time(session, taken_at, "reading")
    phase = phase_at(session, taken_at)
    alerts = vital_rules.classify(
        phase=phase,
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=heart_rate,
        spo2=spo2,
        respiratory_rate=respiratory_rate,
        thresholds=session.course.protocol.thresholds,
    )
    recheck_of = None
    if phase == vital_rules.PRE:
        earlier = [r for r in session.vitals.filter(phase=vital_rules.PRE, taken_at__lte=taken_at)]
        if earlier and earlier[-1].is_hold:
            recheck_of = earlier[-1]
    if session.status == Status.PLANNED:
        session.status = Status.IN_PROGRESS
        session.save(update_fields=["status"])
    return VitalReading.objects.create(
        session=session,
        taken_at=taken_at,
        entered_at=timezone.now(),
        phase=phase,
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=heart_rate,
        spo2=spo2,
        respiratory_rate=respiratory_rate,
        alerts=sorted(alerts),
        recheck_of=recheck_of,
        recorded_by=by,
    )


@transaction.atomic
def hold_acknowledge(*, reading: VitalReading, note: str, by: User) -> VitalReading:
    """A medical provider acknowledges a pre-dose hold, any alert-level reading before the dose
    (DESIGN.md, "Pre-dose holds"), so the dose may go on."""
    _require_provider(by, "acknowledge a pre-dose hold")
    note = note.strip()
    if not note:
        raise ValidationError("Write what you decided about the reading that holds the dose.")
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


@transaction.atomic
def alert_acknowledge(*, reading: VitalReading, action: str, by: User) -> VitalReading:
    """A clinician records the action taken on an alert during or after the dose; until then
    it stays open, red on the session page, on the providers' home page, and blocks discharge
    (DESIGN.md, "During")."""
    if not roles.has_role(by, roles.CLINICAL):
        raise ValidationError("Only a clinician or medical provider can answer an alert.")
    action = action.strip()
    if not action:
        raise ValidationError("Write the action taken (e.g. rechecked, informed the provider).")
    _lock(reading.session)
    reading = VitalReading.objects.select_for_update().get(pk=reading.pk)
    if not reading.alerts or reading.is_hold:
        raise ValidationError("This reading raised no alert during or after the dose.")
    if reading.acknowledged_at is not None:
        raise ValidationError("The action on this alert is already recorded.")
    reading.acknowledged_at = timezone.now()
    reading.acknowledged_by = by
    reading.acknowledgement_note = action
    reading.save()
    return reading


# --- events, dissociation, discharge, abort --------------------------------------------------


@transaction.atomic
def adverse_event_record(*, session: DosingSession, by: User, **fields: Any) -> AdverseEvent:
    """An adverse event, its onset back-charted if need be (in the past, not before the session
    started); ``created_at`` keeps when it was typed."""
    session = _lock(session)
    fields["onset_at"] = _charted_time(session, fields.get("onset_at"), "adverse event")
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
