"""Reads of free time: overlapping appointments, working hours, free rooms, the next available
slots and the integration window after a dosing visit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from scheduling.models import Appointment, AppointmentType, GroupMeeting, Room, WorkingHours


def overlapping(starts_at: datetime, ends_at: datetime, exclude_pk: int | None = None):
    qs = (
        Appointment.objects.exclude(status=Appointment.Status.CANCELLED)
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("type", "patient", "clinician", "room")
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs


def overlapping_meetings(starts_at: datetime, ends_at: datetime, exclude_pk: int | None = None):
    """Group meetings (not cancelled) in the interval: they hold their facilitators and room
    even before anyone enrols."""
    qs = (
        GroupMeeting.objects.exclude(status=GroupMeeting.Status.CANCELLED)
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("group_type__appointment_type", "facilitator", "co_facilitator", "room")
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs


def clinic_local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def within_working_hours(
    *, clinician: User, starts_at: datetime, ends_at: datetime, hours: Iterable[WorkingHours]
) -> bool:
    start, end = clinic_local(starts_at), clinic_local(ends_at)
    if start.date() != end.date():
        return False  # working hours never cross midnight
    return any(
        h.clinician_id == clinician.pk
        and h.weekday == start.weekday()
        and h.starts <= start.time()
        and (end.time() <= h.ends)
        for h in hours
    )


def free_room(
    *, kind: str, starts_at: datetime, ends_at: datetime, exclude_pk: int | None = None
) -> Room | None:
    """The first active room of ``kind`` nobody has booked for the whole interval."""
    busy = overlapping(starts_at, ends_at, exclude_pk).values("room_id")
    groups = overlapping_meetings(starts_at, ends_at).values("room_id")
    return (
        Room.objects.filter(kind=kind, active=True)
        .exclude(pk__in=busy.filter(room__isnull=False))
        .exclude(pk__in=groups.filter(room__isnull=False))
        .order_by("position", "name")
        .first()
    )


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
        overlapping(after, before + type.duration).values_list(
            "clinician_id", "room_id", "starts_at", "ends_at"
        )
    )
    for meeting in overlapping_meetings(after, before + type.duration).values_list(
        "facilitator_id", "co_facilitator_id", "room_id", "starts_at", "ends_at"
    ):
        busy.append((meeting[0], meeting[2], meeting[3], meeting[4]))
        if meeting[1]:
            busy.append((meeting[1], None, meeting[3], meeting[4]))
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
            clashing = [b for b in busy if b[2] < end and b[3] > cursor]
            clinician_free = all(b[0] != clinician.pk for b in clashing)
            room_free = not rooms or bool(set(rooms) - {b[1] for b in clashing})
            if clinician_free and room_free:
                out.append(cursor)
        cursor += step
    return out


# Integration follow-ups fall 24–72 h after a dosing session ends (DESIGN.md, step 7). The one
# place the window is defined: the schedule offers slots in it, the chart says when it closes.
INTEGRATION_OPENS_AFTER = timedelta(hours=24)
INTEGRATION_CLOSES_AFTER = timedelta(hours=72)


def integration_window_after(ended_at: datetime) -> tuple[datetime, datetime]:
    """When the integration follow-up of a dose that ended at ``ended_at`` is due."""
    return ended_at + INTEGRATION_OPENS_AFTER, ended_at + INTEGRATION_CLOSES_AFTER


def integration_window(dosing: Appointment) -> tuple[datetime, datetime]:
    """The integration window after a dosing visit, from the visit's end."""
    return integration_window_after(dosing.ends_at)


def integration_slots(
    *, dosing: Appointment, type: AppointmentType, clinician: User, limit: int = 4
) -> list[datetime]:
    after, before = integration_window(dosing)
    return next_available_slots(
        type=type, clinician=clinician, after=after, before=before, limit=limit
    )
