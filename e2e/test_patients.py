"""Clinical journeys on the patient record: intake with baseline measures, and eligibility."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import expect

from patients import contraindications
from patients.models import EligibilityDecision, Intake, Patient
from patients.tests.factories import PatientFactory, make_intake

INTAKE_ANSWERS = {
    "Psychiatric diagnoses": "Major depressive disorder, recurrent",
    "Prior treatments": "Sertraline, escitalopram; CBT",
    "Failed antidepressant trials": "2",
    "Psychiatric hospitalisations": "None",
    "Substance use": "Alcohol, two drinks a week",
    "Medical history": "None significant",
    "Current medications": "Bupropion 300 mg",
    "Allergies": "Penicillin",
    "BP systolic (mmHg)": "124",
    "BP diastolic (mmHg)": "80",
    "Heart rate (bpm)": "72",
    "SpO₂ (%)": "98",
    "Weight (kg)": "70",
    "Height (cm)": "175",
}


def answer_measure(page, answers: list[str]) -> None:
    """Click one answer per item, in order, the way a clinician taps through the form."""
    items = page.locator("form fieldset")
    expect(items).to_have_count(len(answers))
    for index, answer in enumerate(answers):
        items.nth(index).get_by_text(answer, exact=True).click()


def enter_baseline(page, measure: str) -> None:
    """The intake's "Enter" button for one baseline measure (it saves the draft first)."""
    rows = page.get_by_test_id("baseline-measures").get_by_role("listitem")
    rows.filter(has_text=measure).get_by_role("button", name="Enter").click()
    expect(page.get_by_role("heading", name=measure)).to_be_visible()


def test_clinician_completes_an_intake_with_phq9_and_cssrs_and_sees_the_scores_on_the_chart(
    page, sign_in, clinician
) -> None:
    patient = PatientFactory(legal_first_name="Robin", legal_last_name="Okafor", by=clinician)
    sign_in(clinician)
    page.goto(reverse("patients:chart", kwargs={"pk": patient.pk}))
    expect(page.get_by_test_id("patient-name")).to_contain_text("Robin Okafor")
    page.get_by_role("button", name="Start intake assessment").click()

    expect(page.get_by_role("heading", name="Intake assessment")).to_be_visible()
    for label, value in INTAKE_ANSWERS.items():
        page.get_by_label(label, exact=True).fill(value)
    rows = page.locator("tr[data-testid^='screen-']")
    expect(rows).to_have_count(len(contraindications.CONTRAINDICATIONS))
    for index in range(rows.count()):
        rows.nth(index).get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert").filter(has_text="Intake draft saved.")).to_be_visible()
    expect(page.get_by_test_id("bmi")).to_have_text("22.9")

    enter_baseline(page, "PHQ-9")
    # Total 2+2+1+1+1+1+1+1+0 = 10: moderate; item 9 answered "Not at all".
    phq9 = ["More than half the days"] * 2 + ["Several days"] * 6 + ["Not at all"]
    answer_measure(page, phq9)
    page.get_by_role("button", name="Save PHQ-9").click()
    expect(page.get_by_role("alert").filter(has_text="PHQ-9 saved")).to_be_visible()

    enter_baseline(page, "GAD-7")
    answer_measure(page, ["Several days"] * 6 + ["Not at all"])
    page.get_by_role("button", name="Save GAD-7").click()

    enter_baseline(page, "PCL-5")
    answer_measure(page, ["A little bit"] * 20)
    page.get_by_role("button", name="Save PCL-5").click()

    enter_baseline(page, "C-SSRS")
    # Q1 yes, Q2 no (Q3-5 not asked), Q6 no: "low" on the Columbia screener.
    answer_measure(page, ["Yes", "No", "Not asked", "Not asked", "Not asked", "No", "Not asked"])
    page.get_by_role("button", name="Save C-SSRS screener").click()
    expect(page.get_by_role("alert").filter(has_text="C-SSRS screener saved")).to_be_visible()

    page.get_by_role("button", name="Save and review").click()
    expect(page.get_by_test_id("intake-status")).to_have_text("Draft")
    expect(page.get_by_test_id("intake-missing")).to_have_count(0)
    page.get_by_role("button", name="Sign intake").click()
    expect(page.get_by_test_id("intake-status")).to_have_text("Signed")

    page.get_by_role("link", name="Back to the chart").click()
    expect(page.get_by_test_id("latest-phq9")).to_have_text("10 · moderate")
    expect(page.get_by_test_id("latest-cssrs")).to_have_text("low risk")
    expect(page.get_by_test_id("allergies")).to_have_text("Penicillin")
    intake = Intake.objects.get(patient=patient)
    assert intake.is_signed and intake.signed_by == clinician
    assert intake.measures.count() == 4


def test_medical_provider_signs_eligibility(page, sign_in, provider, clinician) -> None:
    patient = PatientFactory(legal_first_name="Sam", legal_last_name="Lindqvist", by=clinician)
    make_intake(patient, by=clinician, sign=True)
    sign_in(provider)
    page.goto(reverse("patients:chart", kwargs={"pk": patient.pk}))
    page.get_by_role("link", name="Decide eligibility").click()

    expect(page.get_by_role("heading", name="Eligibility decision")).to_be_visible()
    expect(page.get_by_test_id("absolute-contraindications")).to_have_count(0)
    page.get_by_label("Eligible", exact=True).check()
    page.get_by_label("Note").fill("Treatment-resistant depression, no contraindications.")
    page.get_by_role("button", name="Sign decision").click()

    signed = page.get_by_role("alert").filter(has_text="Eligibility decision signed.")
    expect(signed).to_be_visible()
    latest = page.get_by_test_id("eligibility-latest")
    expect(latest).to_contain_text("Eligible")
    expect(latest).to_contain_text(f"signed by {provider.get_full_name()}")
    expect(page.get_by_test_id("patient-status")).to_have_text("Eligible")
    decision = EligibilityDecision.objects.get(patient=patient)
    assert decision.decision == EligibilityDecision.Decision.ELIGIBLE
    assert decision.signed_by == provider
    assert Patient.objects.get(pk=patient.pk).status == Patient.Status.ELIGIBLE


def test_front_desk_is_refused_the_clinical_chart(pages, sign_in, front_desk) -> None:
    patient = PatientFactory(legal_first_name="Kai", legal_last_name="Moreno", by=front_desk)
    page = pages.new()
    sign_in(front_desk, on=page)
    page.goto(reverse("patients:detail", kwargs={"pk": patient.pk}))
    expect(page.get_by_test_id("patient-name")).to_contain_text("Kai Moreno")
    # No way into the chart from the registration page...
    expect(page.get_by_role("link", name="Chart")).to_have_count(0)

    # ...and typing its address gets the refusal page (a 403, which Chromium logs).
    pages.allow(page, r"status of 403")
    response = page.goto(reverse("patients:chart", kwargs={"pk": patient.pk}))
    assert response.status == 403
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page.get_by_text("Intake assessment")).to_have_count(0)
