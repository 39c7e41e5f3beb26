"""Reads for group sessions. Functions taking a ``user`` check the role in the same call.

Rosters, capacity, waiting lists and attendance status are schedule information: every
front-office role sees them. Group notes are the sessions app's, for clinical roles only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from kap_clinic import roles
from scheduling.models import Appointment, GroupMeeting, GroupType, GroupWaitlistEntry

ACTIVE_SEATS = ~Q(seats__status=Appointment.Status.CANCELLED) & Q(seats__isnull=False)
# How far ahead the front desk's home page looks for freed places to offer.
OFFER_HORIZON = timedelta(days=60)


def with_taken(qs: QuerySet[GroupMeeting]) -> QuerySet[GroupMeeting]:
    """Annotate ``taken``: the places not cancelled."""
    return qs.annotate(taken=Count("seats", filter=ACTIVE_SEATS, distinct=True)).select_related(
        "group_type__appointment_type", "facilitator", "co_facilitator", "room"
    )


def meeting_for_user(*, user: User | AnonymousUser, pk: int) -> GroupMeeting:
    roles.check_role(user, roles.FRONT_OFFICE)
    return get_object_or_404(with_taken(GroupMeeting.objects.all()), pk=pk)


def waitlist_entry_for_user(*, user: User | AnonymousUser, pk: int) -> GroupWaitlistEntry:
    roles.check_role(user, roles.FRONT_OFFICE)
    return get_object_or_404(GroupWaitlistEntry.objects.select_related("meeting", "patient"), pk=pk)


def group_types() -> QuerySet[GroupType]:
    return GroupType.objects.filter(appointment_type__active=True).select_related(
        "appointment_type"
    )


def roster(meeting: GroupMeeting) -> list[Appointment]:
    """The members' places (not cancelled), by name, each with its attendance when taken."""
    return list(
        Appointment.objects.filter(group_meeting=meeting)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("patient", "group_attendance")
        .order_by("patient__legal_last_name", "patient__legal_first_name", "pk")
    )


def cancelled_places(meeting: GroupMeeting) -> list[Appointment]:
    return list(
        Appointment.objects.filter(
            group_meeting=meeting, status=Appointment.Status.CANCELLED
        ).select_related("patient")
    )


def waiting(meeting: GroupMeeting) -> list[GroupWaitlistEntry]:
    """The waiting list in order of joining."""
    return list(
        GroupWaitlistEntry.objects.filter(meeting=meeting, status=GroupWaitlistEntry.Status.WAITING)
        .select_related("patient")
        .order_by("joined_at", "id")
    )


def series_of(meeting: GroupMeeting) -> list[GroupMeeting]:
    if meeting.series_id is None:
        return []
    return list(with_taken(GroupMeeting.objects.filter(series_id=meeting.series_id)))


def upcoming_meetings(*, now: datetime | None = None, days: int = 56) -> list[GroupMeeting]:
    now = now or timezone.now()
    start = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    return list(
        with_taken(
            GroupMeeting.objects.filter(
                starts_at__gte=start,
                starts_at__lt=now + timedelta(days=days),
                status=GroupMeeting.Status.SCHEDULED,
            )
        ).order_by("starts_at", "id")[:200]
    )


def meetings_between(start: datetime, end: datetime) -> list[GroupMeeting]:
    """For the calendars: the meetings (not cancelled) in the interval, with ``taken``."""
    return list(
        with_taken(
            GroupMeeting.objects.filter(starts_at__lt=end, ends_at__gt=start).exclude(
                status=GroupMeeting.Status.CANCELLED
            )
        ).order_by("starts_at", "id")
    )


def meetings_on(day: date) -> list[GroupMeeting]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return meetings_between(start, start + timedelta(days=1))


@dataclass
class Offer:
    meeting: GroupMeeting
    entry: GroupWaitlistEntry
    free: int
    behind: int


def place_offers(*, now: datetime | None = None) -> list[Offer]:
    """Meetings to come with a free place and someone waiting: the first in line is offered
    it. Three queries however many meetings."""
    now = now or timezone.now()
    meetings = [
        m
        for m in with_taken(
            GroupMeeting.objects.filter(
                starts_at__gt=now,
                starts_at__lt=now + OFFER_HORIZON,
                status=GroupMeeting.Status.SCHEDULED,
                waitlist__status=GroupWaitlistEntry.Status.WAITING,
            ).distinct()
        ).order_by("starts_at", "id")
        if m.taken < m.group_type.capacity
    ]
    entries: dict[int, list[GroupWaitlistEntry]] = {}
    for entry in (
        GroupWaitlistEntry.objects.filter(
            meeting__in=[m.pk for m in meetings], status=GroupWaitlistEntry.Status.WAITING
        )
        .select_related("patient")
        .order_by("joined_at", "id")
    ):
        entries.setdefault(entry.meeting_id, []).append(entry)
    return [
        Offer(
            meeting=m,
            entry=entries[m.pk][0],
            free=m.group_type.capacity - m.taken,
            behind=len(entries[m.pk]) - 1,
        )
        for m in meetings
        if entries.get(m.pk)
    ]


def home_offers_context(request: Any) -> dict[str, Any] | None:
    """The front desk's home page: freed group places to offer the first on the waiting list."""
    if not roles.has_role(request.user, roles.FRONT_DESK):
        return None
    offers = place_offers()
    return {"offers": offers} if offers else None


def patient_places(patient: Any, *, limit: int = 30) -> list[Appointment]:
    """The patient's group places, upcoming first then the latest past, with attendance."""
    now = timezone.now()
    qs = Appointment.objects.filter(
        patient_id=patient.pk, group_meeting__isnull=False
    ).select_related(
        "group_meeting__group_type__appointment_type",
        "group_meeting__facilitator",
        "group_attendance",
    )
    upcoming = list(qs.filter(starts_at__gte=now).order_by("starts_at")[:limit])
    past = list(qs.filter(starts_at__lt=now).order_by("-starts_at")[:limit])
    return upcoming + past


def patient_waiting(patient: Any) -> list[GroupWaitlistEntry]:
    return list(
        GroupWaitlistEntry.objects.filter(
            patient_id=patient.pk,
            status=GroupWaitlistEntry.Status.WAITING,
            meeting__starts_at__gt=timezone.now(),
        ).select_related("meeting__group_type__appointment_type")
    )


def patient_section_context(request: Any, patient: Any) -> dict[str, Any] | None:
    """The "Groups" section of the patient's registration page: their groups, places and
    attendance status. Never another member, never a note."""
    places = patient_places(patient)
    waits = patient_waiting(patient)
    if not places and not waits:
        return None
    return {"places": places, "waits": waits, "now": timezone.now()}
