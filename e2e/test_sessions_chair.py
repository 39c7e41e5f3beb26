"""At the infusion chair: the dose total and the vitals flowsheet update in place (htmx)."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import expect

from sessions.tests.factories import make_lot, make_session, prepare


def test_dose_total_is_shown_before_saving_and_vitals_add_in_place(
    page, sign_in, clinician, provider
) -> None:
    session = prepare(make_session(by=clinician), by=clinician)
    make_lot(by=provider)
    sign_in(clinician)
    page.goto(reverse("sessions:session_detail", args=[session.pk]))
    expect(page.get_by_test_id("checklist-state")).to_contain_text("Checklist complete.")

    page.get_by_label("Weight today").fill("70")
    page.get_by_label("Dose (mg/kg)").fill("0.5")
    expect(page.get_by_test_id("dose-total")).to_have_text("35.0 mg")
    page.get_by_label("Dose (mg/kg)").fill("1.5")
    expect(page.get_by_test_id("dose-problem")).to_contain_text("0.10–1.00 mg/kg")

    url_before = page.url
    form = page.get_by_test_id("vitals-form")
    form.get_by_label("Systolic (mmHg)").fill("150")
    form.get_by_label("Diastolic (mmHg)").fill("95")
    form.get_by_label("Heart rate (bpm)").fill("80")
    form.get_by_label("SpO₂ (%)").fill("98")
    form.get_by_role("button", name="Add reading").click()
    expect(page.get_by_test_id("hold-alert")).to_contain_text("150/95")
    expect(page.get_by_test_id("vitals-table")).to_contain_text("150/95")
    assert page.url == url_before
    # The typed dose survived: the page was not reloaded.
    expect(page.get_by_label("Dose (mg/kg)")).to_have_value("1.5")
