"""Group sessions on the schedule: meetings and series, enrolment within capacity, the waiting
list, attendance and cancelling a meeting.

Capacity holds under concurrency because every enrolment locks the meeting's row first
(``select_for_update``) and counts the places taken inside that lock: two enrolments for the
last seat queue on the row and the second sees the first's place. Lock order: meeting, then
patient (``appointment_book`` takes patient, clinician, room and never a meeting), so the two
cannot deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from patients.models import Patient
from scheduling import hooks
from scheduling.availability import clinic_local, free_room, overlapping, within_working_hours
from scheduling.models import (
    Appointment,
    GroupAttendance,
    GroupMeeting,
    GroupSeries,
    GroupType,
    GroupWaitlistEntry,
    Reminder,
    Room,
    WorkingHours,
)
from scheduling.services.booking import appointment_cancel
from scheduling.services.checks import (
    BookingConflict,
    OutsideWorkingHours,
    SchedulingError,
    _save_guarded,
    check_provider_role,
    find_conflict,
)
from scheduling.services.reminders import reminders_plan

MAX_SERIES = 26  # half a year of weekly meetings


class GroupFull(SchedulingError):
    """Every place is taken; the caller may offer the waiting list."""

    def __init__(self, message: str, *, meetings: list[GroupMeeting] | None = None) -> None:
        super().__init__(message, code="full")
        self.meetings = meetings or []


def seats_taken(meeting: GroupMeeting) -> int:
    return (
        Appointment.objects.filter(group_meeting=meeting)
        .exclude(status=Appointment.Status.CANCELLED)
        .count()
    )


def _who(user: User) -> str:
    return user.get_full_name() or user.username


def _when(meeting: GroupMeeting) -> str:
    return f"{clinic_local(meeting.starts_at):%a %d %b %H:%M}"


# --- meetings and series -----------------------------------------------------------------------


def _check_meeting_slot(
    *,
    group_type: GroupType,
    facilitators: list[User],
    starts_at: datetime,
    room: Room | None,
    allow_outside_hours: bool,
) -> Room | None:
    ends_at = starts_at + group_type.appointment_type.duration
    people = sorted(p.pk for p in facilitators)
    list(User.objects.select_for_update().filter(pk__in=people).values_list("pk"))
    if room is not None:
        list(Room.objects.select_for_update().filter(pk=room.pk).values_list("pk"))
    for person in facilitators:
        conflict = find_conflict(
            patient_id=0,
            clinician_id=person.pk,
            room_id=room.pk if room else None,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        if conflict:
            raise conflict
    kind = group_type.appointment_type.room_kind
    if room is None and kind:
        room = free_room(kind=kind, starts_at=starts_at, ends_at=ends_at)
        if room is None:
            raise SchedulingError(
                f"No {Room.Kind(kind).label.lower()} is free "
                f"{clinic_local(starts_at):%a %d %b %H:%M}–{clinic_local(ends_at):%H:%M}."
            )
        list(Room.objects.select_for_update().filter(pk=room.pk).values_list("pk"))
    if not allow_outside_hours:
        for person in facilitators:
            hours = WorkingHours.objects.filter(clinician=person)
            if not within_working_hours(
                clinician=person, starts_at=starts_at, ends_at=ends_at, hours=hours
            ):
                raise OutsideWorkingHours(
                    f"{_who(person)} does not work {clinic_local(starts_at):%a %d %b %H:%M}–"
                    f"{clinic_local(ends_at):%H:%M}. Schedule anyway?"
                )
    return room


@transaction.atomic
def group_meetings_schedule(
    *,
    group_type: GroupType,
    facilitator: User,
    co_facilitator: User | None = None,
    starts_at: datetime,
    count: int = 1,
    interval_days: int = 7,
    room: Room | None = None,
    by: User,
    allow_outside_hours: bool = False,
    now: datetime | None = None,
) -> list[GroupMeeting]:
    """Put a group on the schedule: one meeting, or ``count`` of them ``interval_days`` apart
    (a series). All or nothing: the first meeting that cannot be held refuses the lot."""
    now = now or timezone.now()
    kind = group_type.appointment_type
    if not kind.active:
        raise SchedulingError(f"{kind.name} is no longer offered.")
    if timezone.is_naive(starts_at):
        raise SchedulingError("The start time needs a time zone.")
    if starts_at < now:
        raise SchedulingError("That time is in the past; pick a time from now on.")
    if not 1 <= count <= MAX_SERIES:
        raise SchedulingError(f"A series has between 1 and {MAX_SERIES} meetings.")
    if not 1 <= interval_days <= 28:
        raise SchedulingError("Meetings repeat every 1 to 28 days.")
    if co_facilitator is not None and co_facilitator.pk == facilitator.pk:
        raise SchedulingError("The co-facilitator must be someone else.")
    if group_type.facilitators == GroupType.Facilitators.TWO and co_facilitator is None:
        raise SchedulingError(f"{kind.name} is run by two facilitators: choose the second.")
    if group_type.facilitators == GroupType.Facilitators.ONE and co_facilitator is not None:
        raise SchedulingError(f"{kind.name} is run by one facilitator.")
    if room is not None and kind.room_kind and room.kind != kind.room_kind:
        raise SchedulingError(
            f"{kind.name} needs a {Room.Kind(kind.room_kind).label.lower()}; "
            f"{room.name} is a {room.get_kind_display().lower()}."
        )
    facilitators = [facilitator] + ([co_facilitator] if co_facilitator else [])
    for person in facilitators:
        check_provider_role(type=kind, clinician=person)
    series = None
    if count > 1:
        series = GroupSeries.objects.create(
            group_type=group_type,
            first_starts_at=starts_at,
            meetings_count=count,
            interval_days=interval_days,
            created_by=by,
            created_at=now,
        )
    local = timezone.localtime(starts_at)
    meetings = []
    for n in range(count):
        # Same wall-clock time each week, across a daylight-saving change.
        start = timezone.make_aware(
            datetime.combine(local.date() + timedelta(days=n * interval_days), local.time())
        )
        chosen = _check_meeting_slot(
            group_type=group_type,
            facilitators=facilitators,
            starts_at=start,
            room=room,
            allow_outside_hours=allow_outside_hours,
        )
        meeting = GroupMeeting(
            group_type=group_type,
            series=series,
            number=n + 1,
            facilitator=facilitator,
            co_facilitator=co_facilitator,
            room=chosen,
            starts_at=start,
            ends_at=start + kind.duration,
            created_by=by,
            created_at=now,
        )
        meeting._change_reason = f"scheduled by {by}"
        meeting.save()
        meetings.append(meeting)
    return meetings


@transaction.atomic
def group_meeting_cancel(
    *, meeting: GroupMeeting, reason: str, by: User, now: datetime | None = None
) -> GroupMeeting:
    """Cancel a meeting that has not started: every member's place is cancelled (their
    reminders with it) and the waiting list is closed."""
    reason = reason.strip()
    if not reason:
        raise SchedulingError("Give a reason for the cancellation.")
    now = now or timezone.now()
    locked = GroupMeeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.is_cancelled:
        raise SchedulingError("This meeting is already cancelled.")
    if locked.starts_at <= now:
        raise SchedulingError("A meeting that has started cannot be cancelled.")
    for seat in Appointment.objects.filter(
        group_meeting=locked, status=Appointment.Status.BOOKED
    ).order_by("pk"):
        appointment_cancel(appointment=seat, reason=f"Group cancelled: {reason}", by=by, now=now)
    GroupWaitlistEntry.objects.filter(
        meeting=locked, status=GroupWaitlistEntry.Status.WAITING
    ).update(status=GroupWaitlistEntry.Status.WITHDRAWN, resolved_at=now, resolved_by=by)
    locked.status = GroupMeeting.Status.CANCELLED
    locked.cancelled_at, locked.cancelled_by = now, by
    locked._change_reason = f"cancelled by {by}: {reason}"
    locked.save()
    return locked


# --- enrolment -----------------------------------------------------------------------------


def _lock_meeting(meeting: GroupMeeting) -> GroupMeeting:
    return (
        GroupMeeting.objects.select_for_update()
        .select_related("group_type__appointment_type")
        .get(pk=meeting.pk)
    )


def _enrol_locked(
    *, meeting: GroupMeeting, patient: Patient, by: User, now: datetime
) -> Appointment:
    """Enrol with the meeting's row already locked by the caller."""
    if patient.is_archived:
        raise SchedulingError(
            f"{patient.display_name} ({patient.mrn}) is archived: restore them on their page "
            "before enrolling."
        )
    if meeting.is_cancelled:
        raise SchedulingError(f"The {meeting.name} of {_when(meeting)} is cancelled.")
    if meeting.starts_at <= now:
        raise SchedulingError(f"The {meeting.name} of {_when(meeting)} has already started.")
    list(Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk"))
    for other in overlapping(meeting.starts_at, meeting.ends_at).filter(patient_id=patient.pk):
        if other.group_meeting_id == meeting.pk:
            raise SchedulingError(
                f"{patient.display_name} is already enrolled in the {meeting.name} of "
                f"{_when(meeting)}."
            )
        raise BookingConflict(
            f"The patient already has an appointment: {other.type.name} with "
            f"{other.clinician_name}, {clinic_local(other.starts_at):%a %d %b %H:%M}.",
            conflict=other,
        )
    capacity = meeting.group_type.capacity
    if seats_taken(meeting) >= capacity:
        raise GroupFull(
            f"The {meeting.name} of {_when(meeting)} is full ({capacity} of {capacity}).",
            meetings=[meeting],
        )
    seat = Appointment(
        patient=patient,
        type=meeting.group_type.appointment_type,
        clinician=meeting.facilitator,
        room=meeting.room,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        booked_by=by,
        group_meeting=meeting,
    )
    seat._change_reason = f"enrolled in a group by {by}"
    _save_guarded(seat)
    GroupWaitlistEntry.objects.filter(
        meeting=meeting, patient=patient, status=GroupWaitlistEntry.Status.WAITING
    ).update(status=GroupWaitlistEntry.Status.ENROLLED, resolved_at=now, resolved_by=by)
    reminders_plan(appointment=seat, now=now)
    return seat


@transaction.atomic
def group_enrol(
    *, meeting: GroupMeeting, patient: Patient, by: User, now: datetime | None = None
) -> Appointment:
    """Give ``patient`` a place in ``meeting`` (an appointment with its reminders planned).

    Raises GroupFull when every place is taken (offer ``group_waitlist_join``), BookingConflict
    when the patient is elsewhere then, SchedulingError otherwise."""
    now = now or timezone.now()
    return _enrol_locked(meeting=_lock_meeting(meeting), patient=patient, by=by, now=now)


@dataclass
class SeriesEnrolment:
    enrolled: list[Appointment] = field(default_factory=list)
    waiting: list[GroupWaitlistEntry] = field(default_factory=list)


def series_meetings_from(meeting: GroupMeeting, *, now: datetime) -> list[GroupMeeting]:
    """This meeting and the later ones of its series still to come and not cancelled."""
    if meeting.series_id is None:
        return [meeting]
    return list(
        GroupMeeting.objects.filter(
            series_id=meeting.series_id,
            starts_at__gte=meeting.starts_at,
            starts_at__gt=now,
            status=GroupMeeting.Status.SCHEDULED,
        ).order_by("starts_at")
    )


@transaction.atomic
def group_enrol_series(
    *,
    meeting: GroupMeeting,
    patient: Patient,
    by: User,
    wait_when_full: bool = False,
    now: datetime | None = None,
) -> SeriesEnrolment:
    """Enrol in ``meeting`` and every later meeting of its series, all or nothing.

    A full meeting refuses the lot with GroupFull naming every full date, unless
    ``wait_when_full``: then the patient joins those meetings' waiting lists and takes the
    other places. A patient already enrolled in one of them keeps that place."""
    now = now or timezone.now()
    result = SeriesEnrolment()
    meetings = series_meetings_from(meeting, now=now)
    if not meetings:
        raise SchedulingError("No meeting of this series is still to come.")
    # Lock them all first, in time order, so concurrent series enrolments queue the same way.
    locked = [_lock_meeting(m) for m in meetings]
    full = [m for m in locked if seats_taken(m) >= m.group_type.capacity]
    already = set(
        Appointment.objects.filter(group_meeting__in=locked, patient=patient)
        .exclude(status=Appointment.Status.CANCELLED)
        .values_list("group_meeting_id", flat=True)
    )
    full = [m for m in full if m.pk not in already]
    if full and not wait_when_full:
        dates = ", ".join(_when(m) for m in full)
        raise GroupFull(f"Full on {dates}.", meetings=full)
    for m in locked:
        if m.pk in already:
            continue
        if m in full:
            result.waiting.append(_waitlist_join_locked(meeting=m, patient=patient, by=by, now=now))
        else:
            result.enrolled.append(_enrol_locked(meeting=m, patient=patient, by=by, now=now))
    return result


# --- the waiting list ----------------------------------------------------------------------


def _waitlist_join_locked(
    *, meeting: GroupMeeting, patient: Patient, by: User, now: datetime
) -> GroupWaitlistEntry:
    if meeting.is_cancelled or meeting.starts_at <= now:
        raise SchedulingError(f"The {meeting.name} of {_when(meeting)} is no longer open.")
    if patient.is_archived:
        raise SchedulingError(f"{patient.display_name} ({patient.mrn}) is archived.")
    existing = GroupWaitlistEntry.objects.filter(
        meeting=meeting, patient=patient, status=GroupWaitlistEntry.Status.WAITING
    ).first()
    if existing:
        return existing
    if (
        Appointment.objects.filter(group_meeting=meeting, patient=patient)
        .exclude(status=Appointment.Status.CANCELLED)
        .exists()
    ):
        raise SchedulingError(f"{patient.display_name} already has a place in this meeting.")
    if seats_taken(meeting) < meeting.group_type.capacity:
        raise SchedulingError(
            f"The {meeting.name} of {_when(meeting)} has a free place: enrol instead."
        )
    entry = GroupWaitlistEntry(meeting=meeting, patient=patient, joined_by=by, joined_at=now)
    entry._change_reason = f"joined the waiting list, by {by}"
    entry.save()
    return entry


@transaction.atomic
def group_waitlist_join(
    *, meeting: GroupMeeting, patient: Patient, by: User, now: datetime | None = None
) -> GroupWaitlistEntry:
    """Put the patient on the meeting's waiting list (once); order is the order of joining."""
    now = now or timezone.now()
    return _waitlist_join_locked(meeting=_lock_meeting(meeting), patient=patient, by=by, now=now)


def _lock_entry(entry: GroupWaitlistEntry) -> tuple[GroupMeeting, GroupWaitlistEntry]:
    meeting = _lock_meeting(entry.meeting)
    locked = (
        GroupWaitlistEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
    )
    if locked.status != GroupWaitlistEntry.Status.WAITING:
        raise SchedulingError("This waiting-list entry is no longer open.")
    return meeting, locked


@transaction.atomic
def group_waitlist_enrol(
    *, entry: GroupWaitlistEntry, by: User, now: datetime | None = None
) -> Appointment:
    """Give the freed place to the waiting patient. Only the first in line may take it."""
    now = now or timezone.now()
    meeting, locked = _lock_entry(entry)
    first = (
        GroupWaitlistEntry.objects.filter(meeting=meeting, status=GroupWaitlistEntry.Status.WAITING)
        .order_by("joined_at", "id")
        .first()
    )
    if first is not None and first.pk != locked.pk:
        raise SchedulingError(
            "Someone joined the waiting list earlier: offer them the place first."
        )
    return _enrol_locked(meeting=meeting, patient=locked.patient, by=by, now=now)


@transaction.atomic
def group_waitlist_withdraw(
    *, entry: GroupWaitlistEntry, by: User, now: datetime | None = None
) -> GroupWaitlistEntry:
    now = now or timezone.now()
    _meeting, locked = _lock_entry(entry)
    locked.status = GroupWaitlistEntry.Status.WITHDRAWN
    locked.resolved_at, locked.resolved_by = now, by
    locked._change_reason = f"withdrawn by {by}"
    locked.save()
    return locked


# --- attendance ----------------------------------------------------------------------------


@transaction.atomic
def group_attendance_record(
    *, meeting: GroupMeeting, statuses: dict[int, str], by: User, now: datetime | None = None
) -> list[GroupAttendance]:
    """The facilitator's register: ``statuses`` maps each member's place (appointment id) to
    present, late, left early, absent or excused. Present, late and left early complete the
    member's visit; absent and excused mark it missed. Correctable until the note is signed
    (the sessions app checks that before calling)."""
    now = now or timezone.now()
    locked = _lock_meeting(meeting)
    if locked.is_cancelled:
        raise SchedulingError("This meeting was cancelled.")
    if locked.starts_at > now:
        raise SchedulingError("Attendance can be taken once the meeting has started.")
    # The group note is signed on this register: sessions refuses a change after signing.
    hooks.group_attendance_recording(meeting=locked, by=by)
    valid = set(GroupAttendance.Status.values)
    seats = {
        s.pk: s
        for s in Appointment.objects.select_for_update()
        .filter(group_meeting=locked)
        .exclude(status=Appointment.Status.CANCELLED)
    }
    unknown = set(statuses) - set(seats)
    if unknown:
        raise SchedulingError("The roster changed: reload the page and take attendance again.")
    bad = [v for v in statuses.values() if v not in valid]
    if bad:
        raise SchedulingError("Choose present, late, left early, absent or excused.")
    missing = set(seats) - set(statuses)
    if missing:
        raise SchedulingError("Mark every member: present, late, left early, absent or excused.")
    rows = []
    for pk, value in sorted(statuses.items()):
        seat = seats[pk]
        row, _created = GroupAttendance.objects.update_or_create(
            appointment=seat,
            defaults={"status": value, "recorded_by": by, "recorded_at": now},
        )
        rows.append(row)
        if value in GroupAttendance.ATTENDED:
            seat.status = Appointment.Status.COMPLETED
            seat.completed_at, seat.completed_by = now, by
            seat.no_show_at, seat.no_show_by = None, None
        else:
            seat.status = Appointment.Status.NO_SHOW
            seat.no_show_at, seat.no_show_by = now, by
            seat.completed_at, seat.completed_by = None, None
        seat._change_reason = f"group attendance ({value}) by {by}"
        seat.save()
        Reminder.objects.filter(
            appointment=seat, status__in=[Reminder.Status.PENDING, Reminder.Status.FAILED]
        ).update(status=Reminder.Status.CANCELLED, updated_at=now)
    return rows
