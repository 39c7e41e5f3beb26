"""Chair-side safety through the services and the views: weight, hard stops that no override
lifts, every screen of the dose day, pre-dose holds, open alerts, the interval, the infusion's
early end, back-charting and discharge with the modified Aldrete score."""

from __future__ import annotations

import base64
import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from patients import services as patient_services
from patients.models import Consent
from patients.tests.factories import CSSRS_NONE, make_measure
from sessions import services
from sessions.models import DosingSession
from sessions.records import fhir, pdf
from sessions.tests.factories import (
    discharge,
    dose,
    make_lot,
    make_session,
    override_open_items,
    prepare,
    protocol,
)

D = Decimal
pytestmark = pytest.mark.django_db
CSSRS_HIGH = {"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6": False}
CSSRS_MODERATE = {"q1": True, "q2": True, "q3": True, "q4": False, "q5": False, "q6": False}


def page(response) -> str:
    return response.content.decode()


def at_today(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, minute)))


def dose_body(lot, clinician, provider, **kw) -> dict:
    body = {
        "weight": "70",
        "weight_unit": "kg",
        "mg_per_kg": "0.5",
        "lot": lot.pk,
        "administered_by": clinician.pk,
        "supervising_provider": provider.pk,
    }
    body.update(kw)
    return body


# --- hard stops: no override lifts them (through the views) -----------------------------------


def test_provider_override_does_not_unlock_a_revoked_consent(
    as_provider, clinician, provider
) -> None:
    session = prepare(make_session(by=clinician), by=clinician)
    lot = make_lot(by=provider)
    consent = Consent.objects.get(patient=session.course.patient)
    patient_services.consent_revoke(consent=consent, note="Withdrew by phone", by=clinician)

    override = reverse("sessions:checklist_override", args=[session.pk])
    response = as_provider.post(override, {"item": "consent", "reason": "Verbal consent today"})
    assert response.status_code == 400
    assert "cannot be overridden" in page(response) and "signs the current consent" in page(
        response
    )
    assert not session.item_overrides.exists()

    response = as_provider.post(
        reverse("sessions:dose_record", args=[session.pk]),
        dose_body(lot, clinician, provider, override_reason="Urgent"),
    )
    assert response.status_code == 400
    html = page(response)
    assert "Consent is not current" in html and "signs the current consent" in html
    assert 'value="70"' in html  # nothing typed is lost
    assert not DosingSession.objects.get(pk=session.pk).is_dosed


def test_provider_override_does_not_unlock_a_positive_pregnancy_test(
    as_provider, clinician, provider
) -> None:
    session = prepare(make_session(by=clinician), by=clinician)
    services.checklist_update(session=session, by=clinician, pregnancy_test="positive")
    lot = make_lot(by=provider)
    override = reverse("sessions:checklist_override", args=[session.pk])
    response = as_provider.post(override, {"item": "pregnancy", "reason": "Retest pending"})
    assert response.status_code == 400 and "cannot be overridden" in page(response)
    assert "Retest pending" in page(response)  # the typed reason is kept
    response = as_provider.post(
        reverse("sessions:dose_record", args=[session.pk]), dose_body(lot, clinician, provider)
    )
    assert response.status_code == 400
    assert "pregnancy test today is positive" in page(response)
    assert not DosingSession.objects.get(pk=session.pk).is_dosed
    detail = page(as_provider.get(reverse("sessions:session_detail", args=[session.pk])))
    assert 'data-testid="override-form-pregnancy"' not in detail
    assert "Hard stop: no dose" in detail


def test_eligibility_unsigned_by_a_later_intake_is_a_hard_stop(clinician, provider) -> None:
    from patients.tests.factories import make_intake

    session = prepare(make_session(by=clinician), by=clinician)
    make_intake(session.course.patient, by=clinician, sign=True)
    with pytest.raises(ValidationError, match="Eligibility is not signed"):
        services.checklist_override(session=session, item="eligibility", reason="x", by=provider)
    with pytest.raises(ValidationError, match="A medical provider signs the patient eligible"):
        dose(session, by=provider, lot=make_lot(by=provider), provider=provider)


def test_a_high_risk_screen_at_9_still_blocks_after_none_at_925(clinician, provider) -> None:
    with time_machine.travel(at_today(8, 30), tick=False):
        session = prepare(make_session(by=clinician), by=clinician)
        lot = make_lot(by=provider)
    patient = session.course.patient
    with time_machine.travel(at_today(9, 0), tick=False):
        make_measure(patient, "cssrs", CSSRS_HIGH, by=clinician)
    with time_machine.travel(at_today(9, 25), tick=False):
        make_measure(patient, "cssrs", CSSRS_NONE, by=clinician)
    with time_machine.travel(at_today(9, 30), tick=False):
        with pytest.raises(ValidationError, match="high-risk C-SSRS screen at 09:00 today"):
            dose(session, by=provider, lot=lot, provider=provider)
        with pytest.raises(ValidationError, match="cannot be overridden"):
            services.checklist_override(session=session, item="cssrs", reason="x", by=provider)


