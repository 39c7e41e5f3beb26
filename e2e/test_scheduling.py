"""Front-desk and patient journeys on the schedule."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import Patient
from patients.services import patient_archive
from patients.tests.factories import PatientFactory
from scheduling import tasks
from scheduling.models import Appointment, AppointmentType, Room
from scheduling.tests.factories import AppointmentFactory, AppointmentTypeFactory, full_week_hours


@pytest.fixture
def consultation(clinician) -> AppointmentType:
    """What the front desk needs to book a consultation: a visit type, a room, and a clinician
    with working hours every day."""
    Room.objects.create(name="Consult 1", kind=Room.Kind.CONSULT)
    full_week_hours(clinician)
    return AppointmentTypeFactory(
        name="Consultation",
        kind=AppointmentType.Kind.CONSULTATION,
        duration_minutes=60,
        room_kind=Room.Kind.CONSULT,
        preparation_instructions="Please arrive 10 minutes early.",
    )


def test_front_desk_registers_an_inquiry_books_a_consultation_and_checks_the_patient_in(
    page, sign_in, front_desk, clinician, consultation, clinic_clock
) -> None:
    today = timezone.localdate()
    sign_in(front_desk)
    page.get_by_test_id("main-nav").get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Register a patient").click()

    page.get_by_label("Legal first name").fill("Jordan")
    page.get_by_label("Legal last name").fill("Whitfield")
    page.get_by_label("Date of birth").fill("1988-04-12")
    page.get_by_label("Phone", exact=True).fill("(734) 555-0142")
    page.get_by_label("Email", exact=True).fill("jordan.whitfield@example.org")
    page.get_by_label("Referral source").fill("Referred by Dr. Patel")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("alert").filter(has_text="registered as")).to_be_visible()
    expect(page.get_by_test_id("patient-name")).to_contain_text("Jordan Whitfield")
    expect(page.get_by_test_id("patient-status")).to_have_text("Inquiry")
    patient = Patient.objects.get(legal_last_name="Whitfield")

    page.get_by_role("link", name="Book appointment").click()
    expect(page.get_by_test_id("chosen-patient")).to_be_visible()
    expect(page.get_by_test_id("chosen-patient")).to_contain_text(patient.mrn)
    page.get_by_role("combobox", name="Visit type").select_option(label="Consultation")
    page.get_by_role("combobox", name="Clinician").select_option(label=clinician.get_full_name())
    page.get_by_label(re.compile(r"^\s*Date\*?\s*$")).fill(today.isoformat())
    page.get_by_label(re.compile(r"^\s*Time\*?\s*$")).fill("10:00")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("alert").filter(has_text="Booked")).to_be_visible()
    expect(page.get_by_test_id("appointment-status")).to_have_text("Booked")

    page.get_by_test_id("main-nav").get_by_role("link", name="Schedule").click()
    expect(page.get_by_test_id("calendar-day")).to_contain_text(today.strftime("%B"))
    booked = page.get_by_test_id("calendar-appointment").filter(has_text="Jordan Whitfield")
    expect(booked).to_contain_text("10:00")
    expect(booked).to_contain_text("Consultation")
    booked.click()

    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_test_id("appointment-status")).to_have_text("Checked in")
    expect(page.get_by_test_id("appointment-lifecycle")).to_contain_text(
        re.compile(rf"Checked in\s*{today:%-d %b %Y} 08:3\d by {front_desk.get_full_name()}")
    )
    page.get_by_role("link", name="day calendar").click()
    expect(
        page.get_by_test_id("calendar-appointment").filter(has_text="Jordan Whitfield")
    ).to_contain_text("Checked in")
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.status == Appointment.Status.CHECKED_IN
    assert appointment.checked_in_by == front_desk
    assert appointment.booked_by == front_desk


def test_front_desk_finds_an_existing_patient_by_name_and_books_them_from_the_calendar(
    page, sign_in, live_server, front_desk, clinician, consultation
) -> None:
    margaret = PatientFactory(
        legal_first_name="Margaret", legal_last_name="Whitfield", preferred_name="Peggy"
    )
    walter = PatientFactory(legal_first_name="Walter", legal_last_name="Whitfield")
    PatientFactory(legal_first_name="Dana", legal_last_name="Okafor")
    archived = PatientFactory(legal_first_name="Wendy", legal_last_name="Whitfield")
    patient_archive(patient=archived, by=front_desk)
    day = timezone.localdate() + timedelta(days=1)
    sign_in(front_desk)
    page.goto(f"{live_server.url}{reverse('scheduling:day')}?date={day.isoformat()}")
    page.get_by_label(f"Book {clinician.get_full_name()} at 10:00").click()
    expect(page.get_by_label("Time")).to_have_value("10:00")

    # Part of the name: both current Whitfields are offered, with DOB and MRN; Wendy is archived.
    search = page.get_by_role("combobox", name="Patient")
    search.fill("whitf")
    options = page.get_by_role("listbox", name="Matching patients").get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.first).to_contain_text("Whitfield, Margaret")
    expect(options.first).to_contain_text("(Peggy)")
    expect(options.first).to_contain_text(margaret.mrn)
    expect(options.first).to_contain_text("06/15/1985")
    expect(options.nth(1)).to_contain_text(walter.mrn)

    # The keyboard: down to Walter, Enter chooses him (and does not book).
    search.press("ArrowDown")
    search.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    search.press("Enter")
    chosen = page.get_by_test_id("chosen-patient")
    expect(chosen).to_contain_text("Whitfield, Walter")
    expect(search).to_be_hidden()
    assert not Appointment.objects.exists()

    # Change of mind: the preferred name finds Margaret; a click chooses her.
    page.get_by_role("button", name="Change").click()
    expect(search).to_be_focused()
    search.press_sequentially("peggy")
    expect(options).to_have_count(1)
    options.first.click()
    expect(chosen).to_contain_text("Whitfield, Margaret")
    expect(chosen).to_contain_text(margaret.mrn)

    # Booking without a visit type: the form comes back, Margaret still chosen.
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    expect(chosen).to_contain_text("Whitfield, Margaret")
    expect(search).to_be_hidden()
    page.get_by_role("combobox", name="Visit type").select_option(label="Consultation")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_test_id("appointment-status")).to_have_text("Booked")
    appointment = Appointment.objects.get()
    assert appointment.patient == margaret
    assert timezone.localtime(appointment.starts_at).hour == 10


def test_front_desk_books_a_series_on_a_tablet_by_tapping_the_patient(
    pages, sign_in, live_server, front_desk, clinician
) -> None:
    tablet = pages.new(viewport={"width": 820, "height": 1180}, has_touch=True)
    Room.objects.create(name="Therapy 1", kind=Room.Kind.THERAPY)
    full_week_hours(clinician)
    AppointmentTypeFactory(name="Preparation", room_kind=Room.Kind.THERAPY)
    patient = PatientFactory(legal_first_name="Margaret", legal_last_name="Whitfield")
    PatientFactory(legal_first_name="Walter", legal_last_name="Whitfield")
    sign_in(front_desk, on=tablet)
    tablet.goto(f"{live_server.url}{reverse('scheduling:series_book')}")

    tablet.get_by_role("combobox", name="Patient").fill("marg whit")
    option = tablet.get_by_role("listbox", name="Matching patients").get_by_role("option")
    expect(option).to_have_count(1)
    box = option.bounding_box()
    assert box is not None and box["height"] >= 44, "a finger-sized target"
    option.tap()
    expect(tablet.get_by_test_id("chosen-patient")).to_contain_text(patient.mrn)

    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    tablet.get_by_role("combobox", name="Visit type").select_option(label="Preparation")
    tablet.get_by_role("combobox", name="Clinician").select_option(value=str(clinician.pk))
    tablet.get_by_label("From").fill(monday.isoformat())
    tablet.get_by_role("button", name="Preview").tap()
    expect(tablet.get_by_test_id("series-preview").locator("tbody tr")).to_have_count(6)
    expect(tablet.get_by_test_id("chosen-patient")).to_contain_text(patient.mrn)
    tablet.get_by_role("button", name="Book all 6").tap()

    expect(tablet.get_by_role("alert").filter(has_text="Booked 6 visits")).to_be_visible()
    assert Appointment.objects.filter(patient=patient).count() == 6


def test_patient_confirms_from_the_reminder_link_on_a_phone(
    phone_page, live_server, settings, mailoutbox, clinician, consultation
) -> None:
    # Links in reminders are absolute (no request exists when a worker sends them).
    settings.SITE_URL = live_server.url
    patient = PatientFactory(
        legal_first_name="Noor",
        email="noor@example.org",
        remind_by_email=True,
        by=clinician,
    )
    starts_at = timezone.now() + timedelta(days=3)
    appointment = AppointmentFactory(
        patient=patient, type=consultation, clinician=clinician, starts_at=starts_at
    )
    # The periodic task sends the 48-hour reminder when it falls due.
    with time_machine.travel(starts_at - timedelta(hours=48) + timedelta(minutes=1), tick=False):
        tasks.send_due_reminders()
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["noor@example.org"]
    html = next(body for body, kind in email.alternatives if kind == "text/html")

    # The patient opens the e-mail on their phone and taps the button.
    phone_page.set_content(html)
    phone_page.get_by_role("link", name="I will come").click()
    expect(phone_page).to_have_url(re.compile(r"/schedule/r/[^/]+/confirm/$"))
    local = timezone.localtime(starts_at)
    expect(phone_page.get_by_test_id("link-when")).to_contain_text(f"{local:%A %-d %B %Y}")
    # Nothing of the chart, and no staff navigation, on a public page.
    expect(phone_page.get_by_test_id("main-nav")).to_have_count(0)
    button = phone_page.get_by_role("button", name="Yes, I will come")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44, "a thumb-sized target"
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll"
    button.tap()

    expect(phone_page.get_by_test_id("link-done")).to_have_text(
        "Thank you — your appointment is confirmed."
    )
    appointment.refresh_from_db()
    assert appointment.confirmed_at is not None
    assert appointment.confirmed_via == Appointment.Via.LINK
