"""At the infusion chair, as a nurse and a provider would: implausible weights refused, a
pre-dose hold waiting for the provider, a morning's high-risk screen that a later one does not
hide, discharge refused with every reason, an alert answered with its action, a back-charted
reading showing both times, and an integration follow-up signed without a PHQ-9."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from playwright.sync_api import expect

from patients.tests.factories import CSSRS_NONE, make_measure
from sessions.models import DosingSession
from sessions.tests.factories import dose, make_lot, make_session, prepare

CSSRS_HIGH = {"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6": False}


def open_session(page, session) -> None:
    page.goto(reverse("sessions:session_detail", args=[session.pk]))


def add_reading(page, systolic, diastolic, heart_rate, spo2, taken_at: str = "") -> None:
    form = page.get_by_test_id("vitals-form")
    form.get_by_label("Systolic (mmHg)").fill(str(systolic))
    form.get_by_label("Diastolic (mmHg)").fill(str(diastolic))
    form.get_by_label("Heart rate (bpm)").fill(str(heart_rate))
    form.get_by_label("SpO₂ (%)").fill(str(spo2))
    if taken_at:
        form.get_by_label("Taken at, if not now").fill(taken_at)
    form.get_by_role("button", name="Add reading").click()
    expect(page.get_by_test_id("vitals-table")).to_contain_text(f"{systolic}/{diastolic}")


def fill_dose(page, clinician, provider, weight: str) -> None:
    form = page.get_by_test_id("dose-form")
    form.get_by_label("Weight today").fill(weight)
    form.get_by_label("Lot / vial drawn from").select_option(index=1)
    form.get_by_label("Administered by").select_option(label=clinician.get_full_name())
    form.get_by_label("Supervising provider").select_option(label=provider.get_full_name())
    # Let the server's preview (htmx, 300 ms after typing) finish before the form is posted: on
    # the tests' in-memory SQLite two requests writing at once lock each other out.
    page.wait_for_timeout(400)
    expect(form.locator(".htmx-request")).to_have_count(0)


def test_weight_900_is_refused_and_154_after_70_asks_to_confirm(
    pages, page, sign_in, clinician, provider
) -> None:
    pages.allow(page, r"status of 400")
    session = prepare(make_session(by=clinician), by=clinician)  # intake weight 70 kg
    make_lot(by=provider, number="DEMO-KET-0426", concentration_mg_per_ml=10)
    sign_in(clinician)
    open_session(page, session)

    fill_dose(page, clinician, provider, "900")
    expect(page.get_by_test_id("dose-problem")).to_contain_text("outside the plausible 30–250 kg")
    page.get_by_role("button", name="Record dose").click()
    # The service's weight errors land on the weight field (kap_clinic.errors.service_errors).
    weight_error = page.get_by_test_id("dose-form").locator("#error_1_id_weight")
    expect(weight_error).to_contain_text("900.0 kg is outside the plausible 30–250 kg")
    expect(page.get_by_label("Weight today")).to_have_value("900")

    page.get_by_label("Weight today").fill("154")
    expect(page.get_by_test_id("weight-confirm-needed")).to_contain_text("70.0 kg")
    page.get_by_role("button", name="Record dose").click()
    expect(weight_error).to_contain_text(
        "more than 10 % away from the last recorded weight (70.0 kg)"
    )
    assert not DosingSession.objects.get(pk=session.pk).is_dosed

    # It was pounds: 154 lb is 69.9 kg, and the volume to draw is shown large.
    page.get_by_label("Unit").select_option("lb")
    expect(page.get_by_test_id("dose-volume")).to_have_text(
        "Draw 3.50 mL of DEMO-KET-0426, 10 mg/mL"
    )
    page.get_by_role("button", name="Record dose").click()
    expect(page.get_by_test_id("dose-weight")).to_contain_text("69.9 kg (154.1 lb)")
    expect(page.get_by_test_id("dose-record").get_by_test_id("dose-volume")).to_contain_text(
        "3.50 mL of DEMO-KET-0426"
    )


def test_pre_dose_spo2_88_holds_until_a_provider_acknowledges(
    pages, page, sign_in, clinician, provider
) -> None:
    pages.allow(page, r"status of 400")
    session = prepare(make_session(by=clinician), by=clinician)
    make_lot(by=provider)
    sign_in(clinician)
    open_session(page, session)
    add_reading(page, 122, 78, 84, 88)
    hold = page.get_by_test_id("hold-alert")
    expect(hold).to_contain_text("SpO₂ below 92 % — hypoxia")
    expect(hold.get_by_test_id("recheck-offer")).to_contain_text("Recheck after 5 minutes' rest")
    fill_dose(page, clinician, provider, "70")
    page.get_by_role("button", name="Record dose").click()
    expect(page.get_by_test_id("dose-error")).to_contain_text("holds the dose")
    assert not DosingSession.objects.get(pk=session.pk).is_dosed

    provider_page = pages.new()
    sign_in(provider, on=provider_page)
    expect(provider_page.get_by_test_id("home-holds")).to_contain_text("SpO₂ 88 %")
    open_session(provider_page, session)
    provider_hold = provider_page.get_by_test_id("hold-alert")
    provider_hold.get_by_label("Provider's decision").fill("Cold fingers; 96 % on the ear probe.")
    provider_hold.get_by_role("button", name="Acknowledge hold").click()
    expect(provider_page.get_by_test_id("hold-alert")).to_have_count(0)

    open_session(page, session)
    fill_dose(page, clinician, provider, "70")
    page.get_by_role("button", name="Record dose").click()
    expect(page.get_by_test_id("dose-record").get_by_test_id("dose-total")).to_have_text("35.0 mg")
    expect(page.get_by_test_id("reading-answer")).to_contain_text(
        f"Acknowledged by {provider.get_full_name()}"
    )


def test_a_high_risk_screen_at_9_still_blocks_after_none_at_925(
    pages, page, sign_in, clinician, provider, clinic_clock
) -> None:
    pages.allow(page, r"status of 400")
    session = prepare(make_session(by=clinician), by=clinician)  # 08:30
    make_lot(by=provider)
    patient = session.course.patient
    clinic_clock.shift(timedelta(minutes=30))  # 09:00
    make_measure(patient, "cssrs", CSSRS_HIGH, by=clinician)
    clinic_clock.shift(timedelta(minutes=25))  # 09:25
    make_measure(patient, "cssrs", CSSRS_NONE, by=clinician)
    clinic_clock.shift(timedelta(minutes=5))

    sign_in(provider)
    open_session(page, session)
    item = page.get_by_test_id("checklist-cssrs")
    expect(item).to_contain_text("High risk at 09:00 today")
    expect(item.get_by_test_id("hard-stop")).to_contain_text("no dose today")
    expect(page.get_by_test_id("override-form-cssrs")).to_have_count(0)
    fill_dose(page, clinician, provider, "70")
    page.get_by_role("button", name="Record dose").click()
    expect(page.get_by_test_id("dose-error")).to_contain_text(
        "A high-risk C-SSRS screen at 09:00 today"
    )
    assert not DosingSession.objects.get(pk=session.pk).is_dosed


def _dosed_im(clinician, provider) -> DosingSession:
    session = prepare(make_session(by=clinician, route="im"), by=clinician)
    return dose(session, by=clinician, lot=make_lot(by=provider), provider=provider)


def test_discharge_with_192_118_is_refused_naming_each_reason_then_alert_answered(
    pages, page, sign_in, clinician, provider, clinic_clock
) -> None:
    pages.allow(page, r"status of 400")
    session = _dosed_im(clinician, provider)  # 08:30, pre-dose 122/78
    clinic_clock.shift(timedelta(minutes=20))
    sign_in(clinician)
    open_session(page, session)
    add_reading(page, 192, 118, 130, 88)
    alert = page.get_by_test_id("vitals-alert")
    expect(alert).to_contain_text("BP at or above 180/110 — hypertension")

    form = page.get_by_test_id("discharge-form")
    for item in ("Activity", "Respiration", "Consciousness"):
        form.get_by_label(item).select_option(value="2")
    form.get_by_label("Escort at discharge").fill("")
    form.get_by_role("button", name="Discharge and complete session").click()
    error = page.get_by_test_id("discharge-error")
    for reason in (
        "90 minutes of observation",
        "Open alert at",
        "Modified Aldrete total 6 of 10",
        "circulation 0 (systolic 192 against 122 before the dose)",
        "oxygenation 0 (SpO₂ 88 % on room air)",
        "Not yet confirmed: nausea controlled",
        "Name the responsible adult",
    ):
        expect(error).to_contain_text(reason)
    expect(page.get_by_test_id("discharge-form").get_by_label("Activity")).to_have_value("2")

    alert = page.get_by_test_id("vitals-alert")
    alert.get_by_label("Action taken").fill("Provider informed; labetalol 10 mg IV given.")
    alert.get_by_role("button", name="Record action taken").click()
    expect(page.get_by_test_id("vitals-alert")).to_have_count(0)
    expect(page.get_by_test_id("reading-answer")).to_contain_text(
        "Provider informed; labetalol 10 mg IV given."
    )


def test_vitals_back_charted_to_0945_at_1002_show_both_times(
    page, sign_in, clinician, clinic_clock
) -> None:
    session = make_session(by=clinician)  # 08:30
    clinic_clock.shift(timedelta(minutes=92))  # 10:02
    sign_in(clinician)
    open_session(page, session)
    add_reading(page, 124, 80, 72, 98, taken_at="09:45")
    expect(page.get_by_test_id("reading-time").first).to_have_text(
        f"09:45, entered 10:02 by {clinician.get_full_name()}"
    )


def test_the_integration_follow_up_signs_without_a_phq9(page, sign_in, clinician, provider):
    session = _dosed_im(clinician, provider)
    sign_in(clinician)
    page.goto(reverse("sessions:follow_up_create", args=[session.pk]))
    expect(page.get_by_test_id("phq9-items")).to_be_hidden()
    page.get_by_label("Repeat PHQ-9 now").check()
    expect(page.get_by_test_id("phq9-items")).to_be_visible()
    page.get_by_label("Repeat PHQ-9 now").uncheck()
    expect(page.get_by_test_id("phq9-items")).to_be_hidden()
    page.get_by_label("Themes").fill("Grief; reconnecting with brother.")
    page.get_by_label("Plan").fill("Journal; next session Thursday.")
    page.get_by_test_id("sign-button").click()
    expect(
        page.get_by_role("alert").filter(has_text="Integration follow-up signed.")
    ).to_be_visible()
    assert session.follow_ups.count() == 1
