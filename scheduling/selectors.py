"""Reads for the schedule. Functions taking a ``user`` check the role in the same call.

The calendars show patient name, visit type and status only — no clinical content — so the same
pages serve front desk and clinicians.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from kap_clinic import roles
from scheduling.models import MAX_DURATION_MINUTES, Appointment, Reminder, Room, WorkingHours

DAY_START = time(7, 0)
DAY_END = time(20, 0)
SLOT_MINUTES = 30
# Height of one slot on the day calendar; big enough to tap on a tablet.
SLOT_REM = 2.75

STATUS_BADGES = {
    Appointment.Status.BOOKED: "text-bg-primary",
    Appointment.Status.CHECKED_IN: "text-bg-success",
    Appointment.Status.COMPLETED: "text-bg-secondary",
    Appointment.Status.CANCELLED: "text-bg-light border",
    Appointment.Status.NO_SHOW: "text-bg-danger",
}


def appointment_for_user(*, user: User | AnonymousUser, pk: int) -> Appointment:
    roles.check_role(user, roles.FRONT_OFFICE)
    return get_object_or_404(
        Appointment.objects.select_related(
            "patient",
            "type",
            "clinician",
            "room",
            "booked_by",
            "rescheduled_by",
            "checked_in_by",
            "completed_by",
            "cancelled_by",
            "no_show_by",
        ),
        pk=pk,
    )


def clinicians() -> QuerySet[User]:
    """Staff who see patients: clinicians and medical providers."""
    return roles.users_in_roles(roles.CLINICAL)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


# No visit lasts longer (a constraint on AppointmentType, which sets every appointment's length).
LONGEST_VISIT = timedelta(minutes=MAX_DURATION_MINUTES)


def appointments_between(start: datetime, end: datetime) -> QuerySet[Appointment]:
    """Appointments overlapping [start, end). The lower bound on ``starts_at`` adds nothing to
    the answer (nothing that started earlier lasts until ``start``) but turns the query into an
    index range scan over a day or two instead of a scan of the whole history."""
    return (
        Appointment.objects.filter(
            starts_at__gt=start - LONGEST_VISIT, starts_at__lt=end, ends_at__gt=start
        )
        .select_related("patient", "type", "clinician", "room")
        .order_by("starts_at", "id")
    )


@dataclass
class Block:
    appointment: Appointment
    top: float
    height: float
    badge: str


@dataclass
class EmptySlot:
    top: float
    starts_at: datetime
    working: bool


@dataclass
class Column:
    key: str
    title: str
    clinician_id: int | None = None
    room_id: int | None = None
    blocks: list[Block] = field(default_factory=list)
    slots: list[EmptySlot] = field(default_factory=list)


# What the calendars show of an appointment: loading whole patients would parse two phone
# numbers per appointment, hundreds per week view.
CALENDAR_FIELDS = (
    "starts_at",
    "ends_at",
    "status",
    "confirmed_at",
    "patient__legal_first_name",
    "patient__legal_last_name",
    "patient__preferred_name",
    "type__name",
    "type__colour",
    "type__kind",
    "clinician__first_name",
    "clinician__last_name",
    "clinician__username",
    "room__name",
)


def day_calendar(*, day: date, by: str = "clinician") -> dict[str, Any]:
    """The day view: one column per clinician (or per room), appointments positioned by time.

    A constant number of queries whatever the number of appointments (pinned by a test).
    """
    day_start, day_end = _day_bounds(day)
    appointments = [
        a
        for a in appointments_between(day_start, day_end).only(*CALENDAR_FIELDS)
        if a.status != "cancelled"
    ]
    cancelled_count = (
        Appointment.objects.filter(starts_at__gte=day_start, starts_at__lt=day_end)
        .filter(status=Appointment.Status.CANCELLED)
        .count()
    )
    first_hour = min(
        [DAY_START.hour] + [timezone.localtime(a.starts_at).hour for a in appointments]
    )
    last_hour = max(
        [DAY_END.hour] + [min(24, timezone.localtime(a.ends_at).hour + 1) for a in appointments]
    )
    grid_start = timezone.make_aware(datetime.combine(day, time(first_hour)))
    total_minutes = (last_hour - first_hour) * 60
    hours = list(WorkingHours.objects.filter(weekday=day.weekday()))
    working = {}
    for h in hours:
        working.setdefault(h.clinician_id, []).append(h)

    if by == "room":
        columns = [
            Column(key=f"room-{r.pk}", title=r.name, room_id=r.pk)
            for r in Room.objects.filter(active=True)
        ]
        if any(a.room_id is None for a in appointments):
            columns.append(Column(key="room-none", title="No room"))
        index = {c.room_id: c for c in columns}
        key_of = lambda a: a.room_id  # noqa: E731
    else:
        people = list(clinicians())
        present = {a.clinician_id for a in appointments} | set(working)
        columns = [
            Column(
                key=f"clinician-{u.pk}", title=u.get_full_name() or u.username, clinician_id=u.pk
            )
            for u in people
            if u.pk in present
        ]
        index = {c.clinician_id: c for c in columns}
        for a in appointments:
            if a.clinician_id not in index:  # e.g. a clinician who left the clinic
                column = Column(
                    key=f"clinician-{a.clinician_id}",
                    title=a.clinician_name,
                    clinician_id=a.clinician_id,
                )
                columns.append(column)
                index[a.clinician_id] = column
        key_of = lambda a: a.clinician_id  # noqa: E731

    rem_per_minute = SLOT_REM / SLOT_MINUTES
    for a in appointments:
        start = max(a.starts_at, grid_start)
        minutes = (start - grid_start).total_seconds() / 60
        length = (a.ends_at - start).total_seconds() / 60
        index[key_of(a)].blocks.append(
            Block(
                appointment=a,
                top=round(minutes * rem_per_minute, 3),
                height=round(max(length, 15) * rem_per_minute, 3),
                badge=STATUS_BADGES[a.status],
            )
        )
    # The grid's times once for the day, not once per column.
    grid = [
        (round(n * SLOT_REM, 3), starts_at, timezone.localtime(starts_at).time())
        for n in range(total_minutes // SLOT_MINUTES)
        for starts_at in [grid_start + timedelta(minutes=n * SLOT_MINUTES)]
    ]
    for column in columns:
        hours_of = working.get(column.clinician_id, [])
        column.slots = [
            EmptySlot(
                top=top,
                starts_at=starts_at,
                working=column.clinician_id is None
                or any(h.starts <= local < h.ends for h in hours_of),
            )
            for top, starts_at, local in grid
        ]
    labels = [
        {"top": round(n * SLOT_REM * 2, 3), "label": f"{first_hour + n:02d}:00"}
        for n in range(last_hour - first_hour)
    ]
    return {
        "columns": columns,
        "labels": labels,
        "height": round(total_minutes * rem_per_minute, 3),
        "count": len(appointments),
        "cancelled_count": cancelled_count,
    }


def week_calendar(*, day: date) -> list[dict[str, Any]]:
    """Monday to Sunday of ``day``'s week, each with its appointments (cancelled left out)."""
    monday = day - timedelta(days=day.weekday())
    start, _ = _day_bounds(monday)
    _, end = _day_bounds(monday + timedelta(days=6))
    days: dict[date, list[Appointment]] = {monday + timedelta(days=i): [] for i in range(7)}
    shown = appointments_between(start, end).exclude(status=Appointment.Status.CANCELLED)
    for a in shown.only(*CALENDAR_FIELDS):
        days.setdefault(timezone.localdate(a.starts_at), []).append(a)
    return [
        {"day": d, "appointments": items, "badges": STATUS_BADGES}
        for d, items in sorted(days.items())
    ]


