"""Every write to treatment courses, dosing sessions, follow-ups and the controlled-substance
ledger. Views, the admin, the demo seeder and tests call these, so each rule lives once.

Refusals raise ``django.core.exceptions.ValidationError`` with a message for the user. Role
checks that belong to the rule itself (only a medical provider overrides, acknowledges a hold
or writes the ledger) are made here too, not only in the views.
"""

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
from kap_clinic.witness import witness_verify
from patients import instruments
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.models import Patient
from scheduling.models import Appointment, AppointmentType
from sessions import dosing
from sessions import vitals as vital_rules
from sessions.models import (
    CONTRAINDICATIONS_NEW_FOUND,
    CONTRAINDICATIONS_NOT_ASKED,
    CONTRAINDICATIONS_NOTHING_NEW,
    NEW_CONTRAINDICATION_NEEDS_NOTE,
    VISIT_GONE,
    AdverseEvent,
    DosingProtocol,
    DosingSession,
    IntegrationFollowUp,
    LedgerEntry,
    Lot,
    SessionAddendum,
    TreatmentCourse,
    VitalReading,
)

Status = DosingSession.Status
Kind = LedgerEntry.Kind


def _require_provider(user: User, what: str) -> None:
    if not roles.has_role(user, roles.MEDICAL_PROVIDER):
        raise ValidationError(f"Only a medical provider can {what}.")


def _refuse_if_signed(session: DosingSession) -> None:
    if session.is_signed:
        raise ValidationError("This session record is signed and locked; add an addendum instead.")


def _lock(session: DosingSession) -> DosingSession:
    """Re-read the session under a row lock, so two tablets cannot dose or sign it twice."""
    locked = (
        DosingSession.objects.select_for_update()
        .select_related("course__protocol", "course__patient")
        .get(pk=session.pk)
    )
    _refuse_if_signed(locked)
    return locked


# --- courses ---------------------------------------------------------------------------------


@transaction.atomic
def course_start(
    *,
    patient: Patient,
    protocol: DosingProtocol,
    planned_sessions: int,
    starts_on,
    by: User,
) -> TreatmentCourse:
    """Start a treatment course. Needs signed eligibility and a current consent (DESIGN.md)."""
    problems = []
    if not patient_selectors.eligibility_is_signed(patient):
        problems.append("A medical provider has not signed this patient as eligible.")
    if not patient_selectors.consent_is_current(patient):
        problems.append("The patient has no current signed consent.")
    if planned_sessions < 1:
        problems.append("Plan at least one dosing session.")
    if problems:
        raise ValidationError(problems)
    course = TreatmentCourse.objects.create(
        patient=patient,
        protocol=protocol,
        planned_sessions=planned_sessions,
        starts_on=starts_on,
        created_by=by,
    )
    if patient.status != Patient.Status.IN_TREATMENT:
        patient_services.patient_set_status(
            patient=patient, status=Patient.Status.IN_TREATMENT, by=by
        )
    return course


