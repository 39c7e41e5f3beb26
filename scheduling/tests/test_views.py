from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kap_clinic.models import AccessEvent
from patients.models import Patient
from patients.tests.factories import PatientFactory, UserFactory
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
def clinic(clinician, provider):
    consult = AppointmentTypeFactory(
        name="Consultation", kind=AppointmentType.Kind.CONSULTATION, colour="#0d6efd"
    )
    RoomFactory(name="Consult A", kind=Room.Kind.CONSULT)
    for user in (clinician, provider):
        full_week_hours(user)
    return {"consult": consult}


def booking_data(clinic, clinician, start, **extra):
    data = {
        "type": clinic["consult"].pk,
        "clinician": clinician.pk,
        "date": start.date().isoformat(),
        "time": start.strftime("%H:%M"),
    }
    data.update(extra)
    return data


NEW_INQUIRY = {
    "patient": "",
    "new_first_name": "Robin",
    "new_last_name": "Inquirer",
    "new_date_of_birth": "1988-04-05",
    "new_email": "robin@example.org",
}


def test_front_desk_books_a_new_inquiry_sees_it_reschedules_and_cancels(
    as_front_desk, clinic, clinician
):
    start = tomorrow_at(10)
    response = as_front_desk.post(
        reverse("scheduling:appointment_book"),
        booking_data(clinic, clinician, start, **NEW_INQUIRY),
    )
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:appointment_detail", args=[appointment.pk])
    assert appointment.patient.status == Patient.Status.CONSULTATION_SCHEDULED
    assert appointment.reminders.count() == 2

    day = as_front_desk.get(reverse("scheduling:day"), {"date": start.date().isoformat()})
    assert "Robin Inquirer" in day.content.decode()
    assert "Consultation" in day.content.decode()

    moved = tomorrow_at(14)
    response = as_front_desk.post(
        reverse("scheduling:appointment_reschedule", args=[appointment.pk]),
        {"date": moved.date().isoformat(), "time": "14:00", "clinician": clinician.pk},
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == moved

    response = as_front_desk.post(
        reverse("scheduling:appointment_cancel", args=[appointment.pk]), {"reason": "Found work"}
    )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.cancellation_reason == "Found work"
    detail = as_front_desk.get(reverse("scheduling:appointment_detail", args=[appointment.pk]))
    assert "Found work" in detail.content.decode()
    assert AccessEvent.objects.filter(patient_id=appointment.patient_id).exists()


def test_booking_form_names_the_conflicting_appointment_and_keeps_the_input(
    as_front_desk, clinic, clinician
):
    existing = AppointmentFactory(
        type=clinic["consult"], clinician=clinician, starts_at=tomorrow_at(9)
    )
    patient = PatientFactory()
    response = as_front_desk.post(
        reverse("scheduling:appointment_book"),
        booking_data(clinic, clinician, tomorrow_at(9, 30), patient_search=patient.mrn),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "is already booked" in page and existing.patient.display_name in page
    assert f'name="patient" value="{patient.pk}"' in page
    assert f'value="{patient.mrn}"' in page
    assert 'data-testid="next-available"' in page
    assert Appointment.objects.count() == 1


def test_outside_hours_needs_the_book_anyway_box(as_front_desk, clinic, clinician):
    patient = PatientFactory()
    late = tomorrow_at(21)
    data = booking_data(clinic, clinician, late, patient=patient.pk)
    response = as_front_desk.post(reverse("scheduling:appointment_book"), data)
    assert "does not work" in response.content.decode()
    assert not Appointment.objects.exists()
    response = as_front_desk.post(
        reverse("scheduling:appointment_book"), {**data, "allow_outside_hours": "on"}
    )
    assert response.status_code == 302
    assert Appointment.objects.get().starts_at == late


def test_new_inquiry_needs_name_birth_date_and_contact(as_front_desk, clinic, clinician):
    response = as_front_desk.post(
        reverse("scheduling:appointment_book"),
        booking_data(clinic, clinician, tomorrow_at(10), patient="", new_first_name="Only"),
    )
    page = response.content.decode()
    assert "Needed to register the new inquiry" in page
    assert "Give a phone number or an e-mail" in page
    assert not Patient.objects.exists()


def test_unknown_mrn_is_a_form_error(as_front_desk, clinic, clinician):
    response = as_front_desk.post(
        reverse("scheduling:appointment_book"),
        booking_data(clinic, clinician, tomorrow_at(10), patient_search="KAP-999999"),
    )
    assert "No patient matches “KAP-999999”" in response.content.decode()


def test_empty_slot_link_prefills_the_booking_form(as_front_desk, clinic, clinician):
    start = tomorrow_at(11)
    response = as_front_desk.get(
        reverse("scheduling:appointment_book"),
        {"start": start.isoformat(), "clinician": clinician.pk},
    )
    page = response.content.decode()
    assert f'value="{start.date().isoformat()}"' in page
    assert 'value="11:00"' in page


def _many_appointments(day, count: int) -> None:
    """``count`` appointments on ``day`` across 20 clinicians, written directly (fast)."""
    type_ = AppointmentTypeFactory(name="Bulk", room_kind="", duration_minutes=30)
    desk = UserFactory()
    people = [clinician_user() for _ in range(20)]
    patients = [PatientFactory() for _ in range(count)]
    rows = []
    for n, patient in enumerate(patients):
        start = timezone.make_aware(datetime.combine(day, time(8))) + timedelta(
            minutes=30 * (n // 20)
        )
        rows.append(
            Appointment(
                patient=patient,
                type=type_,
                clinician=people[n % 20],
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
                booked_by=desk,
            )
        )
    Appointment.objects.bulk_create(rows)


@pytest.mark.parametrize("count", [10, 200])
@pytest.mark.parametrize("by", ["clinician", "room"])
def test_day_calendar_query_count_does_not_grow_with_appointments(
    as_front_desk, django_assert_max_num_queries, count, by
):
    day = timezone.localdate() + timedelta(days=1)
    _many_appointments(day, count)
    with django_assert_max_num_queries(12):
        response = as_front_desk.get(reverse("scheduling:day"), {"date": day.isoformat(), "by": by})
    assert response.content.decode().count('data-testid="calendar-appointment"') == count


@pytest.mark.parametrize("count", [10, 200])
def test_week_calendar_query_count_does_not_grow(
    as_front_desk, django_assert_max_num_queries, count
):
    day = timezone.localdate() + timedelta(days=1)
    _many_appointments(day, count)
    with django_assert_max_num_queries(10):
        response = as_front_desk.get(reverse("scheduling:week"), {"date": day.isoformat()})
    assert response.status_code == 200


def test_calendar_shows_name_type_and_status_but_nothing_clinical(as_front_desk, clinic, clinician):
    appointment = AppointmentFactory(
        type=clinic["consult"], clinician=clinician, starts_at=tomorrow_at(9)
    )
    page = as_front_desk.get(
        reverse("scheduling:day"), {"date": appointment.starts_at.date().isoformat()}
    ).content.decode()
    assert appointment.patient.display_name in page
    assert "background: #0d6efd" in page
    assert appointment.patient.mrn not in page
    assert str(appointment.patient.date_of_birth.year) not in page


def test_day_calendar_toggles_to_rooms(as_front_desk, clinic, clinician):
    AppointmentFactory(type=clinic["consult"], clinician=clinician, starts_at=tomorrow_at(9))
    page = as_front_desk.get(
        reverse("scheduling:day"), {"date": tomorrow_at(9).date().isoformat(), "by": "room"}
    ).content.decode()
    assert "Consult A" in page


def test_bad_calendar_date_falls_back_to_today(as_front_desk):
    response = as_front_desk.get(reverse("scheduling:day"), {"date": "not-a-date"})
    assert response.context["day"] == timezone.localdate()


def test_arrivals_check_in_from_the_list(as_front_desk, clinic, clinician):
    now = timezone.now()
    soon = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    if timezone.localdate(soon) != timezone.localdate(now):
        pytest.skip("too close to midnight for a same-day appointment")
    appointment = AppointmentFactory(type=clinic["consult"], clinician=clinician, starts_at=soon)
    page = as_front_desk.get(reverse("scheduling:arrivals")).content.decode()
    assert appointment.patient.display_name in page
    response = as_front_desk.post(
        reverse("scheduling:appointment_check_in", args=[appointment.pk]),
        {"next": reverse("scheduling:arrivals")},
    )
    assert response["Location"] == reverse("scheduling:arrivals")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN
    home = as_front_desk.get(reverse("home")).content.decode()
    assert "Today's arrivals" in home and appointment.patient.display_name in home


def test_refused_status_change_shows_the_reason(as_front_desk, clinic, clinician):
    appointment = AppointmentFactory(type=clinic["consult"], clinician=clinician)
    response = as_front_desk.post(
        reverse("scheduling:appointment_no_show", args=[appointment.pk]), follow=True
    )
    assert "has started" in response.content.decode()


def test_series_preview_then_book_all(as_front_desk, clinic, clinician):
    RoomFactory(name="Infusion 1", kind=Room.Kind.INFUSION)
    dosing = AppointmentTypeFactory(
        name="Dosing session",
        kind=AppointmentType.Kind.DOSING,
        duration_minutes=150,
        room_kind=Room.Kind.INFUSION,
    )
    patient = PatientFactory()
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    data = {
        "patient": patient.pk,
        "type": dosing.pk,
        "clinician": clinician.pk,
        "first_day": monday.isoformat(),
        "weekdays": ["0", "2", "4"],
        "time": "09:00",
        "weeks": "2",
    }
    preview = as_front_desk.post(reverse("scheduling:series_book"), {**data, "preview": "1"})
    assert preview.content.decode().count("Free") == 6
    assert not Appointment.objects.exists()
    response = as_front_desk.post(reverse("scheduling:series_book"), {**data, "commit": "1"})
    assert response.status_code == 302
    assert Appointment.objects.filter(patient=patient).count() == 6


def test_dosing_detail_offers_integration_slots(as_clinician, clinic, clinician):
    RoomFactory(name="Infusion 1", kind=Room.Kind.INFUSION)
    RoomFactory(name="Therapy", kind=Room.Kind.THERAPY)
    dosing = AppointmentTypeFactory(
        name="Dosing session", kind=AppointmentType.Kind.DOSING, room_kind=Room.Kind.INFUSION
    )
    AppointmentTypeFactory(
        name="Integration", kind=AppointmentType.Kind.INTEGRATION, room_kind=Room.Kind.THERAPY
    )
    session = AppointmentFactory(type=dosing, clinician=clinician, starts_at=tomorrow_at(9))
    page = as_clinician.get(
        reverse("scheduling:appointment_detail", args=[session.pk])
    ).content.decode()
    assert 'data-testid="integration-slots"' in page


def test_reminders_page_shows_failures_and_retry(as_front_desk, clinic, clinician):
    appointment = AppointmentFactory(type=clinic["consult"], clinician=clinician)
    reminder = appointment.reminders.get(offset_hours=2)
    Reminder.objects.filter(pk=reminder.pk).update(
        status="failed", attempts=5, last_error="SMTPServerDisconnected: gone"
    )
    page = as_front_desk.get(reverse("scheduling:reminders")).content.decode()
    assert "SMTPServerDisconnected" in page and appointment.patient.display_name in page
    as_front_desk.post(reverse("scheduling:reminder_retry", args=[reminder.pk]))
    reminder.refresh_from_db()
    assert reminder.status == "pending"


def test_navigation_shows_schedule_and_reminders_to_front_office(as_front_desk, as_clinic_admin):
    page = as_front_desk.get(reverse("home")).content.decode()
    assert reverse("scheduling:day") in page and reverse("scheduling:reminders") in page
    admin_page = as_clinic_admin.get(reverse("home")).content.decode()
    assert reverse("scheduling:reminders") not in admin_page


@pytest.mark.parametrize(
    "url_name", ["scheduling:day", "scheduling:week", "scheduling:reminders", "scheduling:arrivals"]
)
def test_clinic_admin_and_outsider_are_refused(as_clinic_admin, as_outsider, url_name):
    assert as_clinic_admin.get(reverse(url_name)).status_code == 403
    assert as_outsider.get(reverse(url_name)).status_code == 403


def test_next_available_lists_free_starts(as_front_desk, clinic, clinician):
    response = as_front_desk.get(
        reverse("scheduling:next_available"),
        {"type": clinic["consult"].pk, "clinician": clinician.pk},
    )
    assert response.content.decode().count("?start=") == 10


def test_patient_pages_get_an_appointments_section(rf, front_desk, clinic, clinician):
    from patients import chart

    appointment = AppointmentFactory(type=clinic["consult"], clinician=clinician)
    request = rf.get("/")
    request.user = front_desk
    sections = chart.front_desk_sections(request, appointment.patient)
    [section] = [s for s in sections if s["section"].key == "appointments"]
    assert reverse("scheduling:appointment_detail", args=[appointment.pk]) in section["html"]
    assert f"?patient={appointment.patient.pk}" in section["html"]


def test_only_the_closest_navigation_entry_is_active(as_front_desk):
    page = as_front_desk.get(reverse("scheduling:reminders")).content.decode()
    active = re.findall(r'class="nav-link active"[^>]*href="([^"]+)"', page)
    # The top navigation and the schedule's own menu both mark Reminders; nothing marks Schedule.
    assert set(active) == {reverse("scheduling:reminders")}
    assert reverse("scheduling:day") not in active