def arrivals(*, day: date) -> list[Appointment]:
    """Today's visits in start order, with who is here already."""
    start, end = _day_bounds(day)
    return list(
        appointments_between(start, end).filter(
            status__in=[
                Appointment.Status.BOOKED,
                Appointment.Status.CHECKED_IN,
                Appointment.Status.COMPLETED,
                Appointment.Status.NO_SHOW,
            ]
        )
    )


def patient_appointments(patient: Any, *, limit: int = 20) -> list[Appointment]:
    """Upcoming first, then the most recent past ones."""
    now = timezone.now()
    qs = Appointment.objects.filter(patient_id=patient.pk).select_related(
        "type", "clinician", "room"
    )
    upcoming = list(qs.filter(starts_at__gte=now).order_by("starts_at")[:limit])
    past = list(qs.filter(starts_at__lt=now).order_by("-starts_at")[:limit])
    return upcoming + past


def patient_upcoming(
    patient: Any,
    *,
    kinds: Iterable[str] | None = None,
    limit: int = 20,
    now: datetime | None = None,
) -> list[Appointment]:
    """The patient's visits still to come and still on (booked or checked in), soonest first;
    only those of the given ``AppointmentType.Kind``s when ``kinds`` is given. A visit under way
    (not yet ended) still counts: the patient is in the chair."""
    now = now or timezone.now()
    qs = Appointment.objects.filter(
        patient_id=patient.pk,
        ends_at__gt=now,
        status__in=(Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN),
    )
    if kinds is not None:
        qs = qs.filter(type__kind__in=list(kinds))
    return list(qs.select_related("type", "clinician", "room").order_by("starts_at", "id")[:limit])