@transaction.atomic
def course_stop(*, course: TreatmentCourse, reason: str, by: User) -> TreatmentCourse:
    """Stop an active course by hand: the patient discontinues, or the clinic decides so.

    Its planned sessions are aborted with the reason (an aborted session needs one). A session
    under way (vitals taken or dosed, not yet discharged) refuses the stop: it is finished or
    aborted on its own page first, so nobody closes a session in the chair from the course page.
    Booked visits stay on the schedule; cancelling them is the schedule's business.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Write why the course is stopped.")
    course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
    if course.status != TreatmentCourse.Status.ACTIVE:
        raise ValidationError(
            f"This course is {course.get_status_display().lower()}; only an active course "
            "can be stopped."
        )
    open_sessions = list(
        DosingSession.objects.select_for_update()
        .filter(course=course)
        .exclude(status__in=(Status.COMPLETED, Status.ABORTED))
        .order_by("number")
    )
    under_way = [s.number for s in open_sessions if s.status != Status.PLANNED or s.is_dosed]
    if under_way:
        numbers = ", ".join(str(n) for n in under_way)
        raise ValidationError(
            f"Session {numbers} is under way. Discharge the patient or abort the session on "
            "its own page before stopping the course."
        )
    for planned in open_sessions:
        session_abort(session=planned, reason=f"Course stopped: {reason}", by=by)
    course.status = TreatmentCourse.Status.STOPPED
    course.stop_reason = reason
    course.stopped_at = timezone.now()
    course.stopped_by = by
    course._change_reason = f"stopped by {by}"
    course.save()
    return course


@transaction.atomic
def session_plan(
    *,
    course: TreatmentCourse,
    scheduled_for: datetime | None = None,
    by: User,
    appointment: Appointment | None = None,
) -> DosingSession:
    """Add the next dosing session to a course (numbered in order), optionally for a booked
    appointment, whose time it takes."""
    course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
    if appointment is not None:
        if appointment.patient_id != course.patient_id:
            raise ValidationError("That appointment is for another patient.")
        if DosingSession.objects.filter(appointment=appointment).exists():
            raise ValidationError("That appointment already has a dosing session.")
        scheduled_for = appointment.starts_at
    if scheduled_for is None:
        raise ValidationError("Say when the session is.")
    if course.status != TreatmentCourse.Status.ACTIVE:
        raise ValidationError("This course is no longer active.")
    taken = DosingSession.objects.filter(course=course).exclude(status=Status.ABORTED).count()
    if taken >= course.planned_sessions:
        raise ValidationError(
            f"All {course.planned_sessions} planned sessions of this course are already set up."
        )
    number = DosingSession.objects.filter(course=course).order_by("-number").first()
    return DosingSession.objects.create(
        course=course,
        number=(number.number + 1) if number else 1,
        scheduled_for=scheduled_for,
        appointment=appointment,
        created_by=by,
    )


def session_follow_appointment(*, appointment: Appointment, by: User) -> DosingSession | None:
    """A planned session takes its booked visit's new time when the visit is rescheduled.

    The checklist decides which PHQ-9 and C-SSRS are "today's" from the session's time, so a
    session left on the old day would not see the screens recorded at the chair. Called by the
    reschedule inside its transaction; a session already under way keeps its record as it is.
    """
    session = (
        DosingSession.objects.select_for_update()
        .filter(appointment=appointment, status=Status.PLANNED)
        .first()
    )
    if session is None or session.scheduled_for == appointment.starts_at:
        return session
    session.scheduled_for = appointment.starts_at
    session._change_reason = f"visit rescheduled by {by}"
    session.save(update_fields=["scheduled_for"])
    return session


@transaction.atomic
def session_link_appointment(
    *, session: DosingSession, appointment: Appointment, by: User
) -> DosingSession:
    """Link a planned session to the patient's new booked dosing visit, taking its time.

    A cancelled or missed visit is not unlinked when it is cancelled (see
    ``scheduling.services.appointment_cancel``): the session keeps it, and its page says so,
    until someone links the new booking here. From then on the checklist reads the patient's
    fasting and escort answers from the new visit's reminder links.
    """
    session = _lock(session)
    # Locked too, so two sessions cannot both be linked to one visit at the same moment.
    appointment = (
        Appointment.objects.select_for_update().select_related("type").get(pk=appointment.pk)
    )
    current = session.appointment
    problems = []
    if session.status != Status.PLANNED or session.is_dosed:
        problems.append("Only a planned session that has not been dosed can be linked to a visit.")
    elif current is not None and current.status not in VISIT_GONE:
        problems.append("This session's booked visit is still on; reschedule that visit instead.")
    if appointment.patient_id != session.course.patient_id:
        problems.append("That visit is for another patient.")
    if appointment.type.kind != AppointmentType.Kind.DOSING:
        problems.append("That visit is not a dosing visit.")
    if not appointment.is_open:
        problems.append(f"That visit is {appointment.get_status_display().lower()}, not booked.")
    elif appointment.ends_at <= timezone.now():
        problems.append("That visit is over.")
    if DosingSession.objects.filter(appointment=appointment).exclude(pk=session.pk).exists():
        problems.append("That visit already has a dosing session.")
    if problems:
        raise ValidationError(problems)
    session.appointment = appointment
    session.scheduled_for = appointment.starts_at
    # The history row keeps the old and new visit ids; the reason (at most 100 characters in
    # simple-history's column) says what happened and who did it.
    was = f"{current.get_status_display().lower()} " if current is not None else ""
    session._change_reason = f"{was}visit replaced by a new booking; by {by}"[:100]
    session.save(update_fields=["appointment", "scheduled_for"])
    return session


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


def dose_problems(*, protocol: DosingProtocol, mg_per_kg: Decimal, total_mg: Decimal) -> list[str]:
    """The protocol's range/cap problems with a dose, each sentence ending with the range."""
    return dosing.check_dose(
        mg_per_kg=mg_per_kg,
        total_mg=total_mg,
        min_mg_per_kg=protocol.min_mg_per_kg,
        max_mg_per_kg=protocol.max_mg_per_kg,
        cap_mg=protocol.cap_mg,
    )


