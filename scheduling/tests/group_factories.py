"""Helpers for group-session tests: a group type and meetings made through the services."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from patients.tests.factories import UserFactory
from scheduling import services
from scheduling.models import AppointmentType, GroupMeeting, GroupType, Room
from scheduling.tests.factories import (
    AppointmentTypeFactory,
    RoomFactory,
    clinician_user,
    tomorrow_at,
)

_rooms = itertools.count(1)


def group_type(
    *, capacity: int = 8, counts_as_integration: bool = True, name: str = "Integration circle"
) -> GroupType:
    RoomFactory(name="Group room", kind=Room.Kind.THERAPY)
    kind = AppointmentTypeFactory(
        name=name,
        kind=AppointmentType.Kind.INTEGRATION,
        duration_minutes=90,
        room_kind=Room.Kind.THERAPY,
        colour="#2a9d8f",
        preparation_instructions="Please arrive a few minutes early.",
    )
    found, _ = GroupType.objects.get_or_create(
        appointment_type=kind,
        defaults={"capacity": capacity, "counts_as_integration": counts_as_integration},
    )
    return found


def meetings(
    *,
    kind: GroupType | None = None,
    facilitator: User | None = None,
    starts_at: datetime | None = None,
    count: int = 1,
    by: User | None = None,
    now: datetime | None = None,
    room: Room | None = None,
) -> list[GroupMeeting]:
    return services.group_meetings_schedule(
        room=room,
        group_type=kind or group_type(),
        facilitator=facilitator or clinician_user(),
        starts_at=starts_at or tomorrow_at(17),
        count=count,
        by=by or UserFactory(),
        allow_outside_hours=True,
        now=now,
    )


def meeting(**kwargs) -> GroupMeeting:
    return meetings(**kwargs)[0]


def started_meeting(
    *, members: list, kind: GroupType | None = None, minutes_ago: int = 30
) -> tuple[GroupMeeting, list]:
    """A meeting that started ``minutes_ago`` with ``members`` enrolled (booked beforehand)."""
    start = timezone.now() - timedelta(minutes=minutes_ago)
    before = start - timedelta(days=1)
    desk = UserFactory()
    # A room of its own: several started meetings at the same moment must not collide.
    room = RoomFactory(name=f"Group room {next(_rooms)}", kind=Room.Kind.THERAPY)
    m = meeting(kind=kind, starts_at=start, now=before, by=desk, room=room)
    seats = [services.group_enrol(meeting=m, patient=p, by=desk, now=before) for p in members]
    return m, seats
