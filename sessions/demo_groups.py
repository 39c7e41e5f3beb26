"""The demo clinic's weekly integration circle (``manage.py seed_demo``), seeded after the
schedule's demo so it finds the week already filled around it.

Eight weekly meetings (on the weekday of the next clinic day) for up to five members, at 18:00 in
the therapy room, facilitated by the demo clinician: three have taken place, five are to come, the
next one tomorrow. The members are at different points of their courses: Samuel Adeyemi mid-course,
Hannah Becker and Ruth Feldman in maintenance, Theo Vasquez discharged; River Callahan (mid-course)
joins from the next meeting, which fills it, and Leah Johansson waits for a place. Ruth has
cancelled her place in the next meeting, so the front desk's home page offers it to Leah. Each past
meeting has its attendance and a signed group note with a private part per member.

Idempotent: when the circle's group type exists, nothing is added.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction

from kap_clinic.demo import at, clinic_day
from patients.models import Patient
from scheduling import services as scheduling
from scheduling.models import Appointment, AppointmentType, GroupType, Room
from sessions import services

CIRCLE = "Integration circle"
MEMBERS = (("Samuel", "Adeyemi"), ("Hannah", "Becker"), ("Ruth", "Feldman"), ("Theo", "Vasquez"))
LATE_JOINER = ("River", "Callahan")
WAITING = ("Leah", "Johansson")
CANCELS_NEXT = ("Ruth", "Feldman")

# Per past meeting: the shared part (no names) and each member's attendance and private part.
MEETINGS = (
    (
        "Opening the circle: agreements on confidentiality; what brought each person to KAP.",
        "Grounding breath; a three-minute arrival practice.",
        {
            "Adeyemi": ("present", "Quiet at first; spoke about wanting to feel 'less flat'."),
            "Becker": ("present", "Offered her experience of the months after her course."),
            "Feldman": ("late", "Arrived after the check-in; engaged in the practice."),
            "Vasquez": ("present", "Shared that structure after discharge keeps him steady."),
        },
    ),
    (
        "Integration between sessions: noticing change in ordinary days; sleep and routine.",
        "Body scan; journalling prompt 'one thing I noticed this week'.",
        {
            "Adeyemi": ("present", "Noticed mornings are easier; wants to keep a journal."),
            "Becker": ("excused", ""),
            "Feldman": ("present", "Worried about slipping back; reassured by the group."),
            "Vasquez": ("left_early", "Left early for work; asked for the journalling prompt."),
        },
    ),
    (
        "Relationships after treatment: reconnecting with people; asking for support.",
        "Loving-kindness meditation; pair sharing.",
        {
            "Adeyemi": ("present", "Plans to call an old friend; anxious but hopeful."),
            "Becker": ("present", "Described repairing a strained relationship with her sister."),
            "Feldman": ("absent", ""),
            "Vasquez": ("present", "Reflected on boundaries at work."),
        },
    ),
)


def _patient(first: str, last: str) -> Patient | None:
    return Patient.objects.filter(legal_first_name=first, legal_last_name=last).first()


def _circle_type() -> GroupType:
    kind, _ = AppointmentType.objects.get_or_create(
        name=CIRCLE,
        defaults={
            "kind": AppointmentType.Kind.INTEGRATION,
            "duration_minutes": 90,
            "room_kind": Room.Kind.THERAPY,
            "colour": "#6f42c1",
            "reminder_offsets": "48, 2",
            "preparation_instructions": "The circle starts on time; please arrive a few "
            "minutes early.",
        },
    )
    return GroupType.objects.create(appointment_type=kind, capacity=5, counts_as_integration=True)


@transaction.atomic
def seed(*, staff: dict[str, User], now: dt.datetime) -> None:
    if GroupType.objects.filter(appointment_type__name=CIRCLE).exists():
        return
    members = [p for p in (_patient(*name) for name in MEMBERS) if p is not None]
    if not members:
        return  # the patients' demo did not run
    facilitator, desk = staff["clinician"], staff["frontdesk"]
    group_type = _circle_type()
    next_day = clinic_day(now.date(), 1)
    first = at(next_day - dt.timedelta(days=21), 18)
    meetings = scheduling.group_meetings_schedule(
        group_type=group_type,
        facilitator=facilitator,
        starts_at=first,
        count=8,
        by=desk,
        allow_outside_hours=True,
        now=first - dt.timedelta(days=7),
    )
    for patient in members:
        scheduling.group_enrol_series(
            meeting=meetings[0], patient=patient, by=desk, now=first - dt.timedelta(days=6)
        )
    past = [m for m in meetings if m.starts_at <= now]
    for meeting, (themes, practices, parts) in zip(past, MEETINGS, strict=False):
        seats = Appointment.objects.filter(group_meeting=meeting).select_related("patient")
        ended = meeting.ends_at
        scheduling.group_attendance_record(
            meeting=meeting,
            statuses={s.pk: parts[s.patient.legal_last_name][0] for s in seats},
            by=facilitator,
            now=ended,
        )
        note = services.group_note_save(
            meeting=meeting,
            themes=themes,
            practices=practices,
            private={
                s.patient_id: parts[s.patient.legal_last_name][1]
                for s in seats
                if parts[s.patient.legal_last_name][1]
            },
            by=facilitator,
            now=ended,
        )
        services.group_note_sign(note=note, by=facilitator, at=ended + dt.timedelta(minutes=20))
    upcoming = [m for m in meetings if m.starts_at > now]
    if not upcoming:
        return
    nearest = upcoming[0]
    joiner, waiting = _patient(*LATE_JOINER), _patient(*WAITING)
    if joiner is not None:
        scheduling.group_enrol_series(meeting=nearest, patient=joiner, by=desk, now=now)
    if waiting is not None:
        scheduling.group_waitlist_join(meeting=nearest, patient=waiting, by=desk, now=now)
    leaving = _patient(*CANCELS_NEXT)
    seat = Appointment.objects.filter(
        group_meeting=nearest, patient=leaving, status=Appointment.Status.BOOKED
    ).first()
    if seat is not None:
        scheduling.appointment_cancel(
            appointment=seat, reason="Travelling that week", by=desk, now=now
        )
