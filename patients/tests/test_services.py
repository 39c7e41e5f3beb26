from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from patients import selectors, services
from patients.models import Intake, Patient, RiskFlag
from patients.tests.factories import (
    PHQ9_MODERATE,
    PatientFactory,
    make_consent_document,
    make_intake,
    make_measure,
)

pytestmark = pytest.mark.django_db


def test_patient_create_assigns_sequential_mrn_and_inquiry_status(front_desk) -> None:
    first = PatientFactory(by=front_desk)
    second = PatientFactory(by=front_desk)

    assert first.mrn == f"KAP-{first.pk:06d}"
    assert Patient.objects.get(pk=second.pk).mrn == f"KAP-{second.pk:06d}"
    assert first.status == Patient.Status.INQUIRY


def test_patient_create_stores_phone_as_e164(front_desk) -> None:
    patient = PatientFactory(by=front_desk, phone="(734) 555-0199")
    assert str(Patient.objects.get(pk=patient.pk).phone) == "+17345550199"


def test_patient_create_refuses_sms_reminders_without_sms_consent(front_desk) -> None:
    with pytest.raises(ValidationError, match="SMS consent"):
        PatientFactory(by=front_desk, remind_by_sms=True)


def test_display_name_prefers_preferred_name_and_age_is_whole_years(front_desk) -> None:
    today = timezone.localdate()
    born = today.replace(year=today.year - 30) + dt.timedelta(days=1)
    patient = PatientFactory(
        by=front_desk, legal_first_name="Robert", preferred_name="Bobby", date_of_birth=born
    )
    assert patient.display_name == f"Bobby {patient.legal_last_name}"
    assert patient.age == 29


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("inquiry", "consultation_scheduled", True),
        ("consultation_scheduled", "intake", True),
        ("consultation_scheduled", "inquiry", True),
        ("intake", "eligible", True),
        ("intake", "not_eligible", True),
        ("eligible", "in_treatment", True),
        ("in_treatment", "maintenance", True),
        ("maintenance", "discharged", True),
        ("discharged", "inquiry", True),
        ("inquiry", "in_treatment", False),
        ("inquiry", "eligible", False),
        ("intake", "in_treatment", False),
        ("not_eligible", "in_treatment", False),
        ("discharged", "in_treatment", False),
    ],
)
def test_patient_set_status_follows_the_path(front_desk, start, target, allowed) -> None:
    patient = PatientFactory(by=front_desk, status=start)
    if allowed:
        services.patient_set_status(patient=patient, status=target, by=front_desk)
        assert Patient.objects.get(pk=patient.pk).status == target
    else:
        with pytest.raises(ValidationError):
            services.patient_set_status(patient=patient, status=target, by=front_desk)
        assert Patient.objects.get(pk=patient.pk).status == start


def test_archive_hides_patient_from_search_but_keeps_the_record(front_desk) -> None:
    patient = PatientFactory(by=front_desk, legal_last_name="Zephyr")
    services.patient_archive(patient=patient, by=front_desk)

    assert not selectors.patients_search(query="zephyr").exists()
    assert selectors.patients_search(query="zephyr", include_archived=True).get() == patient


@pytest.mark.parametrize(
    "query",
    [
        "zep",
        "ZEPHYR",
        "hy",
        "Bea",
        "beatrix zeph",
        "1979-02-03",
        "02/03/1979",
        "5550123",
        "(734) 555-0123",
    ],
)
def test_search_finds_by_partial_name_dob_and_phone(front_desk, query) -> None:
    patient = PatientFactory(
        by=front_desk,
        legal_first_name="Beatrix",
        legal_last_name="Zephyr",
        date_of_birth=dt.date(1979, 2, 3),
        phone="+17345550123",
    )
    # A phone of its own: the factory's sequence of phones comes round to 555-0123 too.
    PatientFactory(
        by=front_desk, legal_first_name="Other", legal_last_name="Person", phone="+15035559876"
    )
    assert list(selectors.patients_search(query=query)) == [patient]


@pytest.mark.parametrize("form", ["{mrn}", "{mrn_lower}", "{pk}", "{pk_padded}"])
def test_search_finds_by_mrn(front_desk, form) -> None:
    patient = PatientFactory(by=front_desk)
    PatientFactory(by=front_desk)
    query = form.format(
        mrn=patient.mrn, mrn_lower=patient.mrn.lower(), pk=patient.pk, pk_padded=f"{patient.pk:06d}"
    )
    assert patient in selectors.patients_search(query=query)


def test_preferred_name_is_searchable(front_desk) -> None:
    patient = PatientFactory(by=front_desk, legal_first_name="Margaret", preferred_name="Peggy")
    assert list(selectors.patients_search(query="pegg")) == [patient]


