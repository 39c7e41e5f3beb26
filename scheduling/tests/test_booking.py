from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from kap_clinic import roles
from patients.models import Patient
from patients.tests.factories import PatientFactory, UserFactory
from scheduling import availability, services
from scheduling.models import Appointment, AppointmentType, Reminder, Room
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    RoomFactory,
    clinician_user,
    full_week_hours,
    tomorrow_at,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    consult = AppointmentTypeFactory(name="Consultation", kind=AppointmentType.Kind.CONSULTATION)
    room_a = RoomFactory(name="Consult A", kind=Room.Kind.CONSULT)
    room_b = RoomFactory(name="Consult B", kind=Room.Kind.CONSULT)
    doc = clinician_user(first_name="Casey", last_name="Morgan")
    other = clinician_user(first_name="Jordan", last_name="Lee")
    full_week_hours(doc)
    full_week_hours(other)
    desk = UserFactory()
    return {
        "type": consult,
        "rooms": (room_a, room_b),
        "doc": doc,
        "other": other,
        "desk": desk,
    }


def book(setup, **overrides):
    kwargs = {
        "patient": overrides.pop("patient", None) or PatientFactory(),
        "type": setup["type"],
        "clinician": setup["doc"],
        "starts_at": tomorrow_at(10),
        "by": setup["desk"],
    }
    kwargs.update(overrides)
    return services.appointment_book(**kwargs)


def test_booking_sets_end_from_duration_and_picks_a_free_room(setup):
    first = book(setup)
    assert first.ends_at - first.starts_at == timedelta(minutes=60)
    assert first.room == setup["rooms"][0]
    second = book(setup, clinician=setup["other"])
    assert second.room == setup["rooms"][1]


def test_an_archived_patient_cannot_be_booked_whatever_the_caller(setup):
    from patients.services import patient_archive

    patient = patient_archive(patient=PatientFactory(), by=setup["desk"])
    with pytest.raises(services.SchedulingError, match="is archived: restore them"):
        book(setup, patient=patient)
    assert not Appointment.objects.filter(patient=patient).exists()


def test_clinician_conflict_is_refused_naming_the_other_appointment(setup):
    first = book(setup)
    with pytest.raises(services.BookingConflict) as caught:
        book(setup, starts_at=tomorrow_at(10, 30))
    message = caught.value.messages[0]
    assert "Casey Morgan is already booked" in message
    assert first.patient.display_name in message
    assert caught.value.conflict == first


def test_room_conflict_is_refused_naming_the_other_appointment(setup):
    first = book(setup, room=setup["rooms"][0])
    with pytest.raises(services.BookingConflict) as caught:
        book(setup, clinician=setup["other"], room=setup["rooms"][0])
    assert "Consult A is already booked" in caught.value.messages[0]
    assert first.patient.display_name in caught.value.messages[0]


def test_patient_conflict_is_refused_naming_the_other_appointment(setup):
    first = book(setup)
    with pytest.raises(services.BookingConflict) as caught:
        book(setup, patient=first.patient, clinician=setup["other"], starts_at=tomorrow_at(10, 45))
    assert "The patient already has an appointment" in caught.value.messages[0]
    assert "Casey Morgan" in caught.value.messages[0]


def test_back_to_back_appointments_do_not_conflict(setup):
    book(setup)
    assert book(setup, starts_at=tomorrow_at(11)).room == setup["rooms"][0]


def test_a_cancelled_appointment_frees_its_slot(setup):
    first = book(setup)
    services.appointment_cancel(appointment=first, reason="Patient ill", by=setup["desk"])
    assert book(setup).status == Appointment.Status.BOOKED


def test_booking_in_the_past_is_refused(setup):
    with pytest.raises(services.SchedulingError, match="in the past"):
        book(setup, starts_at=timezone.now() - timedelta(minutes=5))


def test_outside_working_hours_warns_and_books_when_confirmed(setup):
    late = tomorrow_at(21)
    with pytest.raises(services.OutsideWorkingHours, match="does not work"):
        book(setup, starts_at=late)
    assert not Appointment.objects.exists()
    assert book(setup, starts_at=late, allow_outside_hours=True).starts_at == late


def test_no_free_room_is_refused(setup):
    book(setup)
    book(setup, clinician=setup["other"])
    third = clinician_user()
    full_week_hours(third)
    with pytest.raises(services.SchedulingError, match="No consultation room is free"):
        book(setup, clinician=third)


