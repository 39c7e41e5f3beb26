"""Treatment journeys: an IV dosing session documented end to end, and the controlled-substance
ledger's witnessed waste."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import expect

from conftest import PASSWORD
from patients.tests.factories import CSSRS_NONE, PHQ9_MODERATE, make_measure
from sessions.models import DosingSession, LedgerEntry
from sessions.tests.factories import make_lot, make_session

DISCHARGE_CRITERIA = (
    "Nausea controlled",
    "Responsible adult escort present",
    "Written instructions given",
)


def add_reading(page, systolic: int, diastolic: int, heart_rate: int, spo2: int) -> None:
    """Type a reading at the chair; htmx swaps the flowsheet in place."""
    form = page.get_by_test_id("vitals-form")
    rows = page.get_by_test_id("vitals-table").locator("tbody tr")
    before = rows.count() if page.get_by_text("No readings yet.").count() == 0 else 0
    form.get_by_label("Systolic (mmHg)").fill(str(systolic))
    form.get_by_label("Diastolic (mmHg)").fill(str(diastolic))
    form.get_by_label("Heart rate (bpm)").fill(str(heart_rate))
    form.get_by_label("SpO₂ (%)").fill(str(spo2))
    form.get_by_role("button", name="Add reading").click()
    expect(rows).to_have_count(before + 1)
    expect(rows.last).to_contain_text(f"{systolic}/{diastolic}")


def test_clinician_documents_an_iv_session_from_checklist_to_signed_note(
    page, sign_in, clinician, provider, settings, clinic_clock
) -> None:
    session = make_session(by=clinician)
    patient = session.course.patient
    make_measure(patient, "phq9", PHQ9_MODERATE, by=clinician)
    make_measure(patient, "cssrs", CSSRS_NONE, by=clinician)
    make_lot(by=provider, number="KET-2611")

    sign_in(clinician)
    page.get_by_test_id("main-nav").get_by_role("link", name="Sessions").click()
    page.get_by_test_id("session-worklist").get_by_role("link", name=patient.display_name).click()
    expect(page.get_by_test_id("session-status")).to_have_text("Planned")

    # Preparation checklist: what a person confirms; consent, eligibility and today's measures
    # come from the chart.
    checklist = page.get_by_test_id("checklist-form")
    checklist.get_by_label("No solid food for 6 h, clear liquids until 2 h before").check()
    checklist.get_by_label("Escort name").fill("Jamie Rivera")
    checklist.get_by_label("Escort phone").fill("+1 734 555 0199")
    checklist.get_by_label("Medications reviewed and held as instructed").check()
    checklist.get_by_label("Pregnancy test").select_option(label="Not applicable")
    checklist.get_by_label("Intention set (preparation session done)").check()
    checklist.get_by_label("Asked today: nothing new").check()
    checklist.get_by_role("button", name="Save checklist").click()
    expect(page.get_by_test_id("checklist-pre_vitals")).to_contain_text("None yet")
    expect(page.get_by_test_id("checklist-state")).to_contain_text("Checklist incomplete")

    add_reading(page, 124, 80, 72, 98)
    page.reload()
    expect(page.get_by_test_id("checklist-state")).to_have_text("Checklist complete.")

    # The dose: weight-based, the total computed by the server as it is typed.
    dose = page.get_by_test_id("dose-form")
    dose.get_by_label("Weight today").fill("72.4")
    # The protocol's default dose is filled in: IV 0.5 mg/kg (Andrade 2017).
    expect(dose.get_by_label("Dose (mg/kg)")).to_have_value(re.compile(r"^0\.50*$"))
    expect(page.locator("#dose-preview").get_by_test_id("dose-total")).to_have_text("36.2 mg")
    dose.get_by_label("Lot / vial drawn from").select_option(index=1)
    dose.get_by_label("Administered by").select_option(label=clinician.get_full_name())
    dose.get_by_label("Supervising provider").select_option(label=provider.get_full_name())
    dose.get_by_role("button", name="Record dose").click()
    expect(page.get_by_role("alert").filter(has_text="Dose recorded.")).to_be_visible()
    expect(page.get_by_test_id("dose-record").get_by_test_id("dose-total")).to_have_text("36.2 mg")
    expect(page.get_by_test_id("session-status")).to_have_text("In progress")

    # During the infusion: a reading past the alert thresholds is shown at once...
    add_reading(page, 186, 112, 96, 97)
    alerts = page.get_by_test_id("vitals-alert")
    expect(alerts).to_have_count(1)
    expect(alerts).to_contain_text("BP at or above 180/110 — hypertension")
    expect(page.get_by_test_id("vitals-table").locator("tbody tr").last).to_have_class(
        re.compile("table-danger")
    )
    # ...and readings every 15 minutes follow; the alert stays open until the action is recorded.
    clinic_clock.shift(timedelta(minutes=14))
    add_reading(page, 150, 92, 88, 98)
    expect(alerts).to_have_count(1)
    alerts.get_by_label("Action taken").fill("Reassured; lights dimmed; provider informed.")
    alerts.get_by_role("button", name="Record action taken").click()
    expect(alerts).to_have_count(0)
    clinic_clock.shift(timedelta(minutes=14))
    add_reading(page, 138, 86, 80, 98)
    clinic_clock.shift(timedelta(minutes=12))
    page.reload()
    page.get_by_role("button", name="Infusion ended").click()

    cadss = page.get_by_test_id("cadss-form")
    items = cadss.locator("fieldset")
    expect(items).to_have_count(6)
    for index, answer in enumerate(["Moderately", "Slightly", "Slightly"]):
        items.nth(index).get_by_label(answer, exact=True).check()
    for index in range(3, 6):
        items.nth(index).get_by_label("Not at all", exact=True).check()
    cadss.get_by_role("button", name="Save CADSS-6").click()
    expect(page.get_by_test_id("cadss-result")).to_contain_text("CADSS-6: 4 / 24")

    # Observation: the protocol's 60 minutes after the infusion, with readings.
    for _ in range(4):
        clinic_clock.shift(timedelta(minutes=14))
        add_reading(page, 126, 80, 74, 98)
    clinic_clock.shift(timedelta(minutes=5))
    page.reload()
    discharge = page.get_by_test_id("discharge-form")
    for item in ("Activity", "Respiration", "Consciousness"):
        discharge.get_by_label(item).select_option(value="2")
    for criterion in DISCHARGE_CRITERIA:
        discharge.get_by_label(criterion).check()
    expect(discharge.get_by_label("Escort at discharge")).to_have_value("Jamie Rivera")
    discharge.get_by_role("button", name="Discharge and complete session").click()
    expect(page.get_by_test_id("discharged")).to_contain_text("with Jamie Rivera")
    expect(page.get_by_test_id("session-status")).to_have_text("Completed")

    note = page.get_by_test_id("note-form")
    note.get_by_label("Note").fill(
        "Patient settled quickly. Transient hypertension at the start of the infusion, "
        "resolved without intervention. Themes: grief, reconnection."
    )
    note.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_test_id("locked")).to_contain_text(
        f"by {clinician.get_full_name()} — read-only"
    )
    expect(page.get_by_test_id("note-text")).to_contain_text("Transient hypertension")
    expect(page.get_by_test_id("note-form")).to_have_count(0)
    expect(page.get_by_test_id("vitals-form")).to_have_count(0)

    session = DosingSession.objects.get(pk=session.pk)
    assert session.is_signed and session.signed_by == clinician
    assert session.total_mg == Decimal("36.2")
    assert session.vitals.count() == 8
    assert session.cadss.total == 4


def test_medical_provider_records_a_witnessed_waste_in_the_ledger(
    pages, page, sign_in, provider, clinician
) -> None:
    lot = make_lot(by=provider, number="KET-3001", vials=2)  # 2 × 500 mg
    # The refused attempt below re-renders the form with a 400, which Chromium logs.
    pages.allow(page, r"status of 400")
    sign_in(provider)
    page.get_by_test_id("main-nav").get_by_role("link", name="Ledger").click()
    expect(page.get_by_test_id("balance-KET-3001")).to_have_text("1000.0")
    page.get_by_test_id("ledger-balances").get_by_role("link", name="KET-3001").click()
    expect(page.get_by_test_id("lot-balance")).to_have_text("1000.0 mg")

    waste = page.get_by_test_id("waste-form")
    waste.get_by_label("Amount wasted (mg)").fill("13.8")
    waste.get_by_label("Reason").fill("Drawn-up remainder of a vial after session 2, not used.")
    waste.get_by_role("combobox", name="Witness").select_option(label=clinician.get_full_name())
    # A wrong password is refused and nothing is recorded; what was typed stays.
    waste.get_by_label("Witness's password").fill("not-their-password")
    waste.get_by_role("button", name="Record waste").click()
    waste = page.get_by_test_id("waste-form")
    expect(waste).to_contain_text("password")
    expect(page.get_by_test_id("lot-balance")).to_have_text("1000.0 mg")
    expect(waste.get_by_label("Amount wasted (mg)")).to_have_value("13.8")

    waste.get_by_label("Witness's password").fill(PASSWORD)
    waste.get_by_role("button", name="Record waste").click()
    expect(page.get_by_test_id("lot-balance")).to_have_text("986.2 mg")
    entry = page.get_by_test_id("ledger-entries").locator("tbody tr").last
    expect(entry).to_contain_text("Waste")
    expect(entry).to_contain_text("-13.8")
    expect(entry).to_contain_text(provider.get_full_name())
    expect(entry).to_contain_text(clinician.get_full_name())

    recorded = LedgerEntry.objects.get(lot=lot, kind=LedgerEntry.Kind.WASTE)
    assert recorded.witness == clinician and recorded.recorded_by == provider
