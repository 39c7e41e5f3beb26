"""The group note: save the draft, sign (locked from then on), addenda; and counting an
attended integration group as the integration follow-up of a member's dose.

Who may write: clinical roles (the views check the role; the note is clinical content). The
rules that protect each member's privacy are enforced here, where the note is written:

* a private part belongs to one member of the meeting's roster, and is stored against them;
* signing refuses while the shared part names a member, unless the clinician confirms that it
  is meant to (``names_confirmed``) — the shared part is shown on every member's chart;
* a signed note is never changed: addenda only, each to the shared part or one member's part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.models import Patient
from scheduling.availability import integration_window_after
from scheduling.models import Appointment, GroupAttendance, GroupMeeting
from sessions.models import (
    DosingSession,
    GroupIntegrationCredit,
    GroupNote,
    GroupNoteAddendum,
    GroupNotePrivate,
    IntegrationFollowUp,
)

# Names shorter than this are too often ordinary words ("Al", "Jo") to warn on by themselves.
MIN_NAME_LENGTH = 3


def _names_of(patient: Patient) -> set[str]:
    names = {patient.legal_first_name, patient.legal_last_name, patient.preferred_name or ""}
    return {n.strip() for n in names if n and len(n.strip()) >= MIN_NAME_LENGTH}


def member_names_in(text: str, members: Iterable[Patient]) -> list[str]:
    """The members whose first, last or preferred name appears in ``text`` as a whole word
    (case-insensitive), each as their display name; empty when none does."""
    found = []
    for patient in members:
        for name in _names_of(patient):
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags=re.IGNORECASE):
                found.append(patient.display_name)
                break
    return found


def roster_patients(meeting: GroupMeeting) -> list[Patient]:
    """The members: patients with a place in the meeting that was not cancelled."""
    places = (
        Appointment.objects.filter(group_meeting=meeting)
        .exclude(status=Appointment.Status.CANCELLED)
        .values("patient_id")
    )
    return list(
        Patient.objects.filter(pk__in=places).order_by("legal_last_name", "legal_first_name", "pk")
    )


def _lock_note(note: GroupNote) -> GroupNote:
    return (
        GroupNote.objects.select_for_update()
        .select_related("meeting__group_type__appointment_type")
        .get(pk=note.pk)
    )


@transaction.atomic
def group_note_save(
    *,
    meeting: GroupMeeting,
    themes: str,
    practices: str,
    private: dict[int, str],
    by: User,
    now: datetime | None = None,
) -> GroupNote:
    """Create or update the draft: the shared part and the private parts, ``private`` mapping
    a member's patient id to their part (an empty text removes a draft part)."""
    now = now or timezone.now()
    meeting = GroupMeeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.is_cancelled:
        raise ValidationError("This meeting was cancelled: there is nothing to document.")
    if meeting.starts_at > now:
        raise ValidationError("The group note is written once the meeting has started.")
    note = GroupNote.objects.filter(meeting=meeting).first()
    if note is not None:
        note = _lock_note(note)
        if note.is_signed:
            raise ValidationError("This group note is signed and locked; add an addendum instead.")
    members = {p.pk for p in roster_patients(meeting)}
    strangers = set(private) - members
    if strangers:
        raise ValidationError("A private part can only be written for a member of this meeting.")
    if note is None:
        note = GroupNote(meeting=meeting, author=by, created_at=now)
    note.themes, note.practices = themes.strip(), practices.strip()
    note._change_reason = f"draft saved by {by}"
    note.save()
    existing = {p.patient_id: p for p in note.private_parts.all()}
    for patient_id, text in private.items():
        text = text.strip()
        part = existing.get(patient_id)
        if part is None and not text:
            continue
        if part is None:
            GroupNotePrivate.objects.create(note=note, patient_id=patient_id, text=text)
        elif part.text != text:
            part.text = text
            part.save()
    return note


