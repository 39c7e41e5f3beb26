"""Treatment courses and their planned dosing sessions, and how a planned session follows its
booked visit."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.models import Patient
from scheduling.models import Appointment, AppointmentType
from sessions.models import (
    VISIT_GONE,
    DosingProtocol,
    DosingSession,
    LedgerEntry,
    TreatmentCourse,
)
from sessions.services.chair import session_abort
from sessions.services.common import _lock

Status = DosingSession.Status
Kind = LedgerEntry.Kind


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