def test_room_of_the_wrong_kind_is_refused(setup):
    infusion = RoomFactory(name="Infusion 1", kind=Room.Kind.INFUSION)
    with pytest.raises(services.SchedulingError, match="needs a consultation room"):
        book(setup, room=infusion)


def test_provider_only_visit_cannot_go_to_a_therapist(setup):
    setup["type"].provided_by = AppointmentType.ProvidedBy.MEDICAL_PROVIDER
    setup["type"].save()
    with pytest.raises(services.SchedulingError, match="medical provider"):
        book(setup)
    prescriber = UserFactory()
    prescriber.groups.add(Group.objects.get(name=roles.MEDICAL_PROVIDER))
    full_week_hours(prescriber)
    assert book(setup, clinician=prescriber).clinician == prescriber


def test_booking_a_consultation_moves_an_inquiry_to_consultation_scheduled(setup):
    patient = PatientFactory()
    assert patient.status == Patient.Status.INQUIRY
    book(setup, patient=patient)
    patient.refresh_from_db()
    assert patient.status == Patient.Status.CONSULTATION_SCHEDULED


def test_new_inquiry_is_registered_and_booked_together(setup):
    appointment = services.inquiry_book_consultation(
        patient_fields={
            "legal_first_name": "Ada",
            "legal_last_name": "Newcomer",
            "date_of_birth": "1990-02-03",
            "email": "ada@example.org",
        },
        type=setup["type"],
        clinician=setup["doc"],
        starts_at=tomorrow_at(9),
        by=setup["desk"],
    )
    assert appointment.patient.mrn
    assert appointment.patient.status == Patient.Status.CONSULTATION_SCHEDULED


def test_new_inquiry_is_not_registered_when_the_booking_is_refused(setup):
    book(setup)
    with pytest.raises(services.BookingConflict):
        services.inquiry_book_consultation(
            patient_fields={
                "legal_first_name": "Ada",
                "legal_last_name": "Refused",
                "date_of_birth": "1990-02-03",
            },
            type=setup["type"],
            clinician=setup["doc"],
            starts_at=tomorrow_at(10),
            by=setup["desk"],
        )
    assert not Patient.objects.filter(legal_last_name="Refused").exists()


def test_reschedule_checks_conflicts_but_not_against_itself(setup):
    first = book(setup)
    second = book(setup, starts_at=tomorrow_at(12))
    moved = services.appointment_reschedule(
        appointment=first, starts_at=tomorrow_at(10, 30), by=setup["desk"]
    )
    assert moved.starts_at == tomorrow_at(10, 30)
    assert moved.rescheduled_by == setup["desk"]
    with pytest.raises(services.BookingConflict, match="already booked"):
        services.appointment_reschedule(
            appointment=moved, starts_at=tomorrow_at(11, 30), by=setup["desk"]
        )
    second.refresh_from_db()
    assert second.starts_at == tomorrow_at(12)


def test_lifecycle_keeps_who_and_when(setup):
    desk, doc = setup["desk"], setup["doc"]
    start = timezone.now() + timedelta(minutes=30)
    appointment = book(setup, starts_at=start, allow_outside_hours=True)
    checked = services.appointment_check_in(appointment=appointment, by=desk)
    assert checked.status == Appointment.Status.CHECKED_IN
    assert checked.checked_in_by == desk and checked.checked_in_at
    with pytest.raises(services.SchedulingError, match="before it starts"):
        services.appointment_complete(appointment=checked, by=doc)
    done = services.appointment_complete(
        appointment=checked, by=doc, now=start + timedelta(hours=1)
    )
    assert done.status == Appointment.Status.COMPLETED and done.completed_by == doc
    with pytest.raises(services.SchedulingError, match="cannot be cancelled"):
        services.appointment_cancel(appointment=done, reason="x", by=desk)
    assert {h.history_change_reason for h in done.history.all()} >= {
        f"booked by {desk}",
        f"checked in by {desk}",
        f"completed by {doc}",
    }


def test_no_show_only_after_the_start(setup):
    appointment = book(setup)
    with pytest.raises(services.SchedulingError, match="has started"):
        services.appointment_no_show(appointment=appointment, by=setup["desk"])
    missed = services.appointment_no_show(
        appointment=appointment, by=setup["desk"], now=appointment.starts_at + timedelta(minutes=20)
    )
    assert missed.status == Appointment.Status.NO_SHOW and missed.no_show_by == setup["desk"]
    assert not missed.reminders.filter(status=Reminder.Status.PENDING).exists()