def lot_balance(lot: Lot) -> Decimal:
    last = LedgerEntry.objects.filter(lot=lot).order_by("-recorded_at", "-id").first()
    return last.balance_after_mg if last else Decimal("0.0")


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
    from sessions import selectors  # the checklist reads patients' selectors

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


# --- note, signature, addenda ----------------------------------------------------------------


@transaction.atomic
def note_save(*, session: DosingSession, text: str, by: User) -> DosingSession:
    session = _lock(session)
    session.note = text.strip()
    session.save()
    return session


@transaction.atomic
def session_sign(*, session: DosingSession, by: User, at: datetime | None = None) -> DosingSession:
    """Sign the therapist's note; the whole session record is locked from now on.

    ``at`` dates a signature entered after the fact (an import, the demo clinic): never in the
    future, never before the patient was discharged.
    """
    session = _lock(session)
    problems = []
    if session.status not in (Status.COMPLETED, Status.ABORTED):
        problems.append("Discharge the patient (or abort the session) before signing.")
    if not session.note:
        problems.append("Write the session note before signing.")
    if at is not None and at > timezone.now():
        problems.append("A note cannot be signed in the future.")
    elif at is not None and session.discharged_at is not None and at < session.discharged_at:
        problems.append("A note cannot be signed before the patient was discharged.")
    if problems:
        raise ValidationError(problems)
    session.signed_at = at or timezone.now()
    session.signed_by = by
    session._change_reason = "signed"
    session.save()
    return session


@transaction.atomic
def addendum_add(*, session: DosingSession, text: str, by: User) -> SessionAddendum:
    text = text.strip()
    if not text:
        raise ValidationError("The addendum is empty.")
    session = DosingSession.objects.get(pk=session.pk)
    if not session.is_signed:
        raise ValidationError("Edit the note directly until it is signed.")
    return SessionAddendum.objects.create(session=session, text=text, author=by)


# --- integration -----------------------------------------------------------------------------


@transaction.atomic
def follow_up_record(
    *,
    session: DosingSession,
    themes: str,
    insights: str,
    plan: str,
    by: User,
    held_at: datetime | None = None,
    phq9: list[int] | None = None,
) -> IntegrationFollowUp:
    """A signed integration follow-up (locked from the start), with an optional repeat PHQ-9."""
    session = DosingSession.objects.select_related("course__patient").get(pk=session.pk)
    if not session.is_dosed:
        raise ValidationError("Integration follows a dosing session that took place.")
    held_at = held_at or timezone.now()
    follow_up = IntegrationFollowUp.objects.create(
        session=session,
        held_at=held_at,
        themes=themes.strip(),
        insights=insights.strip(),
        plan=plan.strip(),
        signed_by=by,
    )
    if phq9 is not None:
        measure = patient_services.measure_record(
            patient=session.course.patient,
            code=instruments.PHQ9,
            answers=phq9,
            by=by,
            taken_at=held_at,
            context="integration follow-up",
        )
        follow_up.measures.add(measure)
    return follow_up


# --- controlled-substance ledger -------------------------------------------------------------


def _ledger_append(
    *,
    lot: Lot,
    kind: str,
    change_mg: Decimal,
    by: User,
    session: DosingSession | None = None,
    witness: User | None = None,
    reason: str = "",
    counted_mg: Decimal | None = None,
    corrects: LedgerEntry | None = None,
    at: datetime | None = None,
    for_dose: bool = False,
) -> LedgerEntry:
    """Append one entry, computing the running balance under a lock on the lot, so two
    entries at once cannot both read the same balance."""
    locked = Lot.objects.select_for_update().get(pk=lot.pk)
    balance = lot_balance(locked)
    after = balance + change_mg
    if for_dose:
        if locked.is_expired():
            raise ValidationError(f"Lot {locked.lot_number} expired on {locked.expires_on}.")
        if balance <= 0:
            raise ValidationError(f"Lot {locked.lot_number} is exhausted.")
    if after < 0:
        raise ValidationError(
            f"Lot {locked.lot_number} holds {balance} mg; {-change_mg} mg would take it below zero."
        )
    return LedgerEntry.objects.create(
        lot=locked,
        kind=kind,
        change_mg=change_mg,
        balance_after_mg=after,
        counted_mg=counted_mg,
        session=session,
        witness=witness,
        corrects=corrects,
        reason=reason,
        recorded_by=by,
        recorded_at=at or timezone.now(),
    )


