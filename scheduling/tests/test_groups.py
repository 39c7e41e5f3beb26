"""Group sessions on the schedule: meetings and series, capacity, the waiting list, the
calendar showing a group once, reminders per member, attendance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.tests.factories import PatientFactory, UserFactory
from scheduling import group_selectors, messages, services
from scheduling.models import (
    Appointment,
    GroupAttendance,
    GroupMeeting,
    GroupWaitlistEntry,
    Room,
)
from scheduling.services import GroupFull
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    RoomFactory,
    clinician_user,
    tomorrow_at,
)
from scheduling.tests.group_factories import group_type, meeting, meetings

pytestmark = pytest.mark.django_db


def test_a_weekly_series_puts_eight_meetings_on_the_schedule_a_week_apart() -> None:
    found = meetings(count=8)
    assert len(found) == 8
    assert {m.series_id for m in found} == {found[0].series_id}
    gaps = {
        timezone.localtime(b.starts_at).date() - timezone.localtime(a.starts_at).date()
        for a, b in zip(found, found[1:], strict=False)
    }
    assert gaps == {timedelta(days=7)}
    # Same wall-clock time every week, whatever daylight saving does.
    assert {timezone.localtime(m.starts_at).time() for m in found} == {
        timezone.localtime(found[0].starts_at).time()
    }
    assert all(m.room is not None and m.room.name == "Group room" for m in found)


def test_a_meeting_refuses_a_facilitator_who_is_busy_then() -> None:
    facilitator = clinician_user()
    AppointmentFactory(clinician=facilitator, starts_at=tomorrow_at(17))
    with pytest.raises(services.BookingConflict, match="already booked"):
        meeting(facilitator=facilitator, starts_at=tomorrow_at(17, 30))
    assert not GroupMeeting.objects.exists()


def test_an_individual_visit_cannot_take_the_facilitator_of_an_empty_group() -> None:
    facilitator = clinician_user()
    meeting(facilitator=facilitator, starts_at=tomorrow_at(17))
    roomless = AppointmentTypeFactory(name="Telehealth", room_kind="")
    with pytest.raises(services.BookingConflict, match="facilitates a group"):
        services.appointment_book(
            patient=PatientFactory(),
            type=roomless,
            clinician=facilitator,
            starts_at=tomorrow_at(18),
            by=UserFactory(),
            allow_outside_hours=True,
        )


def test_a_group_type_is_not_booked_as_an_individual_visit() -> None:
    kind = group_type()
    with pytest.raises(services.SchedulingError, match="is a group"):
        services.appointment_book(
            patient=PatientFactory(),
            type=kind.appointment_type,
            clinician=clinician_user(),
            starts_at=tomorrow_at(12),
            by=UserFactory(),
            allow_outside_hours=True,
        )


def test_a_two_facilitator_group_needs_the_second_one() -> None:
    kind = group_type()
    kind.facilitators = 2
    kind.save()
    with pytest.raises(services.SchedulingError, match="two facilitators"):
        meeting(kind=kind)


def test_enrolment_stops_at_capacity_and_offers_the_waiting_list() -> None:
    m = meeting(kind=group_type(capacity=2))
    desk = UserFactory()
    first, second, third = PatientFactory(), PatientFactory(), PatientFactory()
    services.group_enrol(meeting=m, patient=first, by=desk)
    services.group_enrol(meeting=m, patient=second, by=desk)
    with pytest.raises(GroupFull, match=r"is full \(2 of 2\)"):
        services.group_enrol(meeting=m, patient=third, by=desk)
    assert services.seats_taken(m) == 2
    entry = services.group_waitlist_join(meeting=m, patient=third, by=desk)
    assert entry.status == GroupWaitlistEntry.Status.WAITING


def test_the_enrol_page_offers_the_waiting_list_only_when_full(as_front_desk) -> None:
    m = meeting(kind=group_type(capacity=2))
    desk = UserFactory()
    first, second, third = PatientFactory(), PatientFactory(), PatientFactory()
    services.group_enrol(meeting=m, patient=first, by=desk)
    url = reverse("scheduling:group_enrol", args=[m.pk])
    # Already enrolled: refused with the reason, no waiting-list offer.
    response = as_front_desk.post(url, {"patient": first.pk, "scope": "meeting"})
    assert response.status_code == 409
    assert b"already enrolled" in response.content
    assert b'data-testid="group-full"' not in response.content
    services.group_enrol(meeting=m, patient=second, by=desk)
    # Full: the reason and the offer to wait.
    response = as_front_desk.post(url, {"patient": third.pk, "scope": "meeting"})
    assert response.status_code == 409
    assert b"is full (2 of 2)" in response.content
    assert b'data-testid="group-full"' in response.content
    assert services.seats_taken(m) == 2


def test_the_waiting_list_is_for_a_full_meeting_only() -> None:
    m = meeting(kind=group_type(capacity=2))
    with pytest.raises(services.SchedulingError, match="has a free place: enrol instead"):
        services.group_waitlist_join(meeting=m, patient=PatientFactory(), by=UserFactory())
    assert not GroupWaitlistEntry.objects.exists()


def test_a_group_place_is_not_rescheduled_away_from_its_meeting() -> None:
    m = meeting()
    seat = services.group_enrol(meeting=m, patient=PatientFactory(), by=UserFactory())
    with pytest.raises(services.SchedulingError, match="cancel it and enrol"):
        services.appointment_reschedule(
            appointment=seat, starts_at=m.starts_at + timedelta(days=1), by=UserFactory()
        )
    seat.refresh_from_db()
    assert seat.starts_at == m.starts_at


def test_a_patient_is_enrolled_once() -> None:
    m = meeting()
    patient = PatientFactory()
    services.group_enrol(meeting=m, patient=patient, by=UserFactory())
    with pytest.raises(services.SchedulingError, match="already enrolled"):
        services.group_enrol(meeting=m, patient=patient, by=UserFactory())


def test_a_patient_busy_elsewhere_is_refused() -> None:
    m = meeting(starts_at=tomorrow_at(17))
    patient = PatientFactory()
    AppointmentFactory(patient=patient, starts_at=tomorrow_at(17, 30))
    with pytest.raises(services.BookingConflict, match="already has an appointment"):
        services.group_enrol(meeting=m, patient=patient, by=UserFactory())


def test_series_enrolment_is_all_or_nothing_unless_the_full_dates_wait() -> None:
    found = meetings(kind=group_type(capacity=2), count=3)
    desk = UserFactory()
    for p in (PatientFactory(), PatientFactory()):
        services.group_enrol(meeting=found[1], patient=p, by=desk)
    patient = PatientFactory()
    with pytest.raises(GroupFull) as refused:
        services.group_enrol_series(meeting=found[0], patient=patient, by=desk)
    assert refused.value.meetings == [found[1]]
    assert not Appointment.objects.filter(patient=patient).exists()
    result = services.group_enrol_series(
        meeting=found[0], patient=patient, by=desk, wait_when_full=True
    )
    assert [a.group_meeting_id for a in result.enrolled] == [found[0].pk, found[2].pk]
    assert [w.meeting_id for w in result.waiting] == [found[1].pk]


def test_a_cancelled_place_frees_the_seat_for_the_first_on_the_waiting_list() -> None:
    m = meeting(kind=group_type(capacity=2))
    desk = UserFactory()
    seat = services.group_enrol(meeting=m, patient=PatientFactory(), by=desk)
    services.group_enrol(meeting=m, patient=PatientFactory(), by=desk)
    early, late = PatientFactory(), PatientFactory()
    first = services.group_waitlist_join(meeting=m, patient=early, by=desk)
    second = services.group_waitlist_join(meeting=m, patient=late, by=desk)
    assert group_selectors.place_offers() == []

    services.appointment_cancel(appointment=seat, reason="Away", by=desk)
    offers = group_selectors.place_offers()
    assert [(o.meeting.pk, o.entry.pk, o.free, o.behind) for o in offers] == [
        (m.pk, first.pk, 1, 1)
    ]
    with pytest.raises(services.SchedulingError, match="joined the waiting list earlier"):
        services.group_waitlist_enrol(entry=second, by=desk)
    place = services.group_waitlist_enrol(entry=first, by=desk)
    assert place.patient == early and place.reminders.exists()
    first.refresh_from_db()
    assert first.status == GroupWaitlistEntry.Status.ENROLLED
    assert group_selectors.place_offers() == []


def test_the_front_desk_home_page_offers_the_freed_place(as_front_desk) -> None:
    m = meeting(kind=group_type(capacity=2))
    desk = UserFactory()
    seat = services.group_enrol(meeting=m, patient=PatientFactory(), by=desk)
    services.group_enrol(meeting=m, patient=PatientFactory(), by=desk)
    waiting = PatientFactory(legal_first_name="Wren", legal_last_name="Waiting")
    entry = services.group_waitlist_join(meeting=m, patient=waiting, by=desk)
    services.appointment_cancel(appointment=seat, reason="Away", by=desk)
    page = as_front_desk.get("/").content.decode()
    assert "Free group places to offer" in page and "Wren Waiting" in page
    response = as_front_desk.post(
        reverse("scheduling:group_waitlist_enrol", args=[entry.pk]), {"back": "home"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert Appointment.objects.filter(group_meeting=m, patient=waiting).exists()


def test_each_member_gets_their_own_reminder_naming_no_other_member() -> None:
    m = meeting(starts_at=tomorrow_at(17, days=4))
    desk = UserFactory()
    alice = PatientFactory(legal_first_name="Alicia", legal_last_name="Anders")
    bruno = PatientFactory(legal_first_name="Bruno", legal_last_name="Brandt")
    seats = [services.group_enrol(meeting=m, patient=p, by=desk) for p in (alice, bruno)]
    for seat in seats:
        assert seat.reminders.count() == 2  # 48 h and 2 h, e-mail
        subject, text, html = messages.render_email(seat)
        other = bruno if seat.patient == alice else alice
        for body in (subject, text, html, messages.render_sms(seat)):
            assert other.legal_first_name not in body and other.legal_last_name not in body
    reminder = seats[0].reminders.first()
    messages.deliver(reminder)
    assert "Bruno" not in mail.outbox[0].body and "Brandt" not in mail.outbox[0].body


def test_attendance_completes_or_misses_each_place() -> None:
    start = timezone.now() - timedelta(minutes=10)
    m = meeting(starts_at=start + timedelta(hours=1), now=start - timedelta(hours=1))
    desk = UserFactory()
    a, b = (
        services.group_enrol(meeting=m, patient=PatientFactory(), by=desk, now=start)
        for _ in range(2)
    )
    GroupMeeting.objects.filter(pk=m.pk).update(starts_at=start, ends_at=start + timedelta(hours=1))
    Appointment.objects.filter(group_meeting=m).update(
        starts_at=start, ends_at=start + timedelta(hours=1)
    )
    with pytest.raises(services.SchedulingError, match="Mark every member"):
        services.group_attendance_record(meeting=m, statuses={a.pk: "present"}, by=desk)
    services.group_attendance_record(meeting=m, statuses={a.pk: "late", b.pk: "excused"}, by=desk)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == Appointment.Status.COMPLETED and a.group_attendance.status == "late"
    assert b.status == Appointment.Status.NO_SHOW
    assert GroupAttendance.objects.count() == 2


def test_attendance_waits_for_the_meeting_to_start() -> None:
    m = meeting()
    seat = services.group_enrol(meeting=m, patient=PatientFactory(), by=UserFactory())
    with pytest.raises(services.SchedulingError, match="once the meeting has started"):
        services.group_attendance_record(meeting=m, statuses={seat.pk: "present"}, by=UserFactory())


def test_the_calendars_show_a_group_once_with_enrolled_and_capacity(as_front_desk) -> None:
    m = meeting(kind=group_type(capacity=6), starts_at=tomorrow_at(17))
    desk = UserFactory()
    for _ in range(3):
        services.group_enrol(meeting=m, patient=PatientFactory(), by=desk)
    day = timezone.localdate(m.starts_at).isoformat()
    for url in (reverse("scheduling:day"), reverse("scheduling:week")):
        for by in ("clinician", "room"):
            page = as_front_desk.get(url, {"date": day, "by": by}).content.decode()
            assert page.count('data-testid="calendar-group"') == 1
            assert "3 / 6 enrolled" in page
            assert 'data-testid="calendar-appointment"' not in page
    detail = as_front_desk.get(reverse("scheduling:group_detail", args=[m.pk])).content.decode()
    assert detail.count('data-testid="roster-member"') == 3


def test_cancelling_a_meeting_cancels_every_place_and_its_reminders() -> None:
    m = meeting()
    desk = UserFactory()
    seat = services.group_enrol(meeting=m, patient=PatientFactory(), by=desk)
    services.group_meeting_cancel(meeting=m, reason="Facilitator ill", by=desk)
    seat.refresh_from_db()
    assert seat.status == Appointment.Status.CANCELLED
    assert not seat.reminders.filter(status="pending").exists()


# --- query counts -----------------------------------------------------------------------------


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_group_pages_queries_do_not_grow_with_meetings_or_members(as_front_desk) -> None:
    kind = group_type(capacity=10)
    desk = UserFactory()
    first = meeting(kind=kind, starts_at=tomorrow_at(9))
    day = timezone.localdate(first.starts_at).isoformat()
    as_front_desk.get(reverse("scheduling:group_list"))  # the session's first write
    counts = {"list": [], "detail": [], "day": [], "week": []}
    for extra in (1, 4):
        while GroupMeeting.objects.count() < extra + 1:
            n = GroupMeeting.objects.count()
            room = RoomFactory(name=f"Circle room {n}", kind=Room.Kind.THERAPY)
            meeting(kind=kind, starts_at=tomorrow_at(9), room=room)
        while services.seats_taken(first) < extra * 2:
            services.group_enrol(meeting=first, patient=PatientFactory(), by=desk)
        counts["list"].append(_queries(as_front_desk, reverse("scheduling:group_list")))
        counts["detail"].append(
            _queries(as_front_desk, reverse("scheduling:group_detail", args=[first.pk]))
        )
        counts["day"].append(_queries(as_front_desk, reverse("scheduling:day"), date=day))
        counts["week"].append(_queries(as_front_desk, reverse("scheduling:week"), date=day))
    for page, (few, many) in counts.items():
        assert few == many, (page, few, many)
