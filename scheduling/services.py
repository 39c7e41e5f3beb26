"""Writes for the schedule: booking, the appointment lifecycle, series, and the reminder outbox.

Every booking-shaped write (book, reschedule, series) locks the rows it could collide on —
patient, clinician, room, always in that order so two bookings cannot deadlock — inside one
transaction, then checks for overlaps. On PostgreSQL an exclusion constraint (migration 0002)
makes an overlap impossible even if a code path forgot the lock; its violation is turned into the
same conflict message.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from kap_clinic import roles
from scheduling.models import Appointment, AppointmentType, Reminder, Room, WorkingHours

logger = logging.getLogger(__name__)

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


def _overlapping(starts_at: datetime, ends_at: datetime, exclude_pk: int | None = None):
    qs = (
        Appointment.objects.exclude(status=Appointment.Status.CANCELLED)
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("type", "patient", "clinician", "room")
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs


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
    for appointment in _overlapping(starts_at, ends_at, exclude_pk).order_by("starts_at"):
        if appointment.clinician_id == clinician_id:
            who = f"{appointment.clinician_name} is already booked"
        elif room_id is not None and appointment.room_id == room_id:
            who = f"{appointment.room.name} is already booked"
        elif appointment.patient_id == patient_id:
            who = "The patient already has an appointment"
        else:
            continue
        return BookingConflict(f"{who}: {_describe(appointment)}.", conflict=appointment)
    return None


def _clinic_local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def within_working_hours(
    *, clinician: User, starts_at: datetime, ends_at: datetime, hours: Iterable[WorkingHours]
) -> bool:
    start, end = _clinic_local(starts_at), _clinic_local(ends_at)
    if start.date() != end.date():
        return False  # working hours never cross midnight
    return any(
        h.clinician_id == clinician.pk
        and h.weekday == start.weekday()
        and h.starts <= start.time()
        and (end.time() <= h.ends)
        for h in hours
    )


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


def free_room(
    *, kind: str, starts_at: datetime, ends_at: datetime, exclude_pk: int | None = None
) -> Room | None:
    """The first active room of ``kind`` nobody has booked for the whole interval."""
    busy = _overlapping(starts_at, ends_at, exclude_pk).values("room_id")
    return (
        Room.objects.filter(kind=kind, active=True)
        .exclude(pk__in=busy.filter(room__isnull=False))
        .order_by("position", "name")
        .first()
    )


def _lock(patient_id: int, clinician_id: int, room_id: int | None) -> None:
    """Serialise bookings that could collide: any two touching the same patient, clinician or
    room wait for each other here, so the overlap check below sees the other's commit."""
    from patients.models import Patient

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
                f"{_clinic_local(starts_at):%a %d %b %H:%M}–{_clinic_local(ends_at):%H:%M}."
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
                f"{_clinic_local(starts_at):%a %H:%M}–{_clinic_local(ends_at):%H:%M}. "
                "Book anyway?"
            )
    return _Slot(starts_at=starts_at, ends_at=ends_at, room=room)


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
    from patients.models import Patient
    from patients.services import patient_set_status

    booked_then = now
    now = now or timezone.now()
    if patient.is_archived:
        # The booking forms refuse too; here so the admin, the series and any later caller do.
        raise SchedulingError(
            f"{patient.display_name} ({patient.mrn}) is archived: restore them on their page "
            "before booking."
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
    from patients.services import patient_create

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


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().select_related("type").get(pk=appointment.pk)


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
    # Imported here: the treatment record builds on the schedule, not the other way round.
    from sessions.services import session_follow_appointment

    session_follow_appointment(appointment=locked, by=by)
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


# --- series ----------------------------------------------------------------------------------


@dataclass
class SeriesItem:
    starts_at: datetime
    ends_at: datetime
    room: Room | None = None
    problem: str = ""
    warning: str = ""
    integration_slots: list[datetime] = field(default_factory=list)


def series_starts(*, first_day, weekdays: Sequence[int], at: time, weeks: int) -> list[datetime]:
    """Clinic-local start times on ``weekdays`` (0 = Monday) for ``weeks`` weeks."""
    out = []
    for offset in range(weeks * 7):
        day = first_day + timedelta(days=offset)
        if day.weekday() in weekdays:
            out.append(timezone.make_aware(datetime.combine(day, at)))
    return out


def series_preview(
    *,
    patient,
    type: AppointmentType,
    clinician: User,
    starts: Sequence[datetime],
    now: datetime | None = None,
) -> list[SeriesItem]:
    """Every planned visit with what would stop it (conflict, past, no room) — no writes.
    Visits of the series are also checked against each other."""
    now = now or timezone.now()
    items = []
    taken_rooms: list[tuple[datetime, datetime, int]] = []
    hours = list(WorkingHours.objects.filter(clinician=clinician))
    try:
        check_provider_role(type=type, clinician=clinician)
    except SchedulingError as error:
        return [
            SeriesItem(starts_at=s, ends_at=s + type.duration, problem=error.messages[0])
            for s in starts
        ]
    for starts_at in starts:
        ends_at = starts_at + type.duration
        item = SeriesItem(starts_at=starts_at, ends_at=ends_at)
        items.append(item)
        if starts_at < now:
            item.problem = "In the past."
            continue
        if any(i.starts_at < ends_at and i.ends_at > starts_at for i in items[:-1]):
            item.problem = "Overlaps another visit of this series."
            continue
        conflict = find_conflict(
            patient_id=patient.pk,
            clinician_id=clinician.pk,
            room_id=None,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        if conflict:
            item.problem = conflict.messages[0]
            continue
        if type.room_kind:
            item.room = free_room(kind=type.room_kind, starts_at=starts_at, ends_at=ends_at)
            if item.room is None:
                item.problem = f"No {Room.Kind(type.room_kind).label.lower()} is free."
                continue
            taken_rooms.append((starts_at, ends_at, item.room.pk))
        if not within_working_hours(
            clinician=clinician, starts_at=starts_at, ends_at=ends_at, hours=hours
        ):
            item.warning = "Outside working hours."
    return items


@transaction.atomic
def appointment_series_book(
    *,
    patient,
    type: AppointmentType,
    clinician: User,
    starts: Sequence[datetime],
    by: User,
    allow_outside_hours: bool = False,
) -> list[Appointment]:
    """Book every visit or none: the first refusal rolls back the whole series."""
    if not starts:
        raise SchedulingError("The series has no dates.")
    booked = []
    for starts_at in sorted(starts):
        try:
            booked.append(
                appointment_book(
                    patient=patient,
                    type=type,
                    clinician=clinician,
                    starts_at=starts_at,
                    by=by,
                    allow_outside_hours=allow_outside_hours,
                )
            )
        except SchedulingError as error:
            when = f"{_clinic_local(starts_at):%a %d %b %H:%M}"
            raise type_of(error)(f"{when}: {error.messages[0]} Nothing was booked.") from error
    return booked


def type_of(error: SchedulingError):
    if isinstance(error, BookingConflict):
        return BookingConflict
    if isinstance(error, OutsideWorkingHours):
        return OutsideWorkingHours
    return SchedulingError


# --- reminders: the outbox -------------------------------------------------------------------


# Skip reasons that only say how the patient can (not) be reached. A change to the patient's
# reminder details can make such a row sendable again (``reminders_replan_for_patient``); the
# other reasons (the reminder's time had passed, the visit started) stand whatever the details.
NO_EMAIL = "No e-mail."
NO_MOBILE = "No mobile number."
NO_SMS_CONSENT = "No SMS consent on file."
NO_REMINDERS = "The patient asked for no reminders."
CHANNEL_DROPPED = "The patient no longer asks for these."
CONTACT_SKIP_REASONS = frozenset(
    {NO_EMAIL, NO_MOBILE, NO_SMS_CONSENT, NO_REMINDERS, CHANNEL_DROPPED}
)
BOOKED_LATE = "Booked after this reminder's time."
CONTACT_CHANGED_LATE = "Contact details changed after this reminder's time."
# A reminder planned up to a minute after its time still goes out (the claim runs every minute).
LATE_GRACE = timedelta(minutes=1)


def _reminder_channels(patient) -> list[tuple[str, str, str]]:
    """(channel, recipient, skip reason) for each channel the patient asked for."""
    out = []
    if patient.remind_by_email:
        out.append((Reminder.Channel.EMAIL, patient.email or "", "" if patient.email else NO_EMAIL))
    if patient.remind_by_sms:
        phone = str(patient.phone) if patient.phone else ""
        reason = ""
        if not phone:
            reason = NO_MOBILE
        elif not patient.sms_consent:
            reason = NO_SMS_CONSENT
        out.append((Reminder.Channel.SMS, phone, reason))
    if not out:
        out.append((Reminder.Channel.EMAIL, "", NO_REMINDERS))
    return out


def _channel_now(channels: list[tuple[str, str, str]], channel: str) -> tuple[str, str]:
    """(recipient, skip reason) for ``channel`` given ``_reminder_channels``' answer, including
    a channel the patient no longer asks for."""
    for name, recipient, reason in channels:
        if name == channel:
            return recipient, reason
    asks_for_none = len(channels) == 1 and channels[0][2] == NO_REMINDERS
    return "", NO_REMINDERS if asks_for_none else CHANNEL_DROPPED


def reminders_plan(*, appointment: Appointment, now: datetime | None = None) -> list[Reminder]:
    """Create or move the outbox rows of ``appointment`` (inside the booking's transaction).

    One row per channel × offset. Rows already sent stay sent; the others are re-timed, so a
    reschedule moves them. A reminder whose time has passed is skipped, with the reason shown.
    """
    now = now or timezone.now()
    existing = {(r.channel, r.offset_hours): r for r in appointment.reminders.all()}
    wanted = set()
    planned = []
    for channel, recipient, reason in _reminder_channels(appointment.patient):
        for offset in appointment.type.offsets:
            hours = int(offset.total_seconds() // 3600)
            wanted.add((channel, hours))
            due = appointment.starts_at - offset
            reminder = existing.get((channel, hours)) or Reminder(
                appointment=appointment, channel=channel, offset_hours=hours
            )
            already_out = reminder.status in (Reminder.Status.SENT, Reminder.Status.SENDING)
            if reminder.pk and already_out and reminder.due_at == due:
                # Sent (or going out) for this very time: nothing to move.
                planned.append(reminder)
                continue
            reminder.due_at = reminder.send_after = due
            reminder.recipient = recipient
            reminder.attempts = 0
            reminder.claim_token = None
            reminder.claimed_at = None
            reminder.last_error = ""
            reminder.sent_at = None
            if reason:
                reminder.status, reminder.skip_reason = Reminder.Status.SKIPPED, reason
            elif due < now - LATE_GRACE:
                # Booked too late for this reminder (e.g. 48 h before, booked for tomorrow).
                reminder.status = Reminder.Status.SKIPPED
                reminder.skip_reason = BOOKED_LATE
            else:
                reminder.status, reminder.skip_reason = Reminder.Status.PENDING, ""
            reminder.save()
            planned.append(reminder)
    for key, reminder in existing.items():
        if key not in wanted and reminder.status == Reminder.Status.PENDING:
            reminder.status = Reminder.Status.CANCELLED
            reminder.save(update_fields=["status", "updated_at"])
    return planned


@transaction.atomic
def reminders_replan_for_patient(*, patient, now: datetime | None = None) -> dict[str, int]:
    """Bring the outbox of the patient's upcoming visits in line with their reminder details,
    after front desk changed an address, a channel or the SMS consent; returns counts of what
    changed ("planned", "skipped", "updated").

    ``patient`` carries the details as they will be saved. Call this *before* saving the
    patient row: it locks the appointments first, the order ``appointment_reschedule`` takes
    them in (appointment, then patient), so a contact change and a reschedule of the same
    patient cannot deadlock. The lock also stops a cancellation committing between the read
    and the write, which would leave a planned reminder on a cancelled visit (the sender does
    not look at the appointment's status).

    Only booked visits that have not started: a checked-in patient is here (their reminders
    were cancelled on arrival), and the other statuses are over. On each of them:

    * a channel the patient now asks for gets its rows (planned, or skipped with the reason,
      as at booking);
    * a row skipped only because of the contact details is planned again when the contact is
      usable and its time has not passed, otherwise it shows the current reason;
    * a planned row never tried yet whose channel is no longer usable is skipped with the
      reason, and its recipient follows a changed address.

    This is narrower than ``reminders_plan`` on purpose. That function re-times a visit after a
    reschedule: it resets attempts, claims and errors on every row not sent, saves whole rows
    without checking what a worker did meanwhile, and relabels late rows "booked after".
    A contact change moves no time, so it must keep a row in retry back-off as it is (its
    attempts, next try and error are what the reminders page shows), must never touch a row
    sent or claimed by a worker, and writes each row with a conditional UPDATE on the state it
    read: a row a worker claims between this read and the write is left to the worker, whose
    ``reminder_send`` re-reads the contact details anyway.
    """
    now = now or timezone.now()
    ids = list(
        Appointment.objects.select_for_update()
        .filter(patient_id=patient.pk, status=Appointment.Status.BOOKED, starts_at__gt=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    appointments = (
        Appointment.objects.filter(pk__in=ids)
        .select_related("type")
        .prefetch_related("reminders")
        .order_by("pk")
    )
    channels = _reminder_channels(patient)
    counts = {"planned": 0, "skipped": 0, "updated": 0}
    for appointment in appointments:
        rows = {(r.channel, r.offset_hours): r for r in appointment.reminders.all()}
        offsets = [int(o.total_seconds() // 3600) for o in appointment.type.offsets]
        # "No reminders" is not a channel: it only labels rows, and is planned as a row of its
        # own (as at booking) when the visit has none to carry it.
        chosen = {
            (channel, hours)
            for channel, _recipient, reason in channels
            if reason != NO_REMINDERS or not rows
            for hours in offsets
        }
        for key in sorted(chosen - set(rows)):
            channel, hours = key
            recipient, reason = _channel_now(channels, channel)
            due = appointment.starts_at - timedelta(hours=hours)
            values = {"send_after": due, **_replanned(due, recipient, reason, now)}
            row_of = Reminder.objects.filter(
                appointment=appointment, channel=channel, offset_hours=hours
            )
            try:
                # A savepoint: ``reminder_retry`` re-plans without the appointment lock and
                # may have inserted this very row; the unique constraint then says so.
                with transaction.atomic():
                    Reminder.objects.create(
                        appointment=appointment, channel=channel, offset_hours=hours, **values
                    )
            except IntegrityError:
                if not row_of.exists():
                    raise
                continue
            counts["planned" if values["status"] == Reminder.Status.PENDING else "skipped"] += 1
        for key, row in rows.items():
            recipient, reason = _channel_now(channels, row.channel)
            if row.status == Reminder.Status.PENDING and row.attempts == 0:
                expected = {"status": row.status, "attempts": 0, "claim_token__isnull": True}
                if reason:
                    changes = {
                        "status": Reminder.Status.SKIPPED,
                        "skip_reason": reason,
                        "recipient": recipient,
                    }
                else:
                    changes = {"recipient": recipient}
            elif (
                row.status == Reminder.Status.SKIPPED and row.skip_reason in CONTACT_SKIP_REASONS
            ) or (
                # Only ``reminders_plan`` cancels a row of a booked visit: its channel had been
                # dropped at a reschedule. The patient asks for it again.
                row.status == Reminder.Status.CANCELLED and key in chosen
            ):
                expected = {"status": row.status, "skip_reason": row.skip_reason}
                if key in chosen:
                    due = appointment.starts_at - timedelta(hours=row.offset_hours)
                    changes = _replanned(due, recipient, reason, now)
                elif reason:
                    changes = {"skip_reason": reason, "recipient": recipient}
                else:
                    continue  # usable, but an offset the visit type no longer has
            else:
                # Sent, sending (a worker holds it), failed, retrying after a failure (back-off
                # kept as it is), or skipped for a reason no contact detail changes.
                continue
            if all(getattr(row, name) == value for name, value in changes.items()):
                continue
            updated = Reminder.objects.filter(pk=row.pk, **expected).update(
                updated_at=now, **changes
            )
            if not updated:
                continue  # claimed by a worker meanwhile; ``reminder_send`` re-reads the contact
            if changes.get("status", row.status) == row.status:
                counts["updated"] += 1
            elif changes["status"] == Reminder.Status.PENDING:
                counts["planned"] += 1
            else:
                counts["skipped"] += 1
    return {name: n for name, n in counts.items() if n}


def _replanned(due: datetime, recipient: str, reason: str, now: datetime) -> dict:
    """A row of a channel the patient asks for, as a contact change leaves it: planned afresh
    when sendable and not late; otherwise skipped with the reason, keeping its history."""
    if reason or due < now - LATE_GRACE:
        return {
            "status": Reminder.Status.SKIPPED,
            "skip_reason": reason or CONTACT_CHANGED_LATE,
            "recipient": recipient,
            "due_at": due,
        }
    return {
        "status": Reminder.Status.PENDING,
        "skip_reason": "",
        "recipient": recipient,
        "due_at": due,
        "send_after": due,
        "attempts": 0,
        "claim_token": None,
        "claimed_at": None,
        "sent_at": None,
        "last_error": "",
    }


def _cancel_unsent(appointment: Appointment, now: datetime) -> None:
    Reminder.objects.filter(appointment=appointment, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.CANCELLED, updated_at=now
    )


def claim_lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "REMINDER_CLAIM_LEASE_SECONDS", 300))


def reminders_claim_due(
    *, now: datetime | None = None, limit: int = 50
) -> tuple[uuid.UUID, list[int]]:
    """Claim up to ``limit`` due reminders for this worker; returns (claim token, ids).

    A claim is a conditional UPDATE (status pending → sending) that only one worker can win
    for a row; on PostgreSQL ``skip_locked`` also lets two workers take different rows instead
    of queueing. A claim whose worker died (SIGKILL, OOM) is released after the lease, so the
    reminder is sent by the next run instead of being lost.
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        Reminder.objects.filter(
            status=Reminder.Status.SENDING, claimed_at__lt=now - claim_lease()
        ).update(status=Reminder.Status.PENDING, claim_token=None, updated_at=now)
        due = Reminder.objects.filter(
            status=Reminder.Status.PENDING,
            send_after__lte=now,
            appointment__starts_at__gt=now,
        ).order_by("send_after", "id")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:limit])
        Reminder.objects.filter(pk__in=ids, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.SENDING, claim_token=token, claimed_at=now, updated_at=now
        )
        # Reminders whose appointment already started will never be useful.
        Reminder.objects.filter(
            status=Reminder.Status.PENDING, appointment__starts_at__lte=now
        ).update(
            status=Reminder.Status.SKIPPED,
            skip_reason="The appointment started before it could be sent.",
            updated_at=now,
        )
    return token, list(
        Reminder.objects.filter(claim_token=token, status=Reminder.Status.SENDING)
        .order_by("send_after", "id")
        .values_list("pk", flat=True)
    )


RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
)


def reminder_send(*, reminder_id: int, token: uuid.UUID, now: datetime | None = None) -> str:
    """Send one claimed reminder; returns its new status.

    Only the holder of the claim may send, and marking it sent is conditional on still holding
    it, so a reminder released after a lease and re-claimed elsewhere is not marked twice.
    """
    from scheduling import messages

    reminder = (
        Reminder.objects.select_related("appointment__patient", "appointment__type")
        .filter(pk=reminder_id, claim_token=token, status=Reminder.Status.SENDING)
        .first()
    )
    if reminder is None:
        return "not-claimed"
    # The patient's contact details as they are now, not as they were at booking: a changed
    # address gets the reminder, a withdrawn SMS consent stops it.
    recipient, reason = _channel_now(
        _reminder_channels(reminder.appointment.patient), reminder.channel
    )
    if reason:
        Reminder.objects.filter(pk=reminder.pk, claim_token=token).update(
            status=Reminder.Status.SKIPPED,
            skip_reason=reason,
            claim_token=None,
            updated_at=now or timezone.now(),
        )
        return Reminder.Status.SKIPPED
    reminder.recipient = recipient
    try:
        messages.deliver(reminder)
    except Exception as error:  # noqa: BLE001 - any provider failure is retried, never lost
        now = now or timezone.now()
        attempt = reminder.attempts + 1
        logger.warning("reminder %s attempt %s failed: %s", reminder.pk, attempt, type(error))
        if attempt > len(RETRY_DELAYS) or reminder.appointment.starts_at <= now:
            status, send_after = Reminder.Status.FAILED, reminder.send_after
        else:
            status, send_after = Reminder.Status.PENDING, now + RETRY_DELAYS[attempt - 1]
        Reminder.objects.filter(pk=reminder.pk, claim_token=token).update(
            status=status,
            attempts=attempt,
            send_after=send_after,
            claim_token=None,
            last_error=f"{type(error).__name__}: {error}"[:500],
            updated_at=now,
        )
        return status
    now = now or timezone.now()
    Reminder.objects.filter(pk=reminder.pk, claim_token=token).update(
        status=Reminder.Status.SENT,
        recipient=recipient,
        attempts=reminder.attempts + 1,
        sent_at=now,
        last_error="",
        updated_at=now,
    )
    return Reminder.Status.SENT


@transaction.atomic
def reminder_retry(*, reminder: Reminder, by: User, now: datetime | None = None) -> Reminder:
    """Front desk: try a failed or skipped reminder again now (after fixing the contact, say).

    Only this row changes. Re-planning the whole visit (``reminders_plan``) would also reset
    the back-off of its other reminders and relabel late ones, and the appointment is locked
    so a reschedule or cancellation cannot interleave. The row is written with a conditional
    UPDATE, so a row a worker has meanwhile claimed is left to the worker.
    """
    now = now or timezone.now()
    appointment = _locked(reminder.appointment)
    reminder.refresh_from_db()
    if reminder.status not in (Reminder.Status.FAILED, Reminder.Status.SKIPPED):
        raise SchedulingError("Only failed or skipped reminders can be retried.")
    if appointment.starts_at <= now or not appointment.is_open:
        raise SchedulingError("The appointment is no longer upcoming.")
    current = {channel: (to, why) for channel, to, why in _reminder_channels(appointment.patient)}
    recipient, reason = current.get(reminder.channel, ("", "The patient no longer asks for these."))
    if reason:
        # Still not sendable: say why on the row (the page shows it) rather than queue a send
        # that can only be skipped.
        Reminder.objects.filter(pk=reminder.pk, status=reminder.status).update(
            status=Reminder.Status.SKIPPED, skip_reason=reason, updated_at=now
        )
    else:
        Reminder.objects.filter(pk=reminder.pk, status=reminder.status).update(
            status=Reminder.Status.PENDING,
            recipient=recipient,
            send_after=now,
            attempts=0,
            skip_reason="",
            claim_token=None,
            updated_at=now,
        )
    reminder.refresh_from_db()
    logger.info("reminder %s retried by user %s", reminder.pk, by.pk)
    return reminder


# --- availability ----------------------------------------------------------------------------


def next_available_slots(
    *,
    type: AppointmentType,
    clinician: User,
    after: datetime,
    before: datetime | None = None,
    limit: int = 6,
    step: timedelta = timedelta(minutes=15),
) -> list[datetime]:
    """The earliest starts in ``clinician``'s working hours where they and a room of the type's
    kind are free. A constant number of queries whatever the range."""
    before = before or after + timedelta(days=21)
    hours = list(WorkingHours.objects.filter(clinician=clinician))
    if not hours:
        return []
    busy = list(
        _overlapping(after, before + type.duration).values_list(
            "clinician_id", "room_id", "starts_at", "ends_at"
        )
    )
    rooms = (
        list(Room.objects.filter(kind=type.room_kind, active=True).values_list("pk", flat=True))
        if type.room_kind
        else []
    )
    if type.room_kind and not rooms:
        return []
    minute = (after.minute // 15 + (1 if after.second or after.minute % 15 else 0)) * 15
    cursor = after.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=minute)
    out: list[datetime] = []
    while cursor < before and len(out) < limit:
        end = cursor + type.duration
        if within_working_hours(clinician=clinician, starts_at=cursor, ends_at=end, hours=hours):
            overlapping = [b for b in busy if b[2] < end and b[3] > cursor]
            clinician_free = all(b[0] != clinician.pk for b in overlapping)
            room_free = not rooms or bool(set(rooms) - {b[1] for b in overlapping})
            if clinician_free and room_free:
                out.append(cursor)
        cursor += step
    return out


def integration_window(dosing: Appointment) -> tuple[datetime, datetime]:
    """Integration follow-ups fall 24–72 h after a dosing session (DESIGN.md, step 7)."""
    return dosing.ends_at + timedelta(hours=24), dosing.ends_at + timedelta(hours=72)


def integration_slots(
    *, dosing: Appointment, type: AppointmentType, clinician: User, limit: int = 4
) -> list[datetime]:
    after, before = integration_window(dosing)
    return next_available_slots(
        type=type, clinician=clinician, after=after, before=before, limit=limit
    )


def q_active() -> Q:
    return ~Q(status=Appointment.Status.CANCELLED)