def _mg(value: Decimal, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError(f"{what} must be a number of mg.")
    return value.quantize(Decimal("0.1"))


@transaction.atomic
def lot_receive(
    *,
    lot_number: str,
    supplier: str,
    concentration_mg_per_ml: Decimal,
    vial_volume_ml: Decimal,
    vial_count: int,
    expires_on,
    by: User,
    product: str = "Ketamine hydrochloride injection",
    received_at: datetime | None = None,
) -> Lot:
    """Receive a lot: the lot row and its receipt entry (DEA: receipt of each lot)."""
    _require_provider(by, "receive controlled substances")
    if Lot.objects.filter(lot_number=lot_number.strip()).exists():
        raise ValidationError(f"Lot {lot_number} is already in the ledger.")
    if concentration_mg_per_ml <= 0 or vial_volume_ml <= 0 or vial_count <= 0:
        raise ValidationError("Concentration, volume and vial count must be more than zero.")
    received_at = received_at or timezone.now()
    lot = Lot.objects.create(
        lot_number=lot_number.strip(),
        product=product,
        supplier=supplier.strip(),
        concentration_mg_per_ml=concentration_mg_per_ml,
        vial_volume_ml=vial_volume_ml,
        vial_count=vial_count,
        expires_on=expires_on,
        received_at=received_at,
        received_by=by,
    )
    _ledger_append(
        lot=lot,
        kind=Kind.RECEIPT,
        change_mg=lot.received_mg,
        by=by,
        reason=f"{vial_count} × {lot.mg_per_vial} mg vials from {lot.supplier}",
        at=received_at,
    )
    return lot


@transaction.atomic
def ledger_waste(
    *,
    lot: Lot,
    quantity_mg: Decimal,
    reason: str,
    witness: User | None,
    witness_password: str,
    by: User,
) -> LedgerEntry:
    """Waste with a second person as witness, who confirms with their own password (DEA)."""
    _require_provider(by, "record waste")
    quantity = _mg(quantity_mg, "The wasted amount")
    if quantity <= 0:
        raise ValidationError("The wasted amount must be more than 0 mg.")
    if witness is None:
        raise ValidationError("Waste needs a witness.")
    if witness.pk == by.pk:
        raise ValidationError("The witness must be another person, not you.")
    if (
        not witness.is_active
        or not roles.has_role(witness, roles.CLINICAL)
        or not witness_verify(witness=witness, password=witness_password, by=by)
    ):
        raise ValidationError("The witness's password is not correct.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say what was wasted and why.")
    return _ledger_append(
        lot=lot, kind=Kind.WASTE, change_mg=-quantity, by=by, witness=witness, reason=reason
    )


@transaction.atomic
def ledger_count(*, lot: Lot, counted_mg: Decimal, by: User, note: str = "") -> LedgerEntry:
    """A physical count. A discrepancy is recorded, not silently absorbed: resolving it is a
    correction entry with a reason."""
    _require_provider(by, "record a count")
    counted = _mg(counted_mg, "The counted amount")
    if counted < 0:
        raise ValidationError("A count cannot be negative.")
    return _ledger_append(
        lot=lot,
        kind=Kind.COUNT,
        change_mg=Decimal("0.0"),
        by=by,
        counted_mg=counted,
        reason=note.strip(),
    )


@transaction.atomic
def ledger_correct(
    *,
    lot: Lot,
    change_mg: Decimal,
    reason: str,
    by: User,
    corrects: LedgerEntry | None = None,
) -> LedgerEntry:
    _require_provider(by, "record a correction")
    change = _mg(change_mg, "The correction")
    if change == 0:
        raise ValidationError("A correction must change the balance.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("A correction needs a reason.")
    if corrects is not None and corrects.lot_id != lot.pk:
        raise ValidationError("That entry belongs to another lot.")
    return _ledger_append(
        lot=lot, kind=Kind.CORRECTION, change_mg=change, by=by, reason=reason, corrects=corrects
    )
