"""The checks every booking-shaped write makes: overlaps, working hours, the provider's role,
and the row locks that serialise bookings which could collide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kap_clinic import roles
from patients.models import Patient
from scheduling.availability import (
    clinic_local,
    free_room,
    overlapping,
    overlapping_meetings,
    within_working_hours,
)
from scheduling.models import Appointment, AppointmentType, Room, WorkingHours

EXCLUSION_CONSTRAINTS = (
    "appointment_no_clinician_overlap",
    "appointment_no_room_overlap",
    "appointment_no_patient_overlap",
)


class SchedulingError(ValidationError):
    """A refused scheduling change, with a message fit to show the person who asked."""


class BookingConflict(SchedulingError):
    def __init__(self, message: str, *, conflict: Appointment | None = None) -> None:
        super().__init__(message, code="conflict")
        self.conflict = conflict


class OutsideWorkingHours(SchedulingError):
    """A warning: the caller may repeat the booking with ``allow_outside_hours=True``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="outside_hours")


# --- checks ----------------------------------------------------------------------------------


def _describe(appointment: Appointment) -> str:
    start = timezone.localtime(appointment.starts_at)
    end = timezone.localtime(appointment.ends_at)
    room = f" in {appointment.room.name}" if appointment.room_id else ""
    return (
        f"{appointment.type.name} for {appointment.patient.display_name} with "
        f"{appointment.clinician_name}{room}, {start:%a %d %b %H:%M}–{end:%H:%M}"
    )


def find_conflict(
    *,
    patient_id: int,
    clinician_id: int,
    room_id: int | None,
    starts_at: datetime,
    ends_at: datetime,
    exclude_pk: int | None = None,
) -> BookingConflict | None:
    """The first clinician, room or patient overlap, as the error to raise, or None."""
    for appointment in overlapping(starts_at, ends_at, exclude_pk).order_by("starts_at"):
        # A group member's place holds the facilitator and room through its meeting (below),
        # so the message names the group, not one of its members.
        seat = appointment.group_meeting_id is not None
        if appointment.clinician_id == clinician_id and not seat:
            who = f"{appointment.clinician_name} is already booked"
        elif room_id is not None and appointment.room_id == room_id and not seat:
            who = f"{appointment.room.name} is already booked"
        elif appointment.patient_id == patient_id:
            who = "The patient already has an appointment"
        else:
            continue
        return BookingConflict(f"{who}: {_describe(appointment)}.", conflict=appointment)
    for meeting in overlapping_meetings(starts_at, ends_at).order_by("starts_at"):
        if clinician_id in (meeting.facilitator_id, meeting.co_facilitator_id):
            who = "The clinician facilitates a group"
        elif room_id is not None and meeting.room_id == room_id:
            who = f"{meeting.room.name} is taken by a group"
        else:
            continue
        start, end = clinic_local(meeting.starts_at), clinic_local(meeting.ends_at)
        return BookingConflict(f"{who}: {meeting.name}, {start:%a %d %b %H:%M}–{end:%H:%M}.")
    return None


def check_provider_role(*, type: AppointmentType, clinician: User) -> None:
    allowed = (
        {roles.MEDICAL_PROVIDER}
        if type.provided_by == AppointmentType.ProvidedBy.MEDICAL_PROVIDER
        else set(roles.CLINICAL)
    )
    if not roles.has_role(clinician, allowed):
        who = clinician.get_full_name() or clinician.username
        raise SchedulingError(
            f"{type.name} is provided by a {type.get_provided_by_display().lower()}; "
            f"{who} is not one."
        )


def _lock(patient_id: int, clinician_id: int, room_id: int | None) -> None:
    """Serialise bookings that could collide: any two touching the same patient, clinician or
    room wait for each other here, so the overlap check below sees the other's commit."""

    list(Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk"))
    list(User.objects.select_for_update().filter(pk=clinician_id).values_list("pk"))
    if room_id is not None:
        list(Room.objects.select_for_update().filter(pk=room_id).values_list("pk"))


def _save_guarded(appointment: Appointment, **save_kwargs) -> None:
    """Save, turning the PostgreSQL exclusion constraint's refusal into a BookingConflict."""
    try:
        with transaction.atomic():
            appointment.save(**save_kwargs)
    except IntegrityError as error:
        if not any(name in str(error) for name in EXCLUSION_CONSTRAINTS):
            raise
        conflict = find_conflict(
            patient_id=appointment.patient_id,
            clinician_id=appointment.clinician_id,
            room_id=appointment.room_id,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            exclude_pk=appointment.pk,
        )
        raise conflict or BookingConflict(
            "Someone else booked this time a moment ago; pick another."
        ) from error


@dataclass
class _Slot:
    starts_at: datetime
    ends_at: datetime
    room: Room | None


def _prepare_slot(
    *,
    patient_id: int,
    type: AppointmentType,
    clinician: User,
    starts_at: datetime,
    room: Room | None,
    allow_outside_hours: bool,
    now: datetime,
    exclude_pk: int | None = None,
) -> _Slot:
    if timezone.is_naive(starts_at):
        raise SchedulingError("The start time needs a time zone.")
    if starts_at < now:
        raise SchedulingError("That time is in the past; pick a time from now on.")
    ends_at = starts_at + type.duration
    if room is not None and type.room_kind and room.kind != type.room_kind:
        raise SchedulingError(
            f"{type.name} needs a {Room.Kind(type.room_kind).label.lower()}; "
            f"{room.name} is a {room.get_kind_display().lower()}."
        )
    # Clinician and patient first, so the message names the appointment in the way rather than
    # "no room free" when the clinician is simply busy.
    _lock(patient_id, clinician.pk, room.pk if room else None)
    conflict = find_conflict(
        patient_id=patient_id,
        clinician_id=clinician.pk,
        room_id=room.pk if room else None,
        starts_at=starts_at,
        ends_at=ends_at,
        exclude_pk=exclude_pk,
    )
    if conflict:
        raise conflict
    if room is None and type.room_kind:
        room = free_room(
            kind=type.room_kind, starts_at=starts_at, ends_at=ends_at, exclude_pk=exclude_pk
        )
        if room is None:
            raise SchedulingError(
                f"No {Room.Kind(type.room_kind).label.lower()} is free "
                f"{clinic_local(starts_at):%a %d %b %H:%M}–{clinic_local(ends_at):%H:%M}."
            )
        # Taken last (the lock order is patient, clinician, room), then checked again: another
        # booking may have taken the room between the look-up and the lock.
        list(Room.objects.select_for_update().filter(pk=room.pk).values_list("pk"))
        conflict = find_conflict(
            patient_id=patient_id,
            clinician_id=clinician.pk,
            room_id=room.pk,
            starts_at=starts_at,
            ends_at=ends_at,
            exclude_pk=exclude_pk,
        )
        if conflict:
            raise conflict
    if not allow_outside_hours:
        hours = WorkingHours.objects.filter(clinician=clinician)
        if not within_working_hours(
            clinician=clinician, starts_at=starts_at, ends_at=ends_at, hours=hours
        ):
            raise OutsideWorkingHours(
                f"{clinician.get_full_name() or clinician.username} does not work "
                f"{clinic_local(starts_at):%a %H:%M}–{clinic_local(ends_at):%H:%M}. "
                "Book anyway?"
            )
    return _Slot(starts_at=starts_at, ends_at=ends_at, room=room)


def type_of(error: SchedulingError):
    if isinstance(error, BookingConflict):
        return BookingConflict
    if isinstance(error, OutsideWorkingHours):
        return OutsideWorkingHours
    return SchedulingError


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().select_related("type").get(pk=appointment.pk)
