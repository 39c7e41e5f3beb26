"""Booking an appointment and its lifecycle: book, reschedule, cancel, check in, complete,
no-show, and the patient's answers through signed links."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from patients.models import Patient
from patients.services import patient_create, patient_set_status
from scheduling import hooks
from scheduling.models import Appointment, AppointmentType, GroupType, Reminder, Room
from scheduling.services.checks import (
    SchedulingError,
    _locked,
    _prepare_slot,
    _save_guarded,
    check_provider_role,
)
from scheduling.services.reminders import _cancel_unsent, reminders_plan
from scheduling.services.selfreport import patient_messages_plan

# --- booking ---------------------------------------------------------------------------------


@transaction.atomic
def appointment_book(
    *,
    patient,
    type: AppointmentType,
    clinician: User,
    starts_at: datetime,
    room: Room | None = None,
    by: User,
    allow_outside_hours: bool = False,
    now: datetime | None = None,
) -> Appointment:
    """Book a visit; the end comes from the type's duration and a free room of the right kind
    is chosen unless ``room`` is given. Plans the reminders in the same transaction.

    Raises BookingConflict (naming the other appointment), SchedulingError (past, wrong room,
    wrong provider) or OutsideWorkingHours (repeat with ``allow_outside_hours=True``).

    ``now`` is the moment of booking when it is not the present (a booking entered after the
    fact, the demo clinic's past visits): the checks and the reminders are as of then, and so
    is ``booked_at``.
    """

    booked_then = now
    now = now or timezone.now()
    if patient.is_archived:
        # The booking forms refuse too; here so the admin, the series and any later caller do.
        raise SchedulingError(
            f"{patient.display_name} ({patient.mrn}) is archived: restore them on their page "
            "before booking."
        )
    if GroupType.objects.filter(appointment_type=type).exists():
        raise SchedulingError(
            f"{type.name} is a group: enrol the patient in a meeting under Schedule → Groups."
        )
    check_provider_role(type=type, clinician=clinician)
    slot = _prepare_slot(
        patient_id=patient.pk,
        type=type,
        clinician=clinician,
        starts_at=starts_at,
        room=room,
        allow_outside_hours=allow_outside_hours,
        now=now,
    )
    appointment = Appointment(
        patient=patient,
        type=type,
        clinician=clinician,
        room=slot.room,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        booked_by=by,
    )
    appointment._change_reason = f"booked by {by}"
    _save_guarded(appointment)
    if booked_then is not None:
        # booked_at is set on insert (auto_now_add); the given moment is written after it.
        Appointment.objects.filter(pk=appointment.pk).update(booked_at=booked_then)
        appointment.booked_at = booked_then
    if type.kind == AppointmentType.Kind.CONSULTATION and patient.status == Patient.Status.INQUIRY:
        patient_set_status(patient=patient, status=Patient.Status.CONSULTATION_SCHEDULED, by=by)
    reminders_plan(appointment=appointment, now=now)
    patient_messages_plan(appointment=appointment, now=now)
    return appointment


@transaction.atomic
def inquiry_book_consultation(
    *,
    patient_fields: dict,
    type: AppointmentType,
    clinician: User,
    starts_at: datetime,
    room: Room | None = None,
    by: User,
    allow_outside_hours: bool = False,
) -> Appointment:
    """Register a new inquiry and book their consultation, both or neither."""

    if type.kind != AppointmentType.Kind.CONSULTATION:
        raise SchedulingError("A new inquiry can only be booked for a consultation.")
    patient = patient_create(by=by, **patient_fields)
    return appointment_book(
        patient=patient,
        type=type,
        clinician=clinician,
        starts_at=starts_at,
        room=room,
        by=by,
        allow_outside_hours=allow_outside_hours,
    )


def _require_status(appointment: Appointment, *allowed: str, doing: str) -> None:
    if appointment.status not in allowed:
        raise SchedulingError(
            f"A {appointment.get_status_display().lower()} appointment cannot be {doing}."
        )


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    starts_at: datetime,
    clinician: User | None = None,
    room: Room | None = None,
    by: User,
    allow_outside_hours: bool = False,
    now: datetime | None = None,
) -> Appointment:
    """Move an appointment (and its reminders); the same checks as booking."""
    now = now or timezone.now()
    locked = _locked(appointment)
    _require_status(locked, Appointment.Status.BOOKED, doing="rescheduled")
    if locked.group_meeting_id is not None:
        raise SchedulingError(
            "A group place is at its meeting's time: cancel it and enrol in another meeting."
        )
    clinician = clinician or locked.clinician
    check_provider_role(type=locked.type, clinician=clinician)
    slot = _prepare_slot(
        patient_id=locked.patient_id,
        type=locked.type,
        clinician=clinician,
        starts_at=starts_at,
        room=room,
        allow_outside_hours=allow_outside_hours,
        now=now,
        exclude_pk=locked.pk,
    )
    locked.clinician = clinician
    locked.room = slot.room
    locked.starts_at, locked.ends_at = slot.starts_at, slot.ends_at
    locked.rescheduled_at, locked.rescheduled_by = now, by
    # A confirmation was for the old time.
    locked.confirmed_at, locked.confirmed_via = None, ""
    locked._change_reason = f"rescheduled by {by}"
    _save_guarded(locked)
    reminders_plan(appointment=locked, now=now)
    patient_messages_plan(appointment=locked, now=now)
    # The treatment record builds on the schedule: sessions registers here (kap_clinic.hooks).
    hooks.appointment_rescheduled(appointment=locked, by=by)
    return locked


@transaction.atomic
def appointment_cancel(
    *,
    appointment: Appointment,
    reason: str,
    by: User | None,
    via: str = Appointment.Via.STAFF,
    now: datetime | None = None,
) -> Appointment:
    """Cancel (never delete); frees the slot and cancels the reminders not yet sent."""
    reason = reason.strip()
    if not reason:
        raise SchedulingError("Give a reason for the cancellation.")
    now = now or timezone.now()
    locked = _locked(appointment)
    _require_status(locked, Appointment.Status.BOOKED, doing="cancelled")
    locked.status = Appointment.Status.CANCELLED
    locked.cancelled_at, locked.cancelled_by = now, by
    locked.cancelled_via, locked.cancellation_reason = via, reason
    locked._change_reason = "cancelled by the patient" if by is None else f"cancelled by {by}"
    locked.save()
    Reminder.objects.filter(
        appointment=locked, status__in=[Reminder.Status.PENDING, Reminder.Status.FAILED]
    ).update(status=Reminder.Status.CANCELLED, updated_at=now)
    # A planned dosing session on this visit keeps its link on purpose: there is no new visit
    # to move it to yet, and unlinking would lose which visit it was planned on. Its page says
    # "visit cancelled — link the new booking" (sessions.services.session_link_appointment).
    return locked


@transaction.atomic
def appointment_check_in(
    *, appointment: Appointment, by: User, now: datetime | None = None
) -> Appointment:
    now = now or timezone.now()
    locked = _locked(appointment)
    _require_status(locked, Appointment.Status.BOOKED, doing="checked in")
    if timezone.localdate(locked.starts_at) != timezone.localdate(now):
        raise SchedulingError("Only today's appointments can be checked in.")
    locked.status = Appointment.Status.CHECKED_IN
    locked.checked_in_at, locked.checked_in_by = now, by
    locked._change_reason = f"checked in by {by}"
    locked.save()
    _cancel_unsent(locked, now)
    return locked


@transaction.atomic
def appointment_complete(
    *, appointment: Appointment, by: User, now: datetime | None = None
) -> Appointment:
    now = now or timezone.now()
    locked = _locked(appointment)
    _require_status(
        locked, Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN, doing="completed"
    )
    if locked.starts_at > now:
        raise SchedulingError("An appointment cannot be completed before it starts.")
    locked.status = Appointment.Status.COMPLETED
    locked.completed_at, locked.completed_by = now, by
    locked._change_reason = f"completed by {by}"
    locked.save()
    _cancel_unsent(locked, now)
    return locked


@transaction.atomic
def appointment_no_show(
    *, appointment: Appointment, by: User, now: datetime | None = None
) -> Appointment:
    now = now or timezone.now()
    locked = _locked(appointment)
    _require_status(locked, Appointment.Status.BOOKED, doing="marked as a no-show")
    if locked.starts_at > now:
        raise SchedulingError("A patient can only miss an appointment that has started.")
    locked.status = Appointment.Status.NO_SHOW
    locked.no_show_at, locked.no_show_by = now, by
    locked._change_reason = f"no-show recorded by {by}"
    locked.save()
    _cancel_unsent(locked, now)
    return locked


# --- the patient's answers through signed links ----------------------------------------------


def _require_answerable(appointment: Appointment, now: datetime) -> Appointment:
    locked = _locked(appointment)
    if locked.status != Appointment.Status.BOOKED or locked.starts_at <= now:
        raise SchedulingError("This appointment can no longer be changed online.")
    return locked


@transaction.atomic
def appointment_confirm(*, appointment: Appointment, now: datetime | None = None) -> Appointment:
    now = now or timezone.now()
    locked = _require_answerable(appointment, now)
    if locked.confirmed_at is None:
        locked.confirmed_at, locked.confirmed_via = now, Appointment.Via.LINK
        locked._change_reason = "confirmed by the patient"
        locked.save()
    return locked


@transaction.atomic
def appointment_record_preparation(
    *,
    appointment: Appointment,
    fasting: bool,
    escort_name: str,
    escort_phone: str,
    now: datetime | None = None,
) -> Appointment:
    """The patient confirms fasting and names their escort (dosing visits only)."""
    now = now or timezone.now()
    locked = _require_answerable(appointment, now)
    if not locked.type.is_dosing:
        raise SchedulingError("Only dosing visits ask for fasting and an escort.")
    if fasting:
        locked.fasting_confirmed_at = now
    if escort_name.strip() and escort_phone.strip():
        locked.escort_name, locked.escort_phone = escort_name.strip(), escort_phone.strip()
        locked.escort_recorded_at = now
    locked._change_reason = "preparation answered by the patient"
    locked.save()
    return locked