def test_measure_record_copies_score_and_raises_flag_for_item9(clinician) -> None:
    patient = PatientFactory()
    answers = [0, 0, 0, 0, 0, 0, 0, 0, 1]
    measure = make_measure(patient, "phq9", answers, by=clinician)

    assert (measure.total, measure.severity, measure.flags) == (1, "minimal", ["suicide_risk"])
    flag = RiskFlag.objects.get(patient=patient)
    assert flag.measure == measure and flag.is_open
    assert [f.kind for f in selectors.active_flags(patient)] == ["suicide_risk"]


def test_measure_record_saves_nothing_for_invalid_answers(clinician) -> None:
    patient = PatientFactory()
    with pytest.raises(ValueError, match="item 2"):
        make_measure(patient, "gad7", [0, 9, 0, 0, 0, 0, 0], by=clinician)
    assert not patient.measures.exists()


def test_latest_measure_respects_since(clinician) -> None:
    patient = PatientFactory()
    old = make_measure(
        patient, "phq9", PHQ9_MODERATE, by=clinician, taken_at=timezone.now() - dt.timedelta(days=2)
    )
    assert selectors.latest_measure(patient, "phq9") == old
    assert selectors.latest_measure(patient, "phq9", since=timezone.now().replace(hour=0)) is None


def test_acknowledging_a_flag_needs_a_note_and_clears_it(clinician) -> None:
    patient = PatientFactory()
    make_measure(
        patient,
        "cssrs",
        {"q1": True, "q2": True, "q3": True, "q4": False, "q5": False, "q6": False},
        by=clinician,
    )
    flag = RiskFlag.objects.get(patient=patient)
    with pytest.raises(ValidationError):
        services.risk_flag_acknowledge(flag=flag, note="  ", by=clinician)
    services.risk_flag_acknowledge(flag=flag, note="Safety plan reviewed", by=clinician)
    assert selectors.active_flags(patient) == []


def test_intake_start_moves_patient_to_intake_and_reuses_the_draft(clinician) -> None:
    patient = PatientFactory(status="consultation_scheduled")
    first = services.intake_start(patient=patient, by=clinician)
    assert services.intake_start(patient=patient, by=clinician) == first
    assert Patient.objects.get(pk=patient.pk).status == "intake"


def test_intake_sign_lists_what_is_missing(clinician) -> None:
    intake = make_intake(PatientFactory(), by=clinician, complete=False)
    with pytest.raises(ValidationError) as error:
        services.intake_sign(intake=intake, by=clinician)
    message = str(error.value)
    assert "Psychiatric diagnoses" in message
    assert "Contraindication screen (14 items unanswered)" in message
    assert "Baseline PHQ-9" in message


def test_signed_intake_refuses_changes_and_takes_addenda(clinician) -> None:
    intake = make_intake(PatientFactory(), by=clinician, sign=True)
    assert intake.status == Intake.Status.SIGNED and intake.bmi is not None

    with pytest.raises(ValidationError, match="locked"):
        services.intake_update(intake=intake, by=clinician, diagnoses="changed")
    with pytest.raises(ValidationError, match="locked"):
        services.measure_record(
            patient=intake.patient, code="gad7", answers=[0] * 7, by=clinician, intake=intake
        )
    addendum = services.intake_add_addendum(
        intake=intake, text="Also sees a dietitian.", by=clinician
    )
    assert addendum.author == clinician
    assert Intake.objects.get(pk=intake.pk).diagnoses == "Major depressive disorder, recurrent"


def test_bmi_is_weight_over_height_squared() -> None:
    intake = Intake(weight_kg=70, height_cm=175)
    assert str(intake.bmi) == "22.9"


@pytest.mark.parametrize(
    ("screen", "override", "outcome"),
    [
        ({}, "", "eligible"),
        ({"psychosis_first_degree_relative": "yes"}, "", "eligible"),
        ({"maoi": "yes"}, "", "eligible"),
        ({"pregnancy": "unknown"}, "", "eligible"),
        ({"psychotic_disorder": "yes"}, "", "refused"),
        ({"uncontrolled_hypertension": "yes"}, "", "refused"),
        ({"pregnancy": "yes"}, "Not pregnant; test negative today", "eligible"),
    ],
)
def test_eligible_is_refused_for_an_absolute_contraindication_without_override(
    clinician, provider, screen, override, outcome
) -> None:
    patient = PatientFactory(status="intake")
    make_intake(patient, by=clinician, sign=True, screen=screen)
    if outcome == "refused":
        with pytest.raises(ValidationError, match="override reason"):
            services.eligibility_sign(
                patient=patient,
                decision="eligible",
                note="ok",
                by=provider,
                override_reason=override,
            )
        assert not selectors.eligibility_is_signed(patient)
    else:
        decision = services.eligibility_sign(
            patient=patient, decision="eligible", note="ok", by=provider, override_reason=override
        )
        assert selectors.eligibility_is_signed(patient)
        assert decision.is_override is bool(override)
        assert Patient.objects.get(pk=patient.pk).status == "eligible"