def test_a_moderate_screen_needs_a_clinicians_documented_review(clinician, provider) -> None:
    session = prepare(make_session(by=clinician), by=clinician)
    make_measure(session.course.patient, "cssrs", CSSRS_MODERATE, by=clinician)
    lot = make_lot(by=provider)
    with pytest.raises(ValidationError, match="documents the review"):
        dose(session, by=clinician, lot=lot, provider=provider)
    with pytest.raises(ValidationError, match="cannot be overridden"):
        services.checklist_override(session=session, item="screen_review", reason="x", by=provider)
    services.screens_review_record(
        session=session, note="Passive ideation; safety plan reviewed; proceed.", by=clinician
    )
    assert dose(session, by=clinician, lot=lot, provider=provider).is_dosed


# --- weight and dosing weight ---------------------------------------------------------------


def test_weight_of_900_is_refused_and_154_after_70_needs_confirming(
    as_clinician, clinician, provider
) -> None:
    session = prepare(make_session(by=clinician), by=clinician)  # intake weight 70 kg
    lot = make_lot(by=provider)
    url = reverse("sessions:dose_record", args=[session.pk])
    response = as_clinician.post(url, dose_body(lot, clinician, provider, weight="900"))
    assert response.status_code == 400
    assert "900.0 kg is outside the plausible 30–250 kg" in page(response)
    assert 'value="900"' in page(response)
    response = as_clinician.post(url, dose_body(lot, clinician, provider, weight="154"))
    assert response.status_code == 400
    assert "more than 10 % away from the last recorded weight (70.0 kg)" in page(response)
    # 154 lb is 69.9 kg: no confirmation needed, both shown on the record.
    response = as_clinician.post(
        url, dose_body(lot, clinician, provider, weight="154", weight_unit="lb")
    )
    assert response.status_code == 302
    dosed = DosingSession.objects.get(pk=session.pk)
    assert (dosed.weight_kg, dosed.weight_unit, dosed.total_mg) == (D("69.9"), "lb", D("35.0"))
    shown = page(as_clinician.get(reverse("sessions:session_detail", args=[session.pk])))
    assert "69.9 kg (154.1 lb), entered in lb" in shown
    assert "Draw 0.70 mL" not in shown and "0.70 mL of KET-001, 50 mg/mL" in shown


def test_a_confirmed_weight_change_is_recorded(clinician, provider) -> None:
    session = prepare(make_session(by=clinician), by=clinician)
    dosed = dose(
        session,
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
        weight="80",
        weight_confirmed=True,
    )
    assert dosed.weight_confirmed and dosed.total_mg == D("40.0")


def test_adjusted_protocol_doses_on_adjusted_body_weight(clinician, provider) -> None:
    iv = protocol("iv")
    iv.dosing_weight_method = "adjusted"
    iv.save()
    session = prepare(make_session(by=clinician), by=clinician)
    patient = session.course.patient
    patient.sex_assigned_at_birth = "male"
    patient.save()
    # Intake height 175 cm; 120 kg -> BMI 39.2; IBW 50 + 2.3 x (68.898 - 60) = 70.465;
    # adjusted 70.465 + 0.4 x 49.535 = 90.279 -> 90.3 kg; 0.5 mg/kg -> 45.2 mg (45.15 half up).
    dosed = dose(
        session,
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
        weight="120",
        weight_confirmed=True,
    )
    assert dosed.dosing_weight_kg == D("90.3") and dosed.total_mg == D("45.2")


# --- holds, alerts, interval, infusion, back-charting, discharge -----------------------------


def test_pre_dose_spo2_88_holds_until_a_provider_acknowledges(clinician, provider) -> None:
    session = prepare(make_session(by=clinician), by=clinician)
    lot = make_lot(by=provider)
    low = services.vitals_record(
        session=session, systolic=120, diastolic=80, heart_rate=80, spo2=88, by=clinician
    )
    assert low.is_hold
    with pytest.raises(ValidationError, match="SpO₂ below 92 %.*Recheck after 5 minutes"):
        dose(session, by=clinician, lot=lot, provider=provider)
    recheck = services.vitals_record(
        session=session, systolic=118, diastolic=78, heart_rate=76, spo2=95, by=clinician
    )
    assert recheck.recheck_of == low
    with pytest.raises(ValidationError, match="acknowledges the hold"):
        dose(session, by=clinician, lot=lot, provider=provider)
    services.hold_acknowledge(
        reading=low, note="Probe on cold finger; 95 % on recheck", by=provider
    )
    assert dose(session, by=clinician, lot=lot, provider=provider).is_dosed


