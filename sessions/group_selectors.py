"""Reads for group notes. Clinical roles only (the callers check); a member's chart gets the
shared part and that member's own private part, never another member's part or name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from kap_clinic import roles
from scheduling.models import Appointment, GroupMeeting
from sessions.models import GroupNote, GroupNoteAddendum, GroupNotePrivate
from sessions.services.group_notes import member_names_in, roster_patients


def meeting_for_clinician(*, user: User | AnonymousUser, pk: int) -> GroupMeeting:
    roles.check_role(user, roles.CLINICAL)
    return get_object_or_404(
        GroupMeeting.objects.select_related(
            "group_type__appointment_type", "facilitator", "co_facilitator", "room"
        ),
        pk=pk,
    )


@dataclass
class NotePage:
    meeting: GroupMeeting
    note: GroupNote | None
    members: list[Any]
    attendance: dict[int, str]
    private: dict[int, str]
    addenda: list[GroupNoteAddendum]
    named: list[str]


def note_page(meeting: GroupMeeting) -> NotePage:
    """Everything the group note page shows the facilitator: the members with attendance, the
    note, every private part and addendum, and which members the shared part names."""
    members = roster_patients(meeting)
    attendance = {
        a.patient_id: a.group_attendance.get_status_display()
        for a in Appointment.objects.filter(
            group_meeting=meeting, group_attendance__isnull=False
        ).select_related("group_attendance")
    }
    note = (
        GroupNote.objects.filter(meeting=meeting)
        .select_related("author", "signed_by")
        .prefetch_related("private_parts", "addenda__author", "addenda__patient")
        .first()
    )
    private = {p.patient_id: p.text for p in note.private_parts.all()} if note else {}
    addenda = list(note.addenda.all()) if note else []
    named = member_names_in(note.shared_text, members) if note else []
    return NotePage(meeting, note, members, attendance, private, addenda, named)


@dataclass
class ChartGroupNote:
    meeting: GroupMeeting
    attendance: str  # its label, "" before it is taken
    note: GroupNote | None
    private: str
    addenda: list[GroupNoteAddendum]
    attendance_code: str = ""


def chart_groups(patient: Any, *, limit: int | None = 50) -> list[ChartGroupNote]:
    """The patient's group meetings, latest first (the latest ``limit``, or all), with, for
    signed notes, the shared part, *their* private part and the addenda to either. Four
    queries however many meetings."""
    places_query = (
        Appointment.objects.filter(patient_id=patient.pk, group_meeting__isnull=False)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related(
            "group_meeting__group_type__appointment_type",
            "group_meeting__facilitator",
            "group_attendance",
        )
        .order_by("-starts_at", "-id")
    )
    places = list(places_query if limit is None else places_query[:limit])
    meeting_ids = [a.group_meeting_id for a in places]
    notes = {
        n.meeting_id: n
        for n in GroupNote.objects.filter(meeting_id__in=meeting_ids, signed_at__isnull=False)
        .select_related("signed_by")
        .prefetch_related(
            Prefetch(
                "private_parts",
                queryset=GroupNotePrivate.objects.filter(patient_id=patient.pk),
                to_attr="own_parts",
            ),
            Prefetch(
                "addenda",
                queryset=GroupNoteAddendum.objects.filter(
                    Q(patient__isnull=True) | Q(patient_id=patient.pk)
                ).select_related("author"),
                to_attr="own_addenda",
            ),
        )
    }
    out = []
    for place in places:
        note = notes.get(place.group_meeting_id)
        attendance = getattr(place, "group_attendance", None)
        out.append(
            ChartGroupNote(
                meeting=place.group_meeting,
                attendance=attendance.get_status_display() if attendance else "",
                note=note,
                private=note.own_parts[0].text if note and note.own_parts else "",
                addenda=note.own_addenda if note else [],
                attendance_code=attendance.status if attendance else "",
            )
        )
    return out


def chart_section_context(request: HttpRequest, patient: Any) -> dict[str, Any] | None:
    rows = chart_groups(patient)
    return {"rows": rows} if rows else None
