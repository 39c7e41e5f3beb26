"""The front desk's day with the schedule, and the patient's reminder links on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import Patient
from scheduling import links
from scheduling.models import Appointment, AppointmentType, Room
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    RoomFactory,
    full_week_hours,
    tomorrow_at,
)


def test_front_desk_books_an_inquiry_from_the_calendar_then_reschedules_and_cancels(
    page, sign_in, live_server, front_desk, clinician
) -> None:
    AppointmentTypeFactory(
        name="Consultation", kind=AppointmentType.Kind.CONSULTATION, colour="#0d6efd"
    )
    RoomFactory(name="Consult A", kind=Room.Kind.CONSULT)
    full_week_hours(clinician)
    day = timezone.localdate() + timedelta(days=1)
    sign_in(front_desk)

    page.get_by_test_id("main-nav").get_by_role("link", name="Schedule").click()
    page.goto(f"{live_server.url}{reverse('scheduling:day')}?date={day.isoformat()}")
    expect(page.get_by_test_id("calendar-day")).to_contain_text(day.strftime("%B"))
    page.get_by_label(f"Book {clinician.get_full_name()} at 10:00").click()

    expect(page.get_by_label("Time")).to_have_value("10:00")
    page.get_by_label("Visit type").select_option(label="Consultation")
    page.get_by_role("button", name="show the next free times").click()
    expect(page.get_by_test_id("next-available").get_by_role("link")).to_have_count(10)
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Inquirer")
    page.get_by_label("Date of birth").fill("1988-04-05")
    page.get_by_label("E-mail").fill("robin@example.org")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_test_id("appointment-status")).to_have_text("Booked")
    patient = Patient.objects.get(legal_last_name="Inquirer")
    assert patient.status == Patient.Status.CONSULTATION_SCHEDULED

    page.get_by_role("link", name="day calendar").click()
    block = page.get_by_test_id("calendar-appointment")
    expect(block).to_contain_text("Robin Inquirer")
    expect(block).to_contain_text("Consultation")
    block.click()

    page.get_by_role("link", name="Reschedule").click()
    page.get_by_label("Time").fill("14:00")
    page.get_by_role("button", name="Move appointment").click()
    expect(page.get_by_text("Appointment moved")).to_be_visible()
    expect(page.locator(".lead")).to_contain_text("14:00")

    page.get_by_role("link", name="Cancel").click()
    page.get_by_label("Reason").fill("Found another clinic")
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_test_id("appointment-status")).to_have_text("Cancelled")
    expect(page.get_by_test_id("cancellation-reason")).to_contain_text("Found another clinic")


def test_front_desk_sees_the_conflicting_appointment_named(
    page, sign_in, live_server, front_desk, clinician
) -> None:
    consult = AppointmentTypeFactory(name="Consultation", kind=AppointmentType.Kind.CONSULTATION)
    RoomFactory(name="Consult A", kind=Room.Kind.CONSULT)
    full_week_hours(clinician)
    existing = AppointmentFactory(type=consult, clinician=clinician, starts_at=tomorrow_at(10))
    other = AppointmentFactory(type=consult, clinician=clinician, starts_at=tomorrow_at(13))
    sign_in(front_desk)
    page.goto(f"{live_server.url}{reverse('scheduling:appointment_book')}")
    # Typing the MRN and booking without picking from the list still works.
    page.get_by_role("combobox", name="Patient").fill(other.patient.mrn)
    page.get_by_label("Visit type").select_option(label="Consultation")
    page.get_by_role("combobox", name="Clinician").select_option(value=str(clinician.pk))
    page.get_by_label("Date").first.fill(tomorrow_at(10).date().isoformat())
    page.get_by_label("Time").fill("10:30")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_test_id("booking-error")).to_contain_text("is already booked")
    expect(page.get_by_test_id("booking-error")).to_contain_text(existing.patient.display_name)
    expect(page.get_by_test_id("chosen-patient")).to_contain_text(other.patient.mrn)
    assert Appointment.objects.count() == 2


def test_patient_confirms_fasting_and_escort_on_a_phone_without_signing_in(phone_page) -> None:
    RoomFactory(name="Infusion 1", kind=Room.Kind.INFUSION)
    dosing = AppointmentTypeFactory(
        name="Dosing session", kind=AppointmentType.Kind.DOSING, room_kind=Room.Kind.INFUSION
    )
    appointment = AppointmentFactory(type=dosing, starts_at=tomorrow_at(9))
    page = phone_page
    manage = reverse("scheduling:link_manage", args=[links.make_token(appointment, "manage")])
    page.goto(manage)
    expect(page.get_by_test_id("link-when")).to_contain_text(
        timezone.localtime(appointment.starts_at).strftime("%B")
    )
    expect(page.get_by_text(appointment.patient.legal_last_name)).to_have_count(0)
    page.get_by_role("link", name="I will come").click()
    page.get_by_role("button", name="Yes, I will come").click()
    expect(page.get_by_test_id("link-done")).to_be_visible()
    # A confirm link opens only the confirmation; the preparation questions have their own.
    page.goto(manage)
    page.get_by_role("link", name="Confirm fasting and escort").click()
    page.get_by_label(re.compile("no solid food")).check()
    page.get_by_label("Escort's name").fill("Kim Lee")
    page.get_by_label("Escort's phone").fill("+17345550111")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("link-done")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.confirmed_at and appointment.fasting_confirmed_at
    assert appointment.escort_name == "Kim Lee"
