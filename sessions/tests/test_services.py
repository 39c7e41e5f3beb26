from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from patients.models import Patient
from patients.tests.factories import PatientFactory
from sessions import selectors, services
from sessions.models import DosingSession, LedgerEntry
from sessions.tests.factories import (
    discharge,
    dose,
    make_course,
    make_lot,
    make_session,
    prepare,
    protocol,
)

D = Decimal
pytestmark = pytest.mark.django_db


def test_protocols_are_seeded_with_design_defaults() -> None:
    iv, im = protocol("iv"), protocol("im")
    assert (iv.default_mg_per_kg, iv.min_mg_per_kg, iv.max_mg_per_kg) == (
        D("0.5"),
        D("0.1"),
        D("1"),
    )
    assert iv.infusion_minutes == 40 and iv.vitals_interval_minutes == 15 and iv.cap_mg is None
    assert (im.min_mg_per_kg, im.max_mg_per_kg, im.cap_mg) == (D("0.25"), D("1.5"), D("60"))


def test_course_needs_signed_eligibility_and_current_consent(clinician) -> None:
    patient = PatientFactory()
    with pytest.raises(ValidationError) as error:
        services.course_start(
            patient=patient,
            protocol=protocol(),
            planned_sessions=6,
            starts_on=timezone.localdate(),
            by=clinician,
        )
    assert "eligible" in str(error.value) and "consent" in str(error.value)


def test_starting_a_course_puts_the_patient_in_treatment(clinician) -> None:
    course = make_course(by=clinician)
    assert Patient.objects.get(pk=course.patient_id).status == Patient.Status.IN_TREATMENT


def test_incomplete_checklist_blocks_the_dose(clinician, provider) -> None:
    session = make_session(by=clinician)
    lot = make_lot(by=provider)
    with pytest.raises(ValidationError, match="Checklist items not done"):
        dose(session, by=clinician, lot=lot, provider=provider)
    assert not DosingSession.objects.get(pk=session.pk).is_dosed
    assert not LedgerEntry.objects.filter(kind="administration").exists()


def test_provider_overrides_each_open_item_to_let_the_dose_go_ahead(clinician, provider) -> None:
    session = prepare(make_session(by=clinician), by=clinician)
    services.checklist_update(session=session, by=clinician, escort_phone="")
    lot = make_lot(by=provider)
    with pytest.raises(ValidationError, match="Only a medical provider"):
        services.checklist_override(session=session, item="escort", reason="x", by=clinician)
    with pytest.raises(ValidationError, match="Escort name and phone"):
        dose(session, by=clinician, lot=lot, provider=provider)
    services.checklist_override(
        session=session, item="escort", reason="Escort confirmed by phone", by=provider
    )
    dosed = dose(session, by=clinician, lot=lot, provider=provider)
    assert dosed.total_mg == D("35.0")
    escort = next(i for i in dosed.checklist_at_dose if i["key"] == "escort")
    assert escort["overridden"].endswith("Escort confirmed by phone")


def test_pre_dose_150_over_95_needs_a_provider_acknowledgement(clinician, provider) -> None:
    session = prepare(make_session(by=clinician), by=clinician, vitals=(150, 95))
    lot = make_lot(by=provider)
    reading = session.vitals.get()
    assert reading.alerts == ["hold_pre_dose_bp"] and reading.needs_acknowledgement
    with pytest.raises(ValidationError, match="acknowledgement"):
        dose(session, by=clinician, lot=lot, provider=provider)
    with pytest.raises(ValidationError, match="Only a medical provider"):
        services.hold_acknowledge(reading=reading, note="ok", by=clinician)
    services.hold_acknowledge(reading=reading, note="Anxious; repeat was 138/88.", by=provider)
    assert dose(session, by=clinician, lot=lot, provider=provider).is_dosed


def test_dose_outside_protocol_is_refused_with_the_range(clinician, provider) -> None:
    session = prepare(make_session(by=clinician), by=clinician)
    lot = make_lot(by=provider)
    with pytest.raises(ValidationError) as error:
        dose(session, by=clinician, lot=lot, provider=provider, rate="1.2")
    text = " ".join(error.value.messages)
    assert "outside the protocol's allowed range of 0.10–1.00 mg/kg" in text
    assert "Only a medical provider can override" in text
    # A clinician's reason changes nothing: only providers override.
    with pytest.raises(ValidationError):
        dose(session, by=clinician, lot=lot, provider=provider, rate="1.2", override_reason="x")
    assert not DosingSession.objects.get(pk=session.pk).is_dosed


