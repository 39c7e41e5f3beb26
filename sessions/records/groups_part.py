"""The group sessions part of a patient's exported record: each group meeting the patient had
a place in, with their attendance and, once signed, the note's shared part, *their own* private
part and the addenda to either (never another member's part); the waiting-list places; and
which group counted as the integration follow-up after a dose. The same view of a group note as
the patient's chart (``sessions.group_selectors.chart_groups``), without the chart's limit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scheduling.models import GroupWaitlistEntry
from sessions.group_selectors import ChartGroupNote, chart_groups
from sessions.models import GroupIntegrationCredit
from sessions.records.fhir import FhirContext, coding, concept, extension, local, when
from sessions.records.fhir_chart import ADDENDUM, document
from sessions.records.fhir_treatment import AMBULATORY, PROGRESS_NOTE
from sessions.records.registry import Part

MODELS = (
    "scheduling.GroupAttendance",
    "scheduling.GroupWaitlistEntry",
    "clinic_sessions.GroupNotePrivate",
    "clinic_sessions.GroupNoteAddendum",
    "clinic_sessions.GroupIntegrationCredit",
)
WAITLIST_STATUS = {"waiting": "waitlist", "enrolled": "booked", "withdrawn": "cancelled"}
# The member's attendance; absent or excused means the member had no encounter that day.
ATTENDED = {"present", "late", "left_early"}


@dataclass(frozen=True)
class GroupRecord:
    meetings: list[ChartGroupNote]  # oldest first
    credits: dict[int, list[int]]  # group note id -> numbers of the dosing sessions it followed
    waiting: list[GroupWaitlistEntry]

    def __bool__(self) -> bool:
        return bool(self.meetings or self.waiting)

    @property
    def rows(self) -> list[tuple[ChartGroupNote, list[int]]]:
        """Each meeting with the dosing sessions its signed note counted as the follow-up to."""
        return [
            (row, self.credits.get(row.note.pk, []) if row.note else []) for row in self.meetings
        ]


def collect(patient: Any) -> GroupRecord:
    """Six queries however many meetings."""
    meetings = list(reversed(chart_groups(patient, limit=None)))
    credits: dict[int, list[int]] = {}
    for note_id, number in GroupIntegrationCredit.objects.filter(
        follow_up__session__course__patient_id=patient.pk
    ).values_list("note_id", "follow_up__session__number"):
        credits.setdefault(note_id, []).append(number)
    waiting = list(
        GroupWaitlistEntry.objects.filter(patient_id=patient.pk)
        .select_related("meeting__group_type__appointment_type")
        .order_by("joined_at", "id")
    )
    return GroupRecord(meetings=meetings, credits=credits, waiting=waiting)


def note_text(row: ChartGroupNote, credits: list[int]) -> str:
    note = row.note
    lines = [
        f"Attendance: {row.attendance}" if row.attendance else "",
        f"Themes: {note.themes}",
        f"Practices: {note.practices}" if note.practices else "",
        f"For this patient: {row.private}" if row.private else "",
        "Counted as the integration follow-up after dosing session "
        + ", ".join(str(n) for n in credits)
        if credits
        else "",
    ]
    return "\n".join(line for line in lines if line)


def fhir(data: GroupRecord, ctx: FhirContext) -> Iterator[dict[str, Any]]:
    for row in data.meetings:
        meeting = row.meeting
        encounter = f"group-meeting-{meeting.pk}"
        code = row.attendance_code
        yield {
            "resourceType": "Encounter",
            "id": encounter,
            "status": ("finished" if code in ATTENDED else "cancelled") if code else "unknown",
            "class": AMBULATORY,
            "type": [concept(text=f"Group session: {meeting.name}")],
            "subject": ctx.subject,
            "participant": [{"individual": ctx.who(meeting.facilitator)}],
            "period": {"start": when(meeting.starts_at), "end": when(meeting.ends_at)},
            "extension": [
                extension(
                    "group-attendance",
                    valueCoding=coding(local("CodeSystem/group-attendance"), code, row.attendance),
                )
            ]
            if code
            else [],
        }
        note = row.note
        if note is None:
            continue
        ident = f"group-note-{note.pk}"
        title = f"Group session note: {meeting.name}"
        yield document(
            ident,
            ctx,
            type_=PROGRESS_NOTE,
            text=note_text(row, data.credits.get(note.pk, [])),
            title=title,
            date=note.signed_at,
            author=note.author,
            authenticator=note.signed_by,
            encounter=f"Encounter/{encounter}",
        )
        for addendum in row.addenda:
            yield document(
                f"group-addendum-{addendum.pk}",
                ctx,
                type_=ADDENDUM,
                text=addendum.text,
                title=f"Addendum to the {title[0].lower()}{title[1:]}",
                date=addendum.created_at,
                author=addendum.author,
                appends=ident,
            )
    for entry in data.waiting:
        yield {
            "resourceType": "Appointment",
            "id": f"group-wait-{entry.pk}",
            "status": WAITLIST_STATUS[entry.status],
            "description": f"Waiting list: {entry.meeting.name}",
            "start": when(entry.meeting.starts_at),
            "end": when(entry.meeting.ends_at),
            "created": when(entry.joined_at),
            "participant": [{"actor": ctx.subject, "status": "needs-action"}],
        }


PART = Part(
    key="groups",
    title="Group sessions",
    models=MODELS,
    collect=collect,
    template="sessions/records/parts/groups.html",
    fhir=fhir,
    order=70,
)