def test_an_intake_signed_after_eligibility_needs_eligibility_signed_again(
    clinician, provider
) -> None:
    patient = PatientFactory(status="intake")
    make_intake(patient, by=clinician, sign=True)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        services.eligibility_sign(patient=patient, decision="eligible", note="ok", by=provider)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        # A later intake found an absolute contraindication the decision never weighed.
        make_intake(patient, by=clinician, sign=True, screen={"pregnancy": "yes"})
        assert not selectors.eligibility_is_signed(patient)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=15)):
        services.eligibility_sign(
            patient=patient,
            decision="eligible",
            note="reviewed",
            by=provider,
            override_reason="Negative test today; the intake answer was an error",
        )
        assert selectors.eligibility_is_signed(patient)


def test_eligible_needs_a_signed_intake(clinician, provider) -> None:
    patient = PatientFactory(status="intake")
    make_intake(patient, by=clinician, sign=False)
    with pytest.raises(ValidationError, match="signed intake"):
        services.eligibility_sign(patient=patient, decision="eligible", note="ok", by=provider)


def test_latest_decision_wins_for_eligibility(clinician, provider) -> None:
    patient = PatientFactory(status="intake")
    make_intake(patient, by=clinician, sign=True)
    services.eligibility_sign(patient=patient, decision="eligible", note="ok", by=provider)
    services.eligibility_sign(
        patient=patient, decision="not_eligible", note="new info", by=provider
    )
    assert not selectors.eligibility_is_signed(patient)
    assert Patient.objects.get(pk=patient.pk).status == "not_eligible"


def test_consent_is_current_until_revoked_or_superseded(clinician) -> None:
    patient = PatientFactory(legal_first_name="Ana", legal_last_name="Lopez")
    document = make_consent_document("1.0")
    with pytest.raises(ValidationError, match="legal name"):
        services.consent_sign(
            patient=patient,
            document=document,
            typed_name="Someone Else",
            sms_consent=False,
            by=clinician,
        )
    consent = services.consent_sign(
        patient=patient,
        document=document,
        typed_name=" ana  lopez",
        sms_consent=True,
        by=clinician,
        ip_address="10.0.0.5",
    )
    patient.refresh_from_db()
    assert selectors.consent_is_current(patient) and patient.sms_consent
    assert (consent.typed_name, consent.witness, consent.ip_address) == (
        "ana lopez",
        clinician,
        "10.0.0.5",
    )

    make_consent_document("2.0", published_at=timezone.now())
    assert not selectors.consent_is_current(patient)


def test_revoking_consent_ends_currency_and_sms(clinician) -> None:
    patient = PatientFactory(legal_first_name="Ana", legal_last_name="Lopez")
    document = make_consent_document()
    consent = services.consent_sign(
        patient=patient, document=document, typed_name="Ana Lopez", sms_consent=True, by=clinician
    )
    services.patient_update(patient=patient, by=clinician, remind_by_sms=True)
    services.consent_revoke(consent=consent, note="Patient withdrew by phone", by=clinician)
    patient.refresh_from_db()
    assert not selectors.consent_is_current(patient)
    assert not patient.sms_consent and not patient.remind_by_sms


def test_old_version_cannot_be_signed(clinician) -> None:
    patient = PatientFactory(legal_first_name="Ana", legal_last_name="Lopez")
    old = make_consent_document("1.0", published_at=timezone.now() - dt.timedelta(days=9))
    make_consent_document("2.0")
    with pytest.raises(ValidationError, match="current version"):
        services.consent_sign(
            patient=patient, document=old, typed_name="Ana Lopez", sms_consent=False, by=clinician
        )


def test_duplicates_match_name_and_dob_or_phone_or_email(front_desk) -> None:
    patient = PatientFactory(
        by=front_desk,
        legal_first_name="Ana",
        legal_last_name="Lopez",
        date_of_birth=dt.date(1990, 1, 1),
        phone="+17345550001",
        email="ana@example.org",
    )

    def dupes(**kw):
        base = {
            "legal_first_name": "X",
            "legal_last_name": "Y",
            "date_of_birth": dt.date(2000, 1, 1),
        }
        return list(selectors.possible_duplicates(**{**base, **kw}))

    assert dupes(
        legal_first_name="ana", legal_last_name="LOPEZ", date_of_birth=dt.date(1990, 1, 1)
    ) == [patient]
    assert dupes(phone="+17345550001") == [patient]
    assert dupes(email="ANA@example.org") == [patient]
    assert dupes(legal_first_name="Ana", legal_last_name="Lopez") == []