def test_provider_override_of_the_protocol_is_recorded(clinician, provider) -> None:
    session = prepare(make_session(by=clinician), by=clinician)
    lot = make_lot(by=provider)
    with pytest.raises(ValidationError, match="write an override reason"):
        dose(session, by=clinician, lot=lot, provider=provider, rate="1.2", recorded_by=provider)
    dosed = dose(
        session,
        by=clinician,
        lot=lot,
        provider=provider,
        rate="1.2",
        recorded_by=provider,
        override_reason="Partial response at 1.0 mg/kg in sessions 1-3.",
    )
    assert dosed.total_mg == D("84.0")
    assert dosed.dose_override_by == provider
    assert dosed.dose_override_reason.startswith("Partial response")


def test_im_cap_is_enforced(clinician, provider) -> None:
    session = prepare(make_session(by=clinician, route="im"), by=clinician)
    lot = make_lot(by=provider)
    with pytest.raises(ValidationError, match="above the protocol's cap of 60.0 mg"):
        dose(
            session,
            by=clinician,
            lot=lot,
            provider=provider,
            weight="130",
            rate="0.5",
            weight_confirmed=True,
        )


def test_no_dose_from_an_expired_or_exhausted_lot(clinician, provider) -> None:
    # Received while still in date (an expired lot is refused at receipt), expired since.
    expired = make_lot(
        by=provider,
        number="OLD",
        expires_on=timezone.localdate() - dt.timedelta(1),
        received_at=timezone.now() - dt.timedelta(days=10),
    )
    session = prepare(make_session(by=clinician), by=clinician)
    with pytest.raises(ValidationError, match="expired"):
        dose(session, by=clinician, lot=expired, provider=provider)
    small = make_lot(by=provider, number="SMALL", vials=1, vial_volume_ml=D("0.5"))  # 25 mg
    with pytest.raises(ValidationError, match="below zero"):
        dose(session, by=clinician, lot=small, provider=provider)
    services.ledger_waste(
        lot=small,
        quantity_mg=D("25"),
        reason="broken",
        witness=clinician,
        witness_password="correct-horse-battery-staple",
        by=provider,
    )
    with pytest.raises(ValidationError, match="exhausted"):
        dose(session, by=clinician, lot=small, provider=provider, rate="0.1")


def _dosed_session(clinician, provider, route="iv"):
    session = prepare(make_session(by=clinician, route=route), by=clinician)
    return dose(session, by=clinician, lot=make_lot(by=provider), provider=provider)


def test_discharge_waits_for_minimum_observation(clinician, provider) -> None:
    session = _dosed_session(clinician, provider)
    ended = timezone.now()
    services.dose_end(session=session, by=clinician, ended_at=ended, early_reason="Test")
    with pytest.raises(ValidationError, match="60 minutes of observation"):
        discharge(session, by=clinician, at=ended + dt.timedelta(minutes=59))
    with pytest.raises(ValidationError, match="Not yet confirmed: nausea controlled"):
        discharge(
            session,
            by=clinician,
            at=ended + dt.timedelta(minutes=60),
            reading=False,
            criteria={**dict.fromkeys(services.DISCHARGE_CRITERIA, True), "nausea_controlled": 0},
        )
    done = discharge(session, by=clinician, at=ended + dt.timedelta(minutes=60), reading=False)
    assert done.status == DosingSession.Status.COMPLETED
    assert done.aldrete_total == 10


