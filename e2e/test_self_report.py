"""Measurement-based care from the patient's phone: a PHQ-9 link from the mail the outbox sent
before a dose, answered on a phone with item 9 = 1. Crisis resources at once; the chart shows
the patient-reported result under the risk banner; the clinician's home page lists it; the
clinician's e-mail names no patient and no score; the link refuses a second use; the dose
checklist counts the result and says which one it used."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import MeasureResult, Patient
from scheduling import services as scheduling_services
from scheduling import tasks
from scheduling.models import AppointmentType, Room
from scheduling.tests.factories import AppointmentTypeFactory, RoomFactory
from sessions import services as session_services
from sessions.tests.factories import make_course, ready_patient

PHONE_WIDTH = 390
SHOTS = Path("var/e2e-shots")
# PHQ-9 answers, item by item; item 9 ("better off dead") is "Several days" (1).
ANSWERS = [
    "Several days",
    "More than half the days",
    "Not at all",
    "Several days",
    "Not at all",
    "Several days",
    "Not at all",
    "Not at all",
    "Several days",
]


def test_patient_answers_phq9_on_a_phone_and_the_risk_reaches_the_clinician(
    phone_page, page, pages, sign_in, live_server, settings, mailoutbox, clinician, clinic_clock
) -> None:
    settings.SITE_URL = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    clinician.email = "dr.clinician@example.org"
    clinician.save()
    patient = ready_patient(by=clinician)
    Patient.objects.filter(pk=patient.pk).update(
        legal_first_name="Marisol",
        legal_last_name="Quintero",
        email="marisol@example.org",
        remind_by_email=True,
        primary_clinician=clinician,
    )
    patient.refresh_from_db()
    course = make_course(by=clinician, patient=patient)
    RoomFactory(name="Infusion A", kind=Room.Kind.INFUSION)
    dosing = AppointmentTypeFactory(
        name="Dosing session",
        kind=AppointmentType.Kind.DOSING,
        room_kind=Room.Kind.INFUSION,
        questionnaires="phq9",
        questionnaire_hours=24,
    )
    # The dose is tomorrow at 10:00; its questionnaire goes out today at 10:00.
    dose_at = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=1), time(10, 0))
    )
    visit = scheduling_services.appointment_book(
        patient=patient,
        type=dosing,
        clinician=clinician,
        starts_at=dose_at,
        by=clinician,
        allow_outside_hours=True,
    )
    session = session_services.session_plan(course=course, appointment=visit, by=clinician)

    # 10:01: the outbox task sends it (the server's clock; the live server shares it).
    clinic_clock.shift(timedelta(hours=1, minutes=31))
    assert tasks.send_due_patient_messages() == {"sent": 1}
    assert len(mailoutbox) == 1
    invitation = mailoutbox[0]
    assert invitation.to == ["marisol@example.org"]
    assert invitation.subject == f"A short questionnaire from {settings.CLINIC_NAME}"
    assert "phq" not in (invitation.subject + invitation.body).lower()
    html = next(body for body, kind in invitation.alternatives if kind == "text/html")

    # The patient opens the mail on their phone and taps the button.
    phone_page.set_content(html)
    phone_page.get_by_role("link", name="Open").click()
    expect(phone_page).to_have_url(re.compile(r"/patients/r/[^/]+/$"))
    link_url = phone_page.url
    expect(phone_page.get_by_test_id("selfreport-hello")).to_have_text("Hello Marisol")
    expect(phone_page.locator("body")).not_to_contain_text("Quintero")
    expect(phone_page.get_by_test_id("main-nav")).to_have_count(0)
    phone_page.get_by_test_id("selfreport-begin").tap()

    for number, answer in enumerate(ANSWERS, start=1):
        expect(phone_page.get_by_test_id("selfreport-progress")).to_contain_text(
            f"Question {number} of 9"
        )
        button = phone_page.get_by_role("button", name=answer, exact=True)
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44, "a thumb-sized target"
        if number == 3:
            # Back works, and shows the answer given.
            phone_page.get_by_test_id("selfreport-back").tap()
            expect(
                phone_page.get_by_role("button", name="More than half the days")
            ).to_have_attribute("aria-pressed", "true")
            phone_page.get_by_role("button", name="More than half the days").tap()
            expect(phone_page.get_by_test_id("selfreport-progress")).to_contain_text(
                "Question 3 of 9"
            )
            button = phone_page.get_by_role("button", name=answer, exact=True)
        if number == 9:
            expect(phone_page.get_by_test_id("selfreport-question")).to_contain_text(
                "better off dead"
            )
            phone_page.screenshot(path=str(SHOTS / "phq9_item9_phone.png"), full_page=True)
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
        button.tap()

    # Crisis resources at once, on the page the answer led to.
    expect(phone_page.get_by_test_id("selfreport-done")).to_contain_text("Thank you, Marisol")
    crisis = phone_page.get_by_test_id("crisis-resources")
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text("988")
    expect(crisis.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    phone_page.screenshot(path=str(SHOTS / "phq9_done_crisis_phone.png"), full_page=True)

    measure = MeasureResult.objects.get(patient=patient, patient_reported_at__isnull=False)
    stored = MeasureResult.objects.filter(patient=patient).count()
    assert measure.answers == [1, 2, 0, 1, 0, 1, 0, 0, 1]
    assert measure.total == 6 and measure.is_patient_reported and measure.entered_by is None

    # The clinician's e-mail: that a patient's questionnaire needs review, nothing more.
    alert = next(m for m in mailoutbox if m.to == ["dr.clinician@example.org"])
    chart_path = reverse("patients:chart", args=[patient.pk])
    words = (alert.subject + alert.body.replace(chart_path, "")).lower()
    for secret in ("marisol", "quintero", patient.mrn.lower(), "phq", " 6", "mild", "suicid"):
        assert secret not in words, secret
    assert "needs review" in alert.subject

    # The link refuses a second use and stores nothing.
    pages.allow(phone_page, r"status of 410")
    phone_page.goto(link_url)
    expect(phone_page.get_by_test_id("link-invalid")).to_contain_text("already been used")
    assert MeasureResult.objects.filter(patient=patient).count() == stored

    # The clinician: the home page lists it, the mail's link opens the chart behind login.
    page.goto(alert.body.split("Sign in to see them: ")[1].split()[0])
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in(clinician)
    risk = page.get_by_test_id("home-risk-flags")
    expect(risk).to_contain_text("Marisol Quintero")
    expect(risk.get_by_test_id("home-risk-patient-reported")).to_be_visible()
    risk.get_by_role("link", name="Marisol Quintero").click()
    expect(page.get_by_test_id("suicide-risk-banner")).to_contain_text("PHQ-9")
    expect(page.get_by_test_id("risk-patient-reported")).to_be_visible()
    expect(page.get_by_test_id("latest-phq9")).to_have_text("6 · mild")
    expect(
        page.get_by_test_id("chart-section-measures").get_by_test_id("patient-reported").first
    ).to_be_visible()

    # The dose checklist counts it, and says which result it used.
    page.goto(reverse("sessions:session_detail", args=[session.pk]))
    phq9 = page.get_by_test_id("checklist-phq9")
    expect(phq9).to_contain_text("✓")
    expect(phq9).to_contain_text("Patient-reported")
    expect(phq9).to_contain_text("6 · mild")


def test_clinician_writes_signs_and_prints_a_safety_plan_from_the_risk_banner(
    page, sign_in, clinician
) -> None:
    from patients.tests.factories import PatientFactory, make_measure

    patient = PatientFactory(legal_first_name="Ines", legal_last_name="Okafor")
    make_measure(patient, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 2], by=clinician)
    sign_in(clinician)
    page.goto(reverse("patients:chart", args=[patient.pk]))
    page.get_by_test_id("review-safety-plan").click()
    form = page.get_by_test_id("safety-plan-form")
    form.get_by_label("Step 1 — warning signs").fill("Not sleeping; pulling away from friends")
    form.get_by_label("Step 2 — internal coping strategies").fill("Walk the dog; play guitar")
    form.get_by_label("Step 3 — people and social settings").fill("Coffee shop on Main St")
    form.get_by_label("Step 4 — people whom I can ask for help").fill("Sister Ana 734 555 0142")
    form.get_by_label("Step 5 — professionals").fill("Dr. Clinician 734 555 0100")
    form.get_by_label("Step 6 — making the environment safe").fill("Medicines kept by Ana")
    form.get_by_label("Reasons for living").fill("My daughter")
    form.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("safety-plan-versions")).to_contain_text("Version 1 — draft")
    page.get_by_test_id("safety-plan-sign").click()
    expect(page.get_by_test_id("safety-plan-versions")).to_contain_text("Version 1 — signed by")
    # A change is a new version; version 1 stays as signed.
    page.get_by_test_id("safety-plan-form").get_by_label("Reasons for living").fill(
        "My daughter; finishing my degree"
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("safety-plan-versions")).to_contain_text("Version 2 — draft")
    expect(page.get_by_test_id("safety-plan-current")).to_contain_text("Version 1")
    page.get_by_role("link", name="Printable version").click()
    plan = page.get_by_test_id("safety-plan")
    expect(plan).to_contain_text("Step 1: Warning signs")
    expect(plan).to_contain_text("My daughter")
    expect(plan).not_to_contain_text("finishing my degree")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "safety_plan_print.png"), full_page=True)