def patient_confirmations(appointment: Appointment) -> dict[str, Any]:
    """What the patient told us through the reminder links, for the preparation checklist
    (sessions app): confirmed, fasting confirmed, escort name and phone, with times."""
    return {
        "confirmed_at": appointment.confirmed_at,
        "fasting_confirmed_at": appointment.fasting_confirmed_at,
        "fasting_confirmed": appointment.fasting_confirmed_at is not None,
        "escort_name": appointment.escort_name,
        "escort_phone": appointment.escort_phone,
        "escort_recorded": bool(appointment.escort_name and appointment.escort_phone),
    }


# "Recently sent" on the reminders board, a page at a time (newest first).
SENT_PAGE_SIZE = 25


def reminders_board(*, now: datetime | None = None, sent_page: int = 1) -> dict[str, Any]:
    """The front desk's reminders page: problems first, then what goes out next, then the
    sent ones a page at a time. Each list is read from an index in its order (no count of the
    history: a page has a "next" when one more row exists)."""
    now = now or timezone.now()
    sent_page = min(max(1, sent_page), 10_000)
    offset = (sent_page - 1) * SENT_PAGE_SIZE
    # The rows show the patient's name and the visit's time: not the whole appointment and
    # patient (whose phone numbers alone cost a parse each per row).
    base = Reminder.objects.select_related("appointment__patient").only(
        *(f.name for f in Reminder._meta.concrete_fields),
        "appointment__starts_at",
        "appointment__patient__legal_first_name",
        "appointment__patient__legal_last_name",
        "appointment__patient__preferred_name",
    )
    upcoming = Q(appointment__starts_at__gte=now - timedelta(days=1))
    board = {
        "failed": list(
            base.filter(upcoming, status=Reminder.Status.FAILED).order_by("due_at")[:200]
        ),
        "retrying": list(
            base.filter(status=Reminder.Status.PENDING, attempts__gt=0).order_by("send_after")[:200]
        ),
        "skipped": list(
            base.filter(
                appointment__starts_at__gte=now,
                appointment__status=Appointment.Status.BOOKED,
                status=Reminder.Status.SKIPPED,
            ).order_by("appointment__starts_at")[:200]
        ),
        "next": list(
            base.filter(status=Reminder.Status.PENDING, attempts=0).order_by("send_after")[:50]
        ),
    }
    sent = list(
        base.filter(status=Reminder.Status.SENT).order_by("-sent_at", "-id")[
            offset : offset + SENT_PAGE_SIZE + 1
        ]
    )
    return {
        **board,
        "sent": sent[:SENT_PAGE_SIZE],
        "sent_page": sent_page,
        "sent_has_next": len(sent) > SENT_PAGE_SIZE,
    }


def reminder_for_user(*, user: User | AnonymousUser, pk: int) -> Reminder:
    roles.check_role(user, roles.FRONT_OFFICE)
    return get_object_or_404(Reminder.objects.select_related("appointment__type"), pk=pk)


# How many of today's next visits the home page lists; the arrivals page has the whole day.
HOME_ARRIVALS = 10


def next_arrivals(
    *, day: date, clinician: User | None = None, limit: int = HOME_ARRIVALS
) -> tuple[list[Appointment], bool]:
    """The day's visits still to be seen (booked or checked in), in start order, at most
    ``limit`` of them, and whether there are more. One query, however many visits."""
    start, end = _day_bounds(day)
    waiting = appointments_between(start, end).filter(
        status__in=[Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN]
    )
    if clinician is not None:
        waiting = waiting.filter(clinician=clinician)
    shown = list(waiting[: limit + 1])
    return shown[:limit], len(shown) > limit


def home_arrivals_context(request: Any) -> dict[str, Any]:
    """Front desk: everyone's next visits today, to check them in. A clinician or provider:
    their own visits today. Type name, clinician, room and status only: nothing clinical."""
    clinical = roles.has_role(request.user, roles.CLINICAL) and not roles.has_role(
        request.user, roles.FRONT_DESK
    )
    appointments, more = next_arrivals(
        day=timezone.localdate(), clinician=request.user if clinical else None
    )
    return {"appointments": appointments, "more": more, "own": clinical}


def patient_section_context(request: Any, patient: Any) -> dict[str, Any]:
    """The "Appointments" section of the patient pages (front desk and chart)."""
    return {"appointments": patient_appointments(patient), "now": timezone.now()}