def test_signing_locks_the_whole_record_and_addenda_follow(clinician, provider) -> None:
    session = _dosed_session(clinician, provider)
    services.session_abort(session=session, reason="Patient asked to stop", by=clinician)
    with pytest.raises(ValidationError, match="Write the session note"):
        services.session_sign(session=session, by=clinician)
    services.note_save(session=session, text="Stopped at 10 minutes.", by=clinician)
    with pytest.raises(ValidationError, match="until it is signed"):
        services.addendum_add(session=session, text="x", by=clinician)
    services.session_sign(session=session, by=clinician)
    for attempt in (
        lambda: services.note_save(session=session, text="changed", by=clinician),
        lambda: services.vitals_record(
            session=session, systolic=120, diastolic=80, heart_rate=70, spo2=98, by=clinician
        ),
        lambda: services.adverse_event_record(
            session=session, by=clinician, kind="nausea", severity="mild"
        ),
        lambda: services.checklist_update(session=session, by=clinician, intention_set=False),
    ):
        with pytest.raises(ValidationError, match="signed and locked"):
            attempt()
    services.addendum_add(session=session, text="Called next day: well.", by=clinician)
    assert DosingSession.objects.get(pk=session.pk).note == "Stopped at 10 minutes."
    assert session.addenda.count() == 1


def test_vitals_phase_follows_the_session_and_alerts_use_classify(clinician, provider) -> None:
    session = _dosed_session(clinician, provider)
    reading = services.vitals_record(
        session=session, systolic=182, diastolic=100, heart_rate=125, spo2=91, by=clinician
    )
    assert reading.phase == "during"
    assert reading.alerts == ["hypertension", "hypoxia", "tachycardia"]
    with pytest.raises(ValueError, match="must be lower than systolic"):
        services.vitals_record(
            session=session, systolic=90, diastolic=95, heart_rate=70, spo2=98, by=clinician
        )


def test_next_reading_is_due_one_protocol_interval_after_the_last(clinician, provider) -> None:
    session = _dosed_session(clinician, provider)
    reading = services.vitals_record(
        session=session, systolic=130, diastolic=80, heart_rate=80, spo2=97, by=clinician
    )
    readings = list(session.vitals.all())
    assert selectors.next_reading_due(session, readings) == reading.taken_at + dt.timedelta(
        minutes=15
    )


def test_integration_is_due_then_overdue_at_72_hours(clinician, provider) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        session = _dosed_session(clinician, provider, route="im")  # IM: ends when given
    anchor = session.dose_ended_at
    with time_machine.travel(anchor + dt.timedelta(hours=71, minutes=59), tick=False):
        assert selectors.integration_status(session, []) == "due"
        assert selectors.integration_worklist() == [(session, "due")]
    with time_machine.travel(anchor + dt.timedelta(hours=72), tick=False):
        assert selectors.integration_status(session, []) == "overdue"
        assert selectors.integration_worklist() == [(session, "overdue")]
        services.follow_up_record(
            session=session,
            themes="Grief",
            insights="",
            plan="Weekly therapy",
            by=clinician,
            phq9=[1, 1, 1, 1, 0, 0, 0, 0, 0],
        )
        assert selectors.integration_worklist() == []
        follow_up = session.follow_ups.get()
        assert selectors.integration_status(session, [follow_up]) == "done"
        assert follow_up.measures.get().total == 4


def test_patient_confirmed_fasting_and_escort_fill_the_checklist(clinician) -> None:
    from scheduling.tests.factories import AppointmentFactory

    course = make_course(by=clinician)
    appointment = AppointmentFactory(patient=course.patient)
    session = services.session_plan(course=course, appointment=appointment, by=clinician)
    assert session.scheduled_for == appointment.starts_at
    items = {i.key: i for i in selectors.checklist_items(session)}
    assert not items["fasting"].done and not items["escort"].done
    appointment.fasting_confirmed_at = timezone.now()
    appointment.escort_name, appointment.escort_phone = "Jamie Doe", "+17345550199"
    appointment.save()
    session = DosingSession.objects.select_related("appointment").get(pk=session.pk)
    items = {i.key: i for i in selectors.checklist_items(session)}
    assert items["fasting"].done and "Confirmed by the patient" in items["fasting"].detail
    assert items["escort"].done and "Jamie Doe" in items["escort"].detail
    with pytest.raises(ValidationError, match="already has a dosing session"):
        services.session_plan(course=course, appointment=appointment, by=clinician)