def test_an_alert_stays_open_until_the_action_is_recorded_and_blocks_discharge(
    clinician, provider
) -> None:
    session = dose(
        prepare(make_session(by=clinician, route="im"), by=clinician),
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
    )
    alert = services.vitals_record(
        session=session, systolic=85, diastolic=55, heart_rate=70, spo2=97, by=clinician
    )
    assert alert.alerts == ["hypotension"] and alert.is_open_alert
    with pytest.raises(ValidationError, match="Open alert at .* records the action taken"):
        discharge(session, by=clinician)
    with pytest.raises(ValidationError, match="Write the action taken"):
        services.alert_acknowledge(reading=alert, action=" ", by=clinician)
    services.alert_acknowledge(reading=alert, action="Legs raised; 112/70 at recheck", by=clinician)
    assert discharge(session, by=clinician).status == "completed"


def test_discharge_with_192_over_118_is_refused_naming_each_reason(clinician, provider) -> None:
    session = dose(
        prepare(make_session(by=clinician, route="im"), by=clinician),
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
    )
    at = session.observed_until - dt.timedelta(minutes=30)
    with time_machine.travel(at - dt.timedelta(minutes=20), tick=False):
        services.vitals_record(
            session=session, systolic=192, diastolic=118, heart_rate=130, spo2=88, by=clinician
        )
    with pytest.raises(ValidationError) as refused:
        discharge(session, by=clinician, at=at, reading=False, escort_name="")
    text = " ".join(refused.value.messages)
    for reason in (
        "minutes of observation after the dose ends",
        "Open alert",
        "more than 15 minutes before discharge",
        "Modified Aldrete total 6 of 10",
        "circulation 0 (systolic 192 against 122 before the dose)",
        "oxygenation 0 (SpO₂ 88 % on room air)",
        "Name the responsible adult",
    ):
        assert reason in text, reason


def test_discharge_needs_a_reading_after_the_dose(clinician, provider) -> None:
    session = dose(
        prepare(make_session(by=clinician, route="im"), by=clinician),
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
    )
    with pytest.raises(ValidationError, match="No reading since the dose ended"):
        discharge(session, by=clinician, reading=False)


def test_second_dose_within_24_hours_needs_a_providers_override(clinician, provider) -> None:
    first = prepare(make_session(by=clinician), by=clinician)
    lot = make_lot(by=provider)
    dose(first, by=clinician, lot=lot, provider=provider)
    second = prepare(make_session(by=clinician, course=first.course), by=clinician)
    with pytest.raises(ValidationError, match="At least 24 h since the last dose"):
        dose(second, by=clinician, lot=lot, provider=provider)
    services.checklist_override(
        session=second, item="interval", reason="Protocol deviation agreed", by=provider
    )
    assert dose(second, by=clinician, lot=lot, provider=provider).is_dosed
    with pytest.raises(ValidationError, match="one dose per session"):
        dose(second, by=clinician, lot=lot, provider=provider)


def test_ending_an_infusion_early_needs_a_reason(clinician, provider) -> None:
    session = dose(
        prepare(make_session(by=clinician), by=clinician),
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
    )
    with pytest.raises(ValidationError, match="ran 0 minutes of the protocol's 40"):
        services.dose_end(session=session, by=clinician)
    ended = services.dose_end(session=session, by=clinician, early_reason="Patient asked to stop")
    assert ended.early_end_reason == "Patient asked to stop"


def test_vitals_back_charted_to_0945_at_1002_show_both_times(as_clinician, clinician) -> None:
    with time_machine.travel(at_today(9, 0), tick=False):
        session = make_session(by=clinician)
    with time_machine.travel(at_today(10, 2), tick=False):
        response = as_clinician.post(
            reverse("sessions:vitals_add", args=[session.pk]),
            {"systolic": 124, "diastolic": 80, "heart_rate": 72, "spo2": 98, "taken_at": "09:45"},
        )
        assert response.status_code == 302
        html = page(as_clinician.get(reverse("sessions:session_detail", args=[session.pk])))
        name = clinician.get_full_name()
        assert f"09:45, entered 10:02 by {name}" in html
        future = as_clinician.post(
            reverse("sessions:vitals_add", args=[session.pk]),
            {"systolic": 124, "diastolic": 80, "heart_rate": 72, "spo2": 98, "taken_at": "11:00"},
        )
        assert future.status_code == 400 and "is in the future" in page(future)
        early = as_clinician.post(
            reverse("sessions:vitals_add", args=[session.pk]),
            {"systolic": 124, "diastolic": 80, "heart_rate": 72, "spo2": 98, "taken_at": "06:00"},
        )
        assert early.status_code == 400 and "before this session started" in page(early)
    assert session.vitals.count() == 1


