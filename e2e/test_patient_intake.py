"""The patient path in the browser: register and find, intake with baseline measures, the
suicide-risk banner, and eligibility with an absolute contraindication."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import expect

from patients.models import Intake, Patient
from patients.tests.factories import PatientFactory, make_intake


def test_front_desk_registers_a_patient_and_finds_them(page, sign_in, front_desk) -> None:
    sign_in(front_desk)
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Legal first name").fill("Wendy")
    page.get_by_label("Legal last name").fill("Journey")
    page.get_by_label("Date of birth").fill("1984-05-06")
    page.get_by_label("Phone", exact=True).fill("734 555 8811")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_test_id("patient-name")).to_have_text("Wendy Journey")
    mrn = Patient.objects.get(legal_last_name="Journey").mrn

    for query in ("journ", mrn, "05/06/1984", "555-8811"):
        page.get_by_role("link", name="Patients").click()
        page.get_by_role("searchbox").fill(query)
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_test_id("patient-table")).to_contain_text(mrn)
    # No chart link for front desk.
    expect(page.locator("a.nav-link", has_text="Chart")).to_have_count(0)


def answer(page, field: str, values: list[int]) -> None:
    for number, value in enumerate(values, start=1):
        page.locator(f"label[for=id_{field}_{number}_{value}]").click()


def test_clinician_completes_an_intake_and_acknowledges_suicide_risk(
    page, sign_in, clinician
) -> None:
    patient = PatientFactory(status="consultation_scheduled", primary_clinician=clinician)
    sign_in(clinician)
    page.goto(reverse("patients:chart", args=[patient.pk]))
    page.get_by_role("button", name="Start intake assessment").click()

    for label, value in (
        ("Psychiatric diagnoses", "Major depressive disorder, recurrent"),
        ("Prior treatments", "Sertraline, venlafaxine"),
        ("Failed antidepressant trials", "2"),
        ("Psychiatric hospitalisations", "None"),
        ("Substance use", "None"),
        ("Medical history", "Asthma"),
        ("Current medications", "Venlafaxine 150 mg"),
        ("Allergies", "Latex"),
        ("BP systolic (mmHg)", "124"),
        ("BP diastolic (mmHg)", "78"),
        ("Heart rate (bpm)", "72"),
        ("SpO₂ (%)", "98"),
        ("Weight (kg)", "68"),
        ("Height (cm)", "170"),
    ):
        page.get_by_label(label, exact=True).fill(value)
    for row in page.locator("tr[data-testid^=screen-]").all():
        row.locator("input[value=no]").check()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("bmi")).to_have_text("23.5")

    baseline = page.get_by_test_id("baseline-measures")
    for name, values in (
        ("PHQ-9", [2, 2, 2, 1, 1, 1, 1, 1, 1]),  # 12, item 9 above 0
        ("GAD-7", [2, 2, 1, 1, 1, 1, 1]),  # 9
        ("PCL-5", [2] * 10 + [1] * 10),  # 30
    ):
        baseline.locator("li", has_text=name).get_by_role("button").click()
        answer(page, "item", values)
        page.get_by_role("button", name=f"Save {name}").click()
    baseline.locator("li", has_text="C-SSRS").get_by_role("button").click()
    page.locator("label[for=id_q1_0]").click()  # yes
    page.locator("label[for=id_q2_1]").click()  # no
    page.locator("label[for=id_q6_1]").click()  # no
    page.get_by_role("button", name="Save C-SSRS screener").click()

    page.get_by_role("link", name="Review and sign").click()
    page.get_by_role("button", name="Sign intake").click()
    expect(page.get_by_test_id("intake-status")).to_have_text("Signed")
    assert Intake.objects.get(patient=patient).is_signed

    page.get_by_role("link", name="Back to the chart").click()
    expect(page.get_by_test_id("latest-phq9")).to_have_text("12 · moderate")
    expect(page.get_by_test_id("latest-gad7")).to_have_text("9 · mild")
    expect(page.get_by_test_id("latest-pcl5")).to_have_text("30 · below threshold")
    expect(page.get_by_test_id("latest-cssrs")).to_have_text("low risk")
    expect(page.get_by_test_id("allergies")).to_have_text("Latex")
    banner = page.get_by_test_id("suicide-risk-banner")
    expect(banner).to_be_visible()

    page.goto(reverse("home"))
    expect(page.get_by_test_id("home-risk-flags")).to_contain_text(patient.mrn)
    page.get_by_test_id("home-risk-flags").get_by_role("link", name="Acknowledge").click()
    page.get_by_label("What was done").fill("Safety plan reviewed; crisis line given.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_test_id("suicide-risk-banner")).to_have_count(0)
    page.goto(reverse("home"))
    expect(page.get_by_test_id("home-risk-flags")).to_have_count(0)


def test_provider_needs_an_override_reason_for_an_absolute_contraindication(
    page, sign_in, provider, clinician
) -> None:
    patient = PatientFactory(status="intake")
    make_intake(patient, by=clinician, sign=True, screen={"pregnancy": "yes"})
    sign_in(provider)
    page.goto(reverse("patients:eligibility_create", args=[patient.pk]))
    expect(page.get_by_test_id("absolute-contraindications")).to_contain_text("Pregnancy")
    page.get_by_label("Eligible", exact=True).check()
    page.get_by_label("Note").fill("Treatment-resistant depression.")
    page.get_by_role("button", name="Sign decision").click()
    expect(
        page.get_by_text("Absolute contraindication answered yes: Pregnancy. “Eligible” needs")
    ).to_be_visible()
    expect(page.get_by_label("Note")).to_have_value("Treatment-resistant depression.")

    page.get_by_label("Override reason").fill("Negative pregnancy test today.")
    page.get_by_role("button", name="Sign decision").click()
    expect(page.get_by_test_id("eligibility-override")).to_contain_text("Negative pregnancy test")
    expect(page.get_by_test_id("patient-status")).to_have_text("Eligible")
