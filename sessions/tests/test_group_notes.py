"""The group note: a shared part and a private part per member, signed and locked, addenda;
each member's chart shows the shared part and their own part only; front desk sees no note;
an integration group counts as a member's follow-up within the window after their dose."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kap_clinic.models import AccessEvent
from patients.tests.factories import PatientFactory
from scheduling import messages as reminder_messages
from scheduling import services as scheduling
from scheduling.tests.group_factories import group_type, started_meeting
from sessions import services
from sessions.models import (
    DosingSession,
    GroupIntegrationCredit,
    GroupNote,
    IntegrationFollowUp,
)
from sessions.services.group_notes import member_names_in
from sessions.tests.factories import make_course, make_session, ready_patient

pytestmark = pytest.mark.django_db

SHARED = "The circle worked on returning to ordinary life; a body scan closed the meeting."


@pytest.fixture
def circle(clinician):
    members = [
        PatientFactory(legal_first_name="Alicia", legal_last_name="Anders"),
        PatientFactory(legal_first_name="Bruno", legal_last_name="Brandt"),
        PatientFactory(legal_first_name="Cyrus", legal_last_name="Castellan"),
    ]
    meeting, seats = started_meeting(members=members)
    scheduling.group_attendance_record(
        meeting=meeting,
        statuses={seats[0].pk: "present", seats[1].pk: "late", seats[2].pk: "left_early"},
        by=clinician,
    )
    return meeting, members, seats


def _write_and_sign(meeting, members, by):
    note = services.group_note_save(
        meeting=meeting,
        themes=SHARED,
        practices="Body scan",
        private={p.pk: f"PRIVATE-{p.legal_last_name.upper()}" for p in members},
        by=by,
    )
    return services.group_note_sign(note=note, by=by)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Alicia spoke first.", ["Alicia Anders"]),
        ("alicia spoke first.", ["Alicia Anders"]),
        ("The ANDERS family", ["Alicia Anders"]),
        ("Aliciana is not a member's name.", []),
        ("A quiet meeting.", []),
        ("Bruno and Cyrus", ["Bruno Brandt", "Cyrus Castellan"]),
    ],
)
def test_member_names_are_found_as_whole_words(text, found) -> None:
    members = [
        PatientFactory(legal_first_name="Alicia", legal_last_name="Anders"),
        PatientFactory(legal_first_name="Bruno", legal_last_name="Brandt"),
        PatientFactory(legal_first_name="Cyrus", legal_last_name="Castellan"),
    ]
    assert member_names_in(text, members) == found


def test_each_members_chart_shows_the_shared_part_and_only_their_own_private_part(
    circle, clinician, as_clinician
) -> None:
    meeting, members, _ = circle
    _write_and_sign(meeting, members, clinician)
    for member in members:
        page = as_clinician.get(reverse("patients:chart", args=[member.pk])).content.decode()
        assert "body scan closed the meeting" in page
        assert f"PRIVATE-{member.legal_last_name.upper()}" in page
        for other in members:
            if other == member:
                continue
            assert f"PRIVATE-{other.legal_last_name.upper()}" not in page
            assert other.legal_first_name not in page
            assert other.legal_last_name not in page


def test_a_members_reminders_name_no_other_member(circle) -> None:
    _meeting, members, seats = circle
    for seat in seats:
        subject, text, html = reminder_messages.render_email(seat)
        sms = reminder_messages.render_sms(seat)
        for other in members:
            if other.pk == seat.patient_id:
                continue
            for body in (subject, text, html, sms):
                assert other.legal_first_name not in body
                assert other.legal_last_name not in body


def test_front_desk_sees_roster_and_attendance_but_never_the_note(
    circle, clinician, as_front_desk
) -> None:
    meeting, members, _ = circle
    _write_and_sign(meeting, members, clinician)
    pages = [
        reverse("home"),
        reverse("scheduling:group_list"),
        reverse("scheduling:group_detail", args=[meeting.pk]),
        *(reverse("patients:detail", args=[m.pk]) for m in members),
        reverse("scheduling:day") + f"?date={timezone.localdate(meeting.starts_at)}",
        reverse("scheduling:week") + f"?date={timezone.localdate(meeting.starts_at)}",
    ]
    for url in pages:
        response = as_front_desk.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "body scan" not in page.lower(), url
        assert "PRIVATE-" not in page, url
    roster = as_front_desk.get(pages[2]).content.decode()
    assert "Late" in roster and "Left early" in roster and "Bruno Brandt" in roster
    # And every link on the roster that the front desk may follow carries no note either.
    assert reverse("sessions:group_note", args=[meeting.pk]) not in roster
    assert as_front_desk.get(reverse("sessions:group_note", args=[meeting.pk])).status_code == 403


def test_a_signed_note_is_locked_attendance_too_and_takes_addenda(circle, clinician) -> None:
    meeting, members, seats = circle
    note = _write_and_sign(meeting, members, clinician)
    with pytest.raises(ValidationError, match="signed and locked"):
        services.group_note_save(
            meeting=meeting, themes="x", practices="", private={}, by=clinician
        )
    with pytest.raises(ValidationError, match="attendance is locked"):
        scheduling.group_attendance_record(
            meeting=meeting, statuses={s.pk: "absent" for s in seats}, by=clinician
        )
    note.refresh_from_db()
    assert note.themes == SHARED
    services.group_note_addendum_add(note=note, text="ADDENDUM-SHARED", by=clinician)
    services.group_note_addendum_add(
        note=note, text="ADDENDUM-FOR-ALICIA", patient=members[0], by=clinician
    )
    with pytest.raises(ValidationError, match="empty"):
        services.group_note_addendum_add(note=note, text="  ", by=clinician)
    assert note.addenda.count() == 2


def test_addenda_reach_the_right_charts(circle, clinician, as_clinician) -> None:
    meeting, members, _ = circle
    note = _write_and_sign(meeting, members, clinician)
    services.group_note_addendum_add(note=note, text="ADDENDUM-SHARED", by=clinician)
    services.group_note_addendum_add(
        note=note, text="ADDENDUM-ONE", patient=members[0], by=clinician
    )
    first = as_clinician.get(reverse("patients:chart", args=[members[0].pk])).content.decode()
    second = as_clinician.get(reverse("patients:chart", args=[members[1].pk])).content.decode()
    assert "ADDENDUM-SHARED" in first and "ADDENDUM-SHARED" in second
    assert "ADDENDUM-ONE" in first and "ADDENDUM-ONE" not in second


def test_signing_refuses_a_shared_part_naming_a_member_until_confirmed(
    circle, clinician, as_clinician
) -> None:
    meeting, members, _ = circle
    note = services.group_note_save(
        meeting=meeting, themes="Bruno led the check-in.", practices="", private={}, by=clinician
    )
    page = as_clinician.get(reverse("sessions:group_note", args=[meeting.pk])).content.decode()
    assert 'data-testid="names-warning"' in page
    with pytest.raises(ValidationError, match="names a member: Bruno Brandt"):
        services.group_note_sign(note=note, by=clinician)
    note.refresh_from_db()
    assert not note.is_signed
    services.group_note_sign(note=note, by=clinician, names_confirmed=True)
    note.refresh_from_db()
    assert note.is_signed


def test_signing_needs_attendance_for_everyone_and_a_shared_part(clinician) -> None:
    meeting, _seats = started_meeting(members=[PatientFactory(), PatientFactory()])
    note = services.group_note_save(
        meeting=meeting, themes="", practices="", private={}, by=clinician
    )
    with pytest.raises(ValidationError) as refused:
        services.group_note_sign(note=note, by=clinician)
    assert "Write the shared themes before signing." in refused.value.messages
    assert "Take attendance first: 2 member(s) not marked." in refused.value.messages


def test_a_private_part_is_only_for_a_member(circle, clinician) -> None:
    meeting, _members, _ = circle
    stranger = PatientFactory()
    with pytest.raises(ValidationError, match="member of this meeting"):
        services.group_note_save(
            meeting=meeting, themes=SHARED, practices="", private={stranger.pk: "x"}, by=clinician
        )


def test_the_note_page_records_each_member_in_the_access_log(circle, as_clinician) -> None:
    meeting, members, _ = circle
    as_clinician.get(reverse("sessions:group_note", args=[meeting.pk]))
    logged = set(AccessEvent.objects.filter(what="group note").values_list("patient_id", flat=True))
    assert logged == {m.pk for m in members}


def _dosed(patient, *, by, hours_before):
    """A dosing session of ``patient`` whose dose ended ``hours_before`` now."""
    session = make_session(by=by, course=make_course(by=by, patient=patient))
    ended = timezone.now() - timedelta(hours=hours_before)
    DosingSession.objects.filter(pk=session.pk).update(
        dose_started_at=ended - timedelta(minutes=40), dose_ended_at=ended
    )
    return session


@pytest.mark.parametrize(
    ("hours_before", "attendance", "counts"),
    [
        (30, "present", True),  # inside 24-72 h
        (30, "late", True),
        (30, "left_early", True),
        (30, "absent", False),
        (30, "excused", False),
        (12, "present", False),  # too soon after the dose
        (80, "present", False),  # window closed
    ],
)
def test_an_integration_group_counts_as_the_follow_up_within_the_window(
    provider, hours_before, attendance, counts
) -> None:
    patient = ready_patient(by=provider)
    session = _dosed(patient, by=provider, hours_before=hours_before)
    meeting, seats = started_meeting(members=[patient], kind=group_type(), minutes_ago=5)
    scheduling.group_attendance_record(
        meeting=meeting, statuses={seats[0].pk: attendance}, by=provider
    )
    note = services.group_note_save(
        meeting=meeting, themes=SHARED, practices="", private={patient.pk: "Own part"}, by=provider
    )
    services.group_note_sign(note=note, by=provider)
    follow_ups = IntegrationFollowUp.objects.filter(session=session)
    assert follow_ups.exists() is counts
    if counts:
        follow_up = follow_ups.get()
        assert follow_up.themes == SHARED and follow_up.insights == "Own part"
        assert GroupIntegrationCredit.objects.get(follow_up=follow_up).note == note


def test_a_group_that_does_not_count_as_integration_makes_no_follow_up(provider) -> None:
    patient = ready_patient(by=provider)
    session = _dosed(patient, by=provider, hours_before=30)
    kind = group_type(counts_as_integration=False, name="Preparation circle")
    meeting, seats = started_meeting(members=[patient], kind=kind, minutes_ago=5)
    scheduling.group_attendance_record(
        meeting=meeting, statuses={seats[0].pk: "present"}, by=provider
    )
    note = services.group_note_save(
        meeting=meeting, themes=SHARED, practices="", private={}, by=provider
    )
    services.group_note_sign(note=note, by=provider)
    assert not IntegrationFollowUp.objects.filter(session=session).exists()


def test_the_chart_section_queries_do_not_grow_with_group_notes(clinician, as_clinician) -> None:
    patient = PatientFactory()
    url = reverse("patients:chart", args=[patient.pk])
    as_clinician.get(url)
    counts = []
    for total in (1, 4):
        while GroupNote.objects.count() < total:
            meeting, seats = started_meeting(
                members=[patient], minutes_ago=30 + 200 * GroupNote.objects.count()
            )
            scheduling.group_attendance_record(
                meeting=meeting, statuses={seats[0].pk: "present"}, by=clinician
            )
            _write_and_sign(meeting, [patient], clinician)
        with CaptureQueriesContext(connection) as captured:
            page = as_clinician.get(url).content.decode()
        assert page.count('data-testid="chart-group-note"') == total
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
