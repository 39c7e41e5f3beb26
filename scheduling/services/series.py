"""Booking a series of appointments (a course's visits) in one go: all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from scheduling.availability import clinic_local, free_room, within_working_hours
from scheduling.models import Appointment, AppointmentType, Room, WorkingHours
from scheduling.services.booking import appointment_book
from scheduling.services.checks import SchedulingError, check_provider_role, find_conflict, type_of

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
            when = f"{clinic_local(starts_at):%a %d %b %H:%M}"
            raise type_of(error)(f"{when}: {error.messages[0]} Nothing was booked.") from error
    return booked