def test_cancel_needs_a_reason_and_keeps_it(setup):
    appointment = book(setup)
    with pytest.raises(services.SchedulingError, match="reason"):
        services.appointment_cancel(appointment=appointment, reason="  ", by=setup["desk"])
    cancelled = services.appointment_cancel(
        appointment=appointment, reason="Travelling", by=setup["desk"]
    )
    assert cancelled.cancellation_reason == "Travelling"
    assert cancelled.cancelled_by == setup["desk"] and cancelled.cancelled_at


def test_check_in_only_today(setup):
    appointment = book(setup)
    with pytest.raises(services.SchedulingError, match="today"):
        services.appointment_check_in(appointment=appointment, by=setup["desk"])


# --- series ----------------------------------------------------------------------------------


@pytest.fixture
def dosing(setup):
    for n in (1, 2):
        RoomFactory(name=f"Infusion {n}", kind=Room.Kind.INFUSION)
    return AppointmentTypeFactory(
        name="Dosing session",
        kind=AppointmentType.Kind.DOSING,
        duration_minutes=150,
        room_kind=Room.Kind.INFUSION,
    )


def next_monday():
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


def test_series_preview_lists_every_visit_and_each_conflict(setup, dosing):
    patient = PatientFactory()
    starts = services.series_starts(
        first_day=next_monday(), weekdays=[0, 2, 4], at=tomorrow_at(9).time(), weeks=2
    )
    assert len(starts) == 6
    blocker = AppointmentFactory(
        type=setup["type"], clinician=setup["doc"], starts_at=starts[2] + timedelta(minutes=30)
    )
    preview = services.series_preview(
        patient=patient, type=dosing, clinician=setup["doc"], starts=starts
    )
    assert [bool(item.problem) for item in preview] == [False, False, True, False, False, False]
    assert blocker.patient.display_name in preview[2].problem
    assert all(item.room for i, item in enumerate(preview) if i != 2)
    assert not Appointment.objects.filter(patient=patient).exists()


def test_series_is_booked_all_or_nothing(setup, dosing):
    patient = PatientFactory()
    starts = services.series_starts(
        first_day=next_monday(), weekdays=[0, 2, 4], at=tomorrow_at(9).time(), weeks=2
    )
    AppointmentFactory(type=setup["type"], clinician=setup["doc"], starts_at=starts[-1])
    with pytest.raises(services.BookingConflict, match="Nothing was booked"):
        services.appointment_series_book(
            patient=patient, type=dosing, clinician=setup["doc"], starts=starts, by=setup["desk"]
        )
    assert not Appointment.objects.filter(patient=patient).exists()
    assert not Reminder.objects.filter(appointment__patient=patient).exists()
    booked = services.appointment_series_book(
        patient=patient, type=dosing, clinician=setup["doc"], starts=starts[:-1], by=setup["desk"]
    )
    assert len(booked) == 5


def test_integration_slots_fall_24_to_72_hours_after_dosing(setup, dosing):
    integration = AppointmentTypeFactory(
        name="Integration", kind=AppointmentType.Kind.INTEGRATION, room_kind=Room.Kind.CONSULT
    )
    session = AppointmentFactory(type=dosing, clinician=setup["doc"], starts_at=tomorrow_at(9))
    slots = availability.integration_slots(dosing=session, type=integration, clinician=setup["doc"])
    assert slots
    for slot in slots:
        assert (
            session.ends_at + timedelta(hours=24) <= slot <= session.ends_at + timedelta(hours=72)
        )


def test_next_available_skips_booked_and_off_hours(setup):
    first = book(setup, starts_at=tomorrow_at(8))
    slots = availability.next_available_slots(
        type=setup["type"], clinician=setup["doc"], after=tomorrow_at(7, 50), limit=3
    )
    assert slots[0] == first.ends_at
    late = availability.next_available_slots(
        type=setup["type"], clinician=setup["doc"], after=tomorrow_at(19, 30), limit=1
    )
    assert late == [tomorrow_at(7, days=2)]


def test_a_booking_entered_after_the_fact_records_when_it_was_booked(setup):
    then = timezone.now() - timedelta(days=3)
    appointment = book(setup, starts_at=then + timedelta(days=1), now=then)
    assert Appointment.objects.get(pk=appointment.pk).booked_at == then

    today = book(setup, patient=PatientFactory(), starts_at=tomorrow_at(14))
    assert timezone.now() - Appointment.objects.get(pk=today.pk).booked_at < timedelta(minutes=1)