@transaction.atomic
def group_note_sign(
    *,
    note: GroupNote,
    by: User,
    names_confirmed: bool = False,
    at: datetime | None = None,
) -> GroupNote:
    """Sign the group note; from now on it is locked. Needs attendance for every member and a
    shared part. Counts the meeting as integration where its type says so."""
    note = _lock_note(note)
    if note.is_signed:
        raise ValidationError("This group note is already signed.")
    meeting = note.meeting
    members = roster_patients(meeting)
    problems = []
    if not note.themes:
        problems.append("Write the shared themes before signing.")
    unmarked = (
        Appointment.objects.filter(group_meeting=meeting, group_attendance__isnull=True)
        .exclude(status=Appointment.Status.CANCELLED)
        .count()
    )
    if unmarked:
        problems.append(f"Take attendance first: {unmarked} member(s) not marked.")
    named = member_names_in(note.shared_text, members)
    if named and not names_confirmed:
        problems.append(
            "The shared part, which every member's chart shows, names a member: "
            f"{', '.join(named)}. Remove the name or confirm it is meant to be there."
        )
    at = at or timezone.now()
    if at > timezone.now():
        problems.append("A note cannot be signed in the future.")
    if problems:
        raise ValidationError(problems)
    note.signed_at, note.signed_by = at, by
    note._change_reason = "signed"
    note.save()
    if meeting.group_type.counts_as_integration:
        group_note_count_integration(note=note, by=by)
    return note


def group_note_count_integration(*, note: GroupNote, by: User) -> list[IntegrationFollowUp]:
    """Each member who attended (present, late or left early) within the integration window
    after one of their doses that has no follow-up yet gets that follow-up from this meeting:
    the shared part as its themes, their own private part as insights."""
    meeting = note.meeting
    attended = list(
        Appointment.objects.filter(
            group_meeting=meeting, group_attendance__status__in=GroupAttendance.ATTENDED
        ).values_list("patient_id", flat=True)
    )
    private = {p.patient_id: p.text for p in note.private_parts.all()}
    made = []
    for patient_id in attended:
        candidates = (
            DosingSession.objects.filter(
                course__patient_id=patient_id,
                dose_started_at__isnull=False,
                dose_started_at__lt=meeting.starts_at,
                follow_ups__isnull=True,
            )
            .exclude(status=DosingSession.Status.ABORTED)
            .order_by("-dose_started_at")
        )
        for session in candidates:
            opens, closes = integration_window_after(
                session.dose_ended_at or session.dose_started_at
            )
            if opens <= meeting.starts_at <= closes:
                follow_up = IntegrationFollowUp.objects.create(
                    session=session,
                    held_at=meeting.starts_at,
                    themes=note.themes,
                    insights=private.get(patient_id, ""),
                    plan=f"Attended the {meeting.name} (group integration).",
                    signed_by=by,
                    signed_at=note.signed_at,
                )
                GroupIntegrationCredit.objects.create(follow_up=follow_up, note=note)
                made.append(follow_up)
                break
    return made


@transaction.atomic
def group_note_addendum_add(
    *, note: GroupNote, text: str, patient: Patient | None = None, by: User
) -> GroupNoteAddendum:
    """An addendum to a signed note: to the shared part, or to one member's private part."""
    text = text.strip()
    if not text:
        raise ValidationError("The addendum is empty.")
    note = GroupNote.objects.select_related("meeting").get(pk=note.pk)
    if not note.is_signed:
        raise ValidationError("Edit the note directly until it is signed.")
    if patient is not None and patient.pk not in {p.pk for p in roster_patients(note.meeting)}:
        raise ValidationError("An addendum's private part is for a member of this meeting.")
    return GroupNoteAddendum.objects.create(note=note, patient=patient, text=text, author=by)


def group_note_guard_attendance(*, meeting: GroupMeeting, by: User) -> None:
    """Registered on ``scheduling.hooks.group_attendance_recording``: the register a note was
    signed on stays as it was."""
    if GroupNote.objects.filter(meeting=meeting, signed_at__isnull=False).exists():
        raise ValidationError(
            "The group note is signed: attendance is locked. Add an addendum to the note instead."
        )