@pytest.mark.parametrize(
    ("code", "answers", "label"),
    [
        ("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 2], "10 · moderate"),
        ("cssrs", {"q1": False, "q2": False, "q6": False}, "no risk"),
        ("cssrs", {"q1": True, "q2": False, "q6": True, "q6_recent": True}, "high risk"),
        ("cadss6", [1, 1, 1, 1, 1, 4], "9"),
    ],
)
def test_result_label_reads_naturally(clinician, code, answers, label) -> None:
    assert make_measure(PatientFactory(), code, answers, by=clinician).result_label == label


def test_a_screen_answer_taken_back_on_a_draft_is_kept_blank_not_deleted(clinician) -> None:
    intake = make_intake(PatientFactory(), by=clinician, complete=True)
    services.intake_update(intake=intake, by=clinician, screen={"pregnancy": ""})
    row = intake.screen.get(item="pregnancy")
    assert row.answer == ""
    assert row.history.count() == 2  # created, then taken back
    assert "Contraindication screen (1 item unanswered)" in selectors.intake_missing(intake)


def test_a_path_entered_after_the_fact_keeps_its_dates(front_desk, clinician, provider) -> None:
    weeks_ago = timezone.now() - dt.timedelta(weeks=6)
    patient = PatientFactory(
        by=front_desk, legal_first_name="Ana", legal_last_name="Lopez", at=weeks_ago
    )
    intake = services.intake_start(patient=patient, by=clinician, at=weeks_ago)
    intake = make_intake(patient, by=clinician)  # the same draft, completed
    signed_at = weeks_ago + dt.timedelta(hours=2)
    intake = services.intake_sign(intake=intake, by=clinician, at=signed_at)
    decision = services.eligibility_sign(
        patient=patient,
        decision="eligible",
        note="ok",
        by=provider,
        at=weeks_ago + dt.timedelta(days=3),
    )
    consent = services.consent_sign(
        patient=patient,
        document=make_consent_document(published_at=weeks_ago - dt.timedelta(days=30)),
        typed_name="Ana Lopez",
        sms_consent=False,
        by=clinician,
        at=weeks_ago + dt.timedelta(days=4),
    )

    assert Patient.objects.get(pk=patient.pk).created_at == weeks_ago
    stored = Intake.objects.get(pk=intake.pk)
    assert (stored.created_at, stored.signed_at) == (weeks_ago, signed_at)
    assert selectors.eligibility_latest(patient).signed_at == decision.signed_at
    assert decision.signed_at == weeks_ago + dt.timedelta(days=3)
    assert selectors.consent_current(patient).signed_at == weeks_ago + dt.timedelta(days=4)
    assert consent.signed_at == weeks_ago + dt.timedelta(days=4)


def test_a_date_after_the_fact_is_refused_in_the_future_or_out_of_order(
    clinician, provider
) -> None:
    week_ago = timezone.now() - dt.timedelta(weeks=1)
    patient = PatientFactory(legal_first_name="Ana", legal_last_name="Lopez")
    with pytest.raises(ValidationError, match="in the future"):
        PatientFactory(at=timezone.now() + dt.timedelta(hours=1))
    intake = services.intake_start(patient=patient, by=clinician, at=week_ago)
    intake = make_intake(patient, by=clinician)
    with pytest.raises(ValidationError, match="before it was started"):
        services.intake_sign(intake=intake, by=clinician, at=week_ago - dt.timedelta(hours=1))
    with pytest.raises(ValidationError, match="in the future"):
        services.intake_sign(intake=intake, by=clinician, at=timezone.now() + dt.timedelta(1))
    assert Intake.objects.get(pk=intake.pk).status == Intake.Status.DRAFT
    services.intake_sign(intake=intake, by=clinician, at=week_ago + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="before its intake was signed"):
        services.eligibility_sign(
            patient=patient, decision="eligible", note="ok", by=provider, at=week_ago
        )
    document = make_consent_document(published_at=week_ago)
    with pytest.raises(ValidationError, match="not published yet"):
        services.consent_sign(
            patient=patient,
            document=document,
            typed_name="Ana Lopez",
            sms_consent=False,
            by=clinician,
            at=week_ago - dt.timedelta(days=1),
        )
    assert not selectors.eligibility_is_signed(patient)
    assert not selectors.consent_is_current(patient)