def test_session_cannot_take_another_patients_appointment(clinician) -> None:
    from scheduling.tests.factories import AppointmentFactory

    course = make_course(by=clinician)
    with pytest.raises(ValidationError, match="another patient"):
        services.session_plan(course=course, appointment=AppointmentFactory(), by=clinician)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"default_mg_per_kg": D("1.2")}, "default_mg_per_kg"),
        ({"min_mg_per_kg": D("0")}, "min_mg_per_kg"),
        ({"spo2_min": 88}, "spo2_min"),
        ({"systolic_alert": 200}, "systolic_alert"),
        ({"hr_min": 40}, "hr_min"),
    ],
)
def test_protocol_admin_refuses_an_inconsistent_range_or_looser_thresholds(changes, field):
    iv = protocol("iv")
    for name, value in changes.items():
        setattr(iv, name, value)
    with pytest.raises(ValidationError) as error:
        iv.full_clean()
    assert field in error.value.message_dict


def test_protocol_admin_accepts_tighter_thresholds(as_clinic_admin) -> None:
    from django.urls import reverse

    iv = protocol("iv")
    iv.spo2_min, iv.hr_max = 94, 110
    iv.full_clean()
    assert (
        as_clinic_admin.get(
            reverse("admin:clinic_sessions_dosingprotocol_change", args=[iv.pk])
        ).status_code
        == 200
    )


def test_course_completes_with_its_last_planned_session(clinician, provider) -> None:
    course = make_course(by=clinician, route="im", planned=1)
    session = prepare(make_session(by=clinician, course=course), by=clinician)
    session = dose(session, by=clinician, lot=make_lot(by=provider), provider=provider)
    discharge(session, by=clinician, at=session.observed_until)
    course.refresh_from_db()
    assert course.status == "completed"
    with pytest.raises(ValidationError, match="no longer active"):
        make_session(by=clinician, course=course)


def test_checklist_is_frozen_when_the_dose_is_recorded(clinician, provider) -> None:
    from patients import services as patient_services
    from patients.models import Consent

    session = prepare(make_session(by=clinician), by=clinician)
    session = dose(session, by=clinician, lot=make_lot(by=provider), provider=provider)
    consent = Consent.objects.get(patient=session.course.patient)
    patient_services.consent_revoke(consent=consent, note="Withdrew next week", by=clinician)
    items = {i.key: i for i in selectors.checklist_items(DosingSession.objects.get(pk=session.pk))}
    assert items["consent"].done and items["pre_vitals"].done


def test_todays_screens_are_those_of_the_dose_day_not_the_scheduled_day(clinician) -> None:
    course = make_course(by=clinician)  # the intake's baseline PHQ-9 and C-SSRS are from today
    session = services.session_plan(
        course=course, scheduled_for=timezone.now() - dt.timedelta(days=3), by=clinician
    )
    # Scheduled three days ago, dosed today: today's screens count.
    items = {i.key: i for i in selectors.checklist_items(session)}
    assert items["phq9"].done and items["cssrs"].done
    # Dosed (back-charted) on the scheduled day: that day had none.
    items = {
        i.key: i
        for i in selectors.checklist_items(session, session.scheduled_for + dt.timedelta(hours=1))
    }
    assert not items["phq9"].done and not items["cssrs"].done


def test_a_note_signed_after_the_fact_keeps_its_date_within_the_session(
    clinician, provider
) -> None:
    start = timezone.now() - dt.timedelta(days=2)
    with time_machine.travel(start, tick=False):
        session = _dosed_session(clinician, provider, route="im")
    discharged = start + dt.timedelta(minutes=95)
    discharge(session, by=clinician, at=discharged)
    services.note_save(session=session, text="Settled; home with partner.", by=clinician)
    with pytest.raises(ValidationError, match="before the patient was discharged"):
        services.session_sign(session=session, by=clinician, at=discharged - dt.timedelta(1))
    with pytest.raises(ValidationError, match="in the future"):
        services.session_sign(
            session=session, by=clinician, at=timezone.now() + dt.timedelta(hours=1)
        )
    signed = services.session_sign(
        session=session, by=clinician, at=discharged + dt.timedelta(minutes=10)
    )
    assert DosingSession.objects.get(pk=session.pk).signed_at == signed.signed_at
    assert signed.signed_at == discharged + dt.timedelta(minutes=10)
    with pytest.raises(ValidationError, match="signed and locked"):
        services.note_save(session=session, text="changed", by=clinician)