def test_follow_up_phq9_radios_are_not_required_in_the_browser(
    as_clinician, clinician, provider
) -> None:
    session = dose(
        prepare(make_session(by=clinician), by=clinician),
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
    )
    html = page(as_clinician.get(reverse("sessions:follow_up_create", args=[session.pk])))
    phq9 = html.split('data-testid="phq9-items"')[1].split("</fieldset>")[0]
    assert 'name="phq9-item_1"' in phq9 and not re.search(r"<input[^>]*\srequired", phq9)


def test_session_header_shows_allergies_and_risk_flags(as_clinician, clinician) -> None:
    session = make_session(by=clinician)
    make_measure(session.course.patient, "cssrs", CSSRS_MODERATE, by=clinician)
    html = page(as_clinician.get(reverse("sessions:session_detail", args=[session.pk])))
    assert "Allergies: Penicillin" in html
    assert 'data-testid="risk-flag"' in html and "Suicide risk" in html


def test_providers_home_lists_open_alerts(as_provider, clinician, provider) -> None:
    session = dose(
        prepare(make_session(by=clinician), by=clinician),
        by=clinician,
        lot=make_lot(by=provider),
        provider=provider,
    )
    services.vitals_record(
        session=session, systolic=130, diastolic=80, heart_rate=135, spo2=97, by=clinician
    )
    home = page(as_provider.get(reverse("home")))
    assert 'data-testid="home-open-alerts"' in home and "tachycardia" in home


def test_the_flowsheets_own_polling_does_not_keep_the_sign_in_alive(as_clinician, clinician):
    session = make_session(by=clinician)
    url = reverse("sessions:vitals_live", args=[session.pk])
    assert as_clinician.get(url).status_code == 200
    before = as_clinician.session["kap_last_seen"]
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        polled = as_clinician.get(url, headers={"X-Kap-Poll": "1", "HX-Request": "true"})
        assert polled.status_code == 200 and 'data-testid="vitals-table"' in page(polled)
        assert as_clinician.session["kap_last_seen"] == before
        as_clinician.get(url)
        assert as_clinician.session["kap_last_seen"] > before


def test_an_adverse_event_can_be_back_charted_and_shows_both_times(as_clinician, clinician):
    with time_machine.travel(at_today(9, 0), tick=False):
        session = make_session(by=clinician)
    with time_machine.travel(at_today(10, 2), tick=False):
        response = as_clinician.post(
            reverse("sessions:adverse_event_add", args=[session.pk]),
            {
                "kind": "nausea",
                "severity": "mild",
                "onset_at": f"{timezone.localdate():%Y-%m-%d}T09:40",
            },
        )
        assert response.status_code == 302
        html = page(as_clinician.get(reverse("sessions:session_detail", args=[session.pk])))
    assert f"from 09:40, entered 10:02 by {clinician.get_full_name()}" in html


def test_protocol_admin_says_when_there_is_no_absolute_cap(as_clinic_admin) -> None:
    iv, im = protocol("iv"), protocol("im")
    url = "admin:clinic_sessions_dosingprotocol_change"
    assert "No absolute mg cap" in page(as_clinic_admin.get(reverse(url, args=[iv.pk])))
    shown = page(as_clinic_admin.get(reverse(url, args=[im.pk])))
    assert "No absolute mg cap" not in shown and "60.0 mg" in shown
    assert 'name="dosing_weight_method"' in shown and 'name="min_interval_hours"' in shown


def test_a_checklist_item_override_is_in_the_exported_record(clinician, provider) -> None:
    session = override_open_items(
        make_session(by=clinician), by=provider, reason="Fasting confirmed by phone"
    )
    overrides = list(session.item_overrides.all())
    assert overrides
    patient = session.course.patient
    bundle = fhir.record_bundle(patient)
    fhir.validate_bundle(bundle)
    document = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["id"] == f"session-record-{session.pk}"
    )
    text = base64.b64decode(document["content"][0]["attachment"]["data"]).decode()
    html = pdf.record_html(patient, exported_by="test")
    for override in overrides:
        assert f"Checklist item overridden: {override.label} — Fasting confirmed by phone" in text
        assert escape(override.label) in html
    assert html.count("Checklist item overridden:") == len(overrides)
