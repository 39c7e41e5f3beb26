from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from conftest import client_for
from kap_clinic.models import AccessEvent
from patients import contraindications, services
from patients.models import Consent, EligibilityDecision, Intake, MeasureResult, Patient, RiskFlag
from patients.tests.factories import (
    PatientFactory,
    make_consent_document,
    make_intake,
    make_measure,
)

pytestmark = pytest.mark.django_db

CLINICAL_PERSONAS = ("clinician", "provider")
NON_CLINICAL = ("front_desk", "clinic_admin", "outsider")


@pytest.fixture
def record(clinician, provider):
    """A patient with a complete clinical record: signed intake with a contraindication,
    measures with a suicide-risk flag, eligibility and consent."""
    patient = PatientFactory(status="intake", primary_clinician=clinician)
    intake = make_intake(
        patient,
        by=clinician,
        sign=True,
        screen={"psychosis_first_degree_relative": "yes", "uncontrolled_hypertension": "yes"},
    )
    measure = make_measure(patient, "phq9", [3, 3, 3, 3, 3, 3, 3, 3, 2], by=clinician)
    services.eligibility_sign(
        patient=patient,
        decision="eligible",
        note="ok",
        override_reason="BP now controlled on amlodipine",
        by=provider,
    )
    document = make_consent_document()
    consent = services.consent_sign(
        patient=patient,
        document=document,
        typed_name=patient.legal_name,
        sms_consent=True,
        by=clinician,
    )
    return {
        "patient": patient,
        "intake": intake,
        "measure": measure,
        "flag": RiskFlag.objects.get(measure=measure),
        "consent": consent,
    }


def clinical_urls(record) -> list[tuple[str, str]]:
    """(method, url) of every intake, measure, eligibility and consent view."""
    p = record["patient"].pk
    i = record["intake"].pk
    return [
        ("get", reverse("patients:chart", args=[p])),
        ("post", reverse("patients:status", args=[p])),
        ("post", reverse("patients:intake_start", args=[p])),
        ("get", reverse("patients:intake_detail", args=[i])),
        ("get", reverse("patients:intake_edit", args=[i])),
        ("post", reverse("patients:intake_sign", args=[i])),
        ("post", reverse("patients:intake_addendum", args=[i])),
        ("get", reverse("patients:measure_list", args=[p])),
        ("get", reverse("patients:measure_create", args=[p, "phq9"])),
        ("post", reverse("patients:measure_create", args=[p, "phq9"])),
        ("get", reverse("patients:measure_detail", args=[record["measure"].pk])),
        ("get", reverse("patients:flag_acknowledge", args=[record["flag"].pk])),
        ("post", reverse("patients:flag_acknowledge", args=[record["flag"].pk])),
        ("get", reverse("patients:eligibility_create", args=[p])),
        ("post", reverse("patients:eligibility_create", args=[p])),
        ("get", reverse("patients:consent_create", args=[p])),
        ("post", reverse("patients:consent_create", args=[p])),
        ("get", reverse("patients:consent_detail", args=[record["consent"].pk])),
        ("post", reverse("patients:consent_detail", args=[record["consent"].pk])),
        ("post", reverse("patients:sms_withdraw", args=[p])),
    ]


@pytest.mark.parametrize("persona", NON_CLINICAL)
def test_non_clinical_roles_get_403_on_every_clinical_view(personas, record, persona) -> None:
    client = client_for(personas[persona])
    for method, url in clinical_urls(record):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (persona, method, url)
    # Nothing changed underneath.
    assert Intake.objects.filter(patient=record["patient"]).count() == 1
    assert RiskFlag.objects.get(pk=record["flag"].pk).is_open


def test_refused_chart_access_is_audited(as_front_desk, front_desk, record) -> None:
    as_front_desk.get(reverse("patients:chart", args=[record["patient"].pk]))
    event = AccessEvent.objects.get(user=front_desk)
    assert (event.patient_id, event.allowed, event.what) == (record["patient"].pk, False, "chart")


@pytest.mark.parametrize("persona", CLINICAL_PERSONAS)
def test_clinical_roles_open_every_clinical_page(personas, record, persona) -> None:
    client = client_for(personas[persona])
    for method, url in clinical_urls(record):
        if method != "get" or "eligibility" in url:
            continue
        assert client.get(url).status_code in (200, 302), url


def test_clinician_cannot_sign_eligibility(as_clinician, record) -> None:
    url = reverse("patients:eligibility_create", args=[record["patient"].pk])
    before = EligibilityDecision.objects.count()
    assert as_clinician.get(url).status_code == 403
    response = as_clinician.post(url, {"decision": "not_eligible", "note": "no"})
    assert response.status_code == 403
    assert EligibilityDecision.objects.count() == before


FRONT_DESK_FORBIDDEN_WORDS = (
    "depressive",  # diagnosis
    "Penicillin",  # allergies (intake)
    "Bupropion",  # medications
    "hypertension",  # contraindication
    "Psychotic",
    "PHQ",
    "severe",  # severity
    "Suicide",
    "suicide",
    "override",
    "amlodipine",
)


@pytest.mark.parametrize("persona", ["front_desk"])
def test_front_desk_pages_show_no_clinical_content(personas, record, persona) -> None:
    client = client_for(personas[persona])
    p = record["patient"]
    pages = [
        reverse("home"),
        reverse("patients:list"),
        reverse("patients:list") + f"?q={p.legal_last_name}",
        reverse("patients:detail", args=[p.pk]),
        reverse("patients:update", args=[p.pk]),
        reverse("patients:create"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for word in FRONT_DESK_FORBIDDEN_WORDS:
            assert word not in page, (url, word)
        assert reverse("patients:chart", args=[p.pk]) not in page


# --- registry ------------------------------------------------------------------------------

NEW_PATIENT = {
    "legal_first_name": "Beatrix",
    "legal_last_name": "Zephyr",
    "preferred_name": "Bea",
    "date_of_birth": "1979-02-03",
    "sex_assigned_at_birth": "female",
    "phone": "(734) 555-0123",
    "email": "bea@example.org",
    "remind_by_email": "on",
}


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "provider"])
def test_front_office_registers_a_patient_and_finds_them(personas, persona) -> None:
    client = client_for(personas[persona])
    response = client.post(reverse("patients:create"), NEW_PATIENT)
    patient = Patient.objects.get(legal_last_name="Zephyr")
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert str(patient.phone) == "+17345550123"
    for query in ("zeph", "BEA", patient.mrn, "1979-02-03", "02/03/1979", "555-0123"):
        page = client.get(reverse("patients:list"), {"q": query}).content.decode()
        assert patient.mrn in page, query


@pytest.mark.parametrize("persona", ["clinic_admin", "outsider"])
def test_registry_is_refused_to_admin_and_outsider(personas, persona) -> None:
    client = client_for(personas[persona])
    patient = PatientFactory()
    for url in (
        reverse("patients:list"),
        reverse("patients:create"),
        reverse("patients:detail", args=[patient.pk]),
        reverse("patients:update", args=[patient.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("patients:archive", args=[patient.pk])).status_code == 403
    assert client.post(reverse("patients:create"), NEW_PATIENT).status_code == 403


def test_invalid_registration_keeps_the_input(as_front_desk) -> None:
    data = {**NEW_PATIENT, "phone": "12", "date_of_birth": ""}
    response = as_front_desk.post(reverse("patients:create"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid phone number" in page
    assert 'value="Beatrix"' in page
    assert not Patient.objects.exists()


def test_likely_duplicate_is_shown_with_a_link_before_saving(as_front_desk) -> None:
    existing = PatientFactory(
        legal_first_name="Beatrix", legal_last_name="Zephyr", date_of_birth=dt.date(1979, 2, 3)
    )
    data = {**NEW_PATIENT, "phone": "", "email": ""}
    response = as_front_desk.post(reverse("patients:create"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("patients:detail", args=[existing.pk]) in page
    assert 'data-testid="duplicates"' in page
    assert Patient.objects.count() == 1

    response = as_front_desk.post(
        reverse("patients:create"), {**data, "confirm_not_duplicate": "on"}
    )
    assert response.status_code == 302
    assert Patient.objects.count() == 2


@pytest.mark.parametrize("field", ["phone", "email"])
def test_same_phone_or_email_is_a_likely_duplicate(as_front_desk, field) -> None:
    PatientFactory(phone="+17345550123", email="bea@example.org")
    data = {**NEW_PATIENT, "legal_first_name": "Other", "legal_last_name": "Name"}
    data["email" if field == "phone" else "phone"] = ""
    response = as_front_desk.post(reverse("patients:create"), data)
    assert 'data-testid="duplicates"' in response.content.decode()
    assert Patient.objects.count() == 1


def test_front_desk_edits_contact_details(as_front_desk) -> None:
    patient = PatientFactory()
    data = {
        **NEW_PATIENT,
        "legal_first_name": patient.legal_first_name,
        "legal_last_name": patient.legal_last_name,
        "city": "Ypsilanti",
    }
    response = as_front_desk.post(reverse("patients:update", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.city == "Ypsilanti"


def test_sms_reminders_need_sms_consent_in_the_form(as_front_desk) -> None:
    patient = PatientFactory()
    data = {
        **NEW_PATIENT,
        "legal_first_name": patient.legal_first_name,
        "legal_last_name": patient.legal_last_name,
        "remind_by_sms": "on",
    }
    response = as_front_desk.post(reverse("patients:update", args=[patient.pk]), data)
    assert response.status_code == 200
    assert "SMS consent" in response.content.decode()
    assert not Patient.objects.get(pk=patient.pk).remind_by_sms


def test_archive_and_restore(as_front_desk) -> None:
    patient = PatientFactory(legal_last_name="Zephyr")
    as_front_desk.post(reverse("patients:archive", args=[patient.pk]))
    assert Patient.objects.get(pk=patient.pk).archived_at is not None
    assert (
        patient.mrn
        not in as_front_desk.get(reverse("patients:list"), {"q": "zeph"}).content.decode()
    )
    page = as_front_desk.get(reverse("patients:list"), {"q": "zeph", "archived": "on"})
    assert patient.mrn in page.content.decode()
    as_front_desk.post(reverse("patients:archive", args=[patient.pk]), {"restore": "1"})
    assert Patient.objects.get(pk=patient.pk).archived_at is None


def test_patient_page_view_is_audited(as_front_desk, front_desk) -> None:
    patient = PatientFactory()
    as_front_desk.get(reverse("patients:detail", args=[patient.pk]))
    event = AccessEvent.objects.get()
    assert (event.user, event.patient_id, event.allowed) == (front_desk, patient.pk, True)


def test_missing_patient_is_404(as_front_desk, as_clinician) -> None:
    assert as_front_desk.get(reverse("patients:detail", args=[999999])).status_code == 404
    assert as_clinician.get(reverse("patients:chart", args=[999999])).status_code == 404


@pytest.mark.parametrize("count", [5, 50])
def test_patient_list_query_count_does_not_grow(
    as_front_desk, clinician, django_assert_max_num_queries, count
) -> None:
    for _ in range(count):
        PatientFactory(primary_clinician=clinician)
    # session, user, roles, count, one page (clinicians joined), and the idle-timeout
    # middleware's session save (savepoint, update, release): the same at 5 and 50.
    with django_assert_max_num_queries(8):
        response = as_front_desk.get(reverse("patients:list"), {"sort": "-dob"})
    assert response.status_code == 200


def test_patient_list_sorts_and_paginates(as_front_desk) -> None:
    for n in range(30):
        PatientFactory(legal_last_name=f"Sorted{n:02d}")
    first = as_front_desk.get(reverse("patients:list"), {"sort": "-name"}).content.decode()
    assert "Sorted29" in first and "Sorted00" not in first
    assert "Page 1 of 2" in first
    second = as_front_desk.get(reverse("patients:list"), {"sort": "-name", "page": 2})
    assert "Sorted00" in second.content.decode()


# --- chart ---------------------------------------------------------------------------------


def test_chart_shows_header_flags_override_and_sections(as_clinician, record) -> None:
    page = as_clinician.get(reverse("patients:chart", args=[record["patient"].pk]))
    html = page.content.decode()
    assert 'data-testid="suicide-risk-banner"' in html
    assert "Penicillin" in html  # allergies
    assert "Uncontrolled hypertension" in html
    assert "Psychotic disorder in a first-degree relative (relative contraindication)" in html
    assert "BP now controlled on amlodipine" in html  # override shows
    assert "26 · severe" in html
    for key in ("intake", "eligibility", "measures", "consent"):
        assert f'data-testid="chart-section-{key}"' in html


def test_chart_view_is_audited(as_clinician, clinician, record) -> None:
    as_clinician.get(reverse("patients:chart", args=[record["patient"].pk]))
    assert AccessEvent.objects.filter(user=clinician, what="chart", allowed=True).count() == 1


def test_chart_status_form_moves_along_the_path(as_clinician, record) -> None:
    patient = record["patient"]
    url = reverse("patients:status", args=[patient.pk])
    as_clinician.post(url, {"status": "in_treatment"})
    assert Patient.objects.get(pk=patient.pk).status == "in_treatment"
    # "eligible" only comes with a signed decision.
    as_clinician.post(url, {"status": "eligible"})
    assert Patient.objects.get(pk=patient.pk).status == "in_treatment"


# --- intake ----------------------------------------------------------------------------------


def intake_post(**overrides) -> dict[str, str]:
    data = {
        "diagnoses": "Major depressive disorder",
        "prior_treatments": "Sertraline",
        "failed_antidepressant_trials": "2",
        "hospitalisations": "None",
        "substance_use": "None",
        "medical_history": "None",
        "medications": "None",
        "allergies": "None known",
        "bp_systolic": "120",
        "bp_diastolic": "80",
        "heart_rate": "70",
        "spo2": "98",
        "weight_kg": "80",
        "height_cm": "180",
    }
    for item in contraindications.CONTRAINDICATIONS:
        data[f"screen_{item.code}"] = "no"
    data.update(overrides)
    return data


def phq9_post(values: list[int]) -> dict[str, str]:
    return {f"item_{n}": str(v) for n, v in enumerate(values, start=1)}


def test_clinician_completes_and_signs_an_intake_in_the_browser(as_clinician, clinician) -> None:
    patient = PatientFactory(status="consultation_scheduled", primary_clinician=clinician)
    response = as_clinician.post(reverse("patients:intake_start", args=[patient.pk]))
    intake = Intake.objects.get(patient=patient)
    assert response["Location"] == reverse("patients:intake_edit", args=[intake.pk])
    assert Patient.objects.get(pk=patient.pk).status == "intake"

    response = as_clinician.post(
        reverse("patients:intake_edit", args=[intake.pk]),
        intake_post(screen_psychosis_first_degree_relative="yes"),
    )
    assert response.status_code == 302
    intake.refresh_from_db()
    assert str(intake.bmi) == "24.7"
    assert intake.screen.get(item="psychosis_first_degree_relative").answer == "yes"

    posts = {
        "phq9": phq9_post([2, 2, 2, 1, 1, 1, 1, 1, 0]),
        "gad7": {f"item_{n}": "2" for n in range(1, 8)},
        "pcl5": {f"item_{n}": "2" for n in range(1, 21)},
        "cssrs": {"q1": "no", "q2": "no", "q6": "no"},
    }
    for code, data in posts.items():
        url = reverse("patients:measure_create", args=[patient.pk, code])
        response = as_clinician.post(url, {**data, "intake": intake.pk})
        assert response.status_code == 302, (code, response.content.decode()[:2000])
    assert intake.measures.count() == 4

    as_clinician.post(reverse("patients:intake_sign", args=[intake.pk]))
    intake.refresh_from_db()
    assert intake.is_signed and intake.signed_by == clinician

    chart = as_clinician.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert "11 · moderate" in chart  # PHQ-9
    assert "14 · moderate" in chart  # GAD-7
    assert "40 · probable PTSD" in chart  # PCL-5
    assert 'data-testid="latest-cssrs">no risk<' in chart


def test_intake_sign_refuses_an_incomplete_draft(as_clinician, clinician) -> None:
    intake = make_intake(PatientFactory(), by=clinician, complete=False)
    as_clinician.post(reverse("patients:intake_sign", args=[intake.pk]))
    assert not Intake.objects.get(pk=intake.pk).is_signed
    page = as_clinician.get(reverse("patients:intake_detail", args=[intake.pk])).content.decode()
    assert "Baseline PHQ-9" in page


def test_impossible_vitals_are_refused_and_input_kept(as_clinician, clinician) -> None:
    intake = make_intake(PatientFactory(), by=clinician, complete=False)
    response = as_clinician.post(
        reverse("patients:intake_edit", args=[intake.pk]),
        intake_post(bp_systolic="400", diagnoses="Kept text"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "must be between 50 and 260" in page
    assert "Kept text" in page
    assert Intake.objects.get(pk=intake.pk).diagnoses == ""


def test_signed_intake_cannot_be_changed_through_view_or_crafted_post(
    as_clinician, clinician, record
) -> None:
    intake = record["intake"]
    url = reverse("patients:intake_edit", args=[intake.pk])
    assert as_clinician.get(url)["Location"] == reverse("patients:intake_detail", args=[intake.pk])
    response = as_clinician.post(url, intake_post(diagnoses="Tampered"))
    assert response.status_code == 302
    response = as_clinician.post(
        reverse("patients:measure_create", args=[record["patient"].pk, "gad7"]),
        {**{f"item_{n}": "0" for n in range(1, 8)}, "intake": intake.pk},
    )
    intake.refresh_from_db()
    assert intake.diagnoses == "Major depressive disorder, recurrent"
    assert intake.measures.filter(code="gad7").count() == 1  # the new GAD-7 is not attached
    assert as_clinician.post(reverse("patients:intake_sign", args=[intake.pk])).status_code == 302
    assert Intake.objects.get(pk=intake.pk).signed_by == clinician


def test_addenda_on_a_signed_intake(as_clinician, clinician, record) -> None:
    intake = record["intake"]
    url = reverse("patients:intake_addendum", args=[intake.pk])
    as_clinician.post(url, {"text": "Patient reports new medication: lamotrigine."})
    addendum = intake.addenda.get()
    assert addendum.author == clinician
    page = as_clinician.get(reverse("patients:intake_detail", args=[intake.pk])).content.decode()
    assert "new medication: lamotrigine" in page
    as_clinician.post(url, {"text": "   "})
    assert intake.addenda.count() == 1


# --- measures and the suicide-risk flag -------------------------------------------------------


def test_phq9_item9_raises_banner_and_home_item_until_acknowledged(as_clinician, clinician) -> None:
    patient = PatientFactory(primary_clinician=clinician)
    response = as_clinician.post(
        reverse("patients:measure_create", args=[patient.pk, "phq9"]),
        phq9_post([1, 1, 1, 1, 1, 1, 1, 1, 1]),
    )
    measure = MeasureResult.objects.get(patient=patient)
    assert response["Location"] == reverse("patients:measure_detail", args=[measure.pk])
    assert (measure.total, measure.severity) == (9, "mild")
    chart_url = reverse("patients:chart", args=[patient.pk])
    assert 'data-testid="suicide-risk-banner"' in as_clinician.get(chart_url).content.decode()
    home = as_clinician.get(reverse("home")).content.decode()
    assert 'data-testid="home-risk-flags"' in home and patient.mrn in home

    flag = RiskFlag.objects.get(patient=patient)
    ack_url = reverse("patients:flag_acknowledge", args=[flag.pk])
    response = as_clinician.post(ack_url, {"note": ""})
    assert response.status_code == 200 and RiskFlag.objects.get(pk=flag.pk).is_open
    as_clinician.post(ack_url, {"note": "Safety plan reviewed; crisis line given."})
    flag.refresh_from_db()
    assert not flag.is_open and flag.acknowledged_by == clinician
    assert 'data-testid="suicide-risk-banner"' not in as_clinician.get(chart_url).content.decode()
    assert 'data-testid="home-risk-flags"' not in as_clinician.get(reverse("home")).content.decode()


def test_home_risk_item_is_for_the_primary_clinician(clinician, provider) -> None:
    other = PatientFactory(primary_clinician=provider)
    make_measure(other, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 2], by=provider)
    assert other.mrn not in client_for(clinician).get(reverse("home")).content.decode()
    assert other.mrn in client_for(provider).get(reverse("home")).content.decode()


def test_front_desk_home_has_no_risk_items(as_front_desk, clinician) -> None:
    patient = PatientFactory()
    make_measure(patient, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 2], by=clinician)
    assert (
        'data-testid="home-risk-flags"' not in as_front_desk.get(reverse("home")).content.decode()
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"q1": "no", "q2": "no", "q3": "yes", "q6": "no"}, "asked only when question 2 is yes"),
        ({"q1": "no", "q2": "no", "q6": "no", "q6_recent": "yes"}, "question 6"),
        ({"q1": "yes", "q2": "yes", "q6": "no"}, "must be answered because question 2 is yes"),
    ],
)
def test_invalid_cssrs_shows_the_scoring_message_and_saves_nothing(
    as_clinician, data, message
) -> None:
    patient = PatientFactory()
    response = as_clinician.post(
        reverse("patients:measure_create", args=[patient.pk, "cssrs"]), data
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not MeasureResult.objects.exists()


def test_unanswered_item_is_refused_and_answers_kept(as_clinician) -> None:
    patient = PatientFactory()
    data = phq9_post([1, 2, 3, 0, 1, 2, 3, 0, 0])
    del data["item_5"]
    response = as_clinician.post(
        reverse("patients:measure_create", args=[patient.pk, "phq9"]), data
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Answer this item." in page
    assert 'value="3" class="btn-check" id="id_item_3_3" required checked' in page
    assert not MeasureResult.objects.exists()


def test_a_typed_total_is_ignored(as_clinician) -> None:
    patient = PatientFactory()
    data = {**phq9_post([0] * 9), "total": "27", "severity": "severe"}
    as_clinician.post(reverse("patients:measure_create", args=[patient.pk, "phq9"]), data)
    assert MeasureResult.objects.get().total == 0


def test_cadss6_is_entered_after_dosing(as_clinician) -> None:
    patient = PatientFactory()
    data = {f"item_{n}": "2" for n in range(1, 7)}
    as_clinician.post(reverse("patients:measure_create", args=[patient.pk, "cadss6"]), data)
    assert MeasureResult.objects.get().total == 12


def test_unknown_measure_is_404(as_clinician) -> None:
    patient = PatientFactory()
    url = reverse("patients:measure_create", args=[patient.pk, "bdi"])
    assert as_clinician.get(url).status_code == 404


# --- eligibility ------------------------------------------------------------------------------


def test_provider_cannot_mark_eligible_with_absolute_yes_without_override(
    as_provider, clinician
) -> None:
    patient = PatientFactory(status="intake")
    make_intake(patient, by=clinician, sign=True, screen={"pregnancy": "yes"})
    url = reverse("patients:eligibility_create", args=[patient.pk])
    page = as_provider.get(url).content.decode()
    assert 'data-testid="absolute-contraindications"' in page

    response = as_provider.post(url, {"decision": "eligible", "note": "Looks fine"})
    assert response.status_code == 200
    assert "needs an override reason" in response.content.decode()
    assert "Looks fine" in response.content.decode()
    assert not EligibilityDecision.objects.exists()

    response = as_provider.post(
        url,
        {"decision": "eligible", "note": "Looks fine", "override_reason": "Negative test today"},
    )
    assert response.status_code == 302
    decision = EligibilityDecision.objects.get()
    assert decision.override_reason == "Negative test today"
    assert decision.overridden_items == ["pregnancy"]
    chart = as_provider.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert 'data-testid="eligibility-override"' in chart


def test_provider_signs_not_eligible(as_provider, provider, clinician) -> None:
    patient = PatientFactory(status="intake")
    make_intake(patient, by=clinician, sign=True)
    as_provider.post(
        reverse("patients:eligibility_create", args=[patient.pk]),
        {"decision": "not_eligible", "note": "Psychosis history"},
    )
    decision = EligibilityDecision.objects.get()
    assert decision.signed_by == provider
    assert Patient.objects.get(pk=patient.pk).status == "not_eligible"


# --- consent ---------------------------------------------------------------------------------


def test_consent_signature_records_witness_ip_and_sms(as_clinician, clinician) -> None:
    patient = PatientFactory(legal_first_name="Ana", legal_last_name="Lopez")
    make_consent_document("3.1")
    url = reverse("patients:consent_create", args=[patient.pk])
    assert "3.1" in as_clinician.get(url).content.decode()

    response = as_clinician.post(url, {"typed_name": "Ana L", "sms_consent": "on"})
    assert response.status_code == 200 and "legal name" in response.content.decode()

    response = as_clinician.post(
        url, {"typed_name": "Ana Lopez", "sms_consent": "on"}, REMOTE_ADDR="192.0.2.7"
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert (consent.witness, consent.ip_address, consent.sms_consent) == (
        clinician,
        "192.0.2.7",
        True,
    )
    assert Patient.objects.get(pk=patient.pk).sms_consent


def test_consent_revocation_through_the_view(as_clinician, record) -> None:
    consent = record["consent"]
    url = reverse("patients:consent_detail", args=[consent.pk])
    as_clinician.post(url, {"note": ""})
    assert Consent.objects.get(pk=consent.pk).revoked_at is None
    as_clinician.post(url, {"note": "Patient withdrew consent by phone"})
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    chart = as_clinician.get(reverse("patients:chart", args=[record["patient"].pk]))
    assert 'data-testid="consent-missing"' in chart.content.decode()


def test_sms_consent_withdrawal(as_clinician, record) -> None:
    patient = record["patient"]
    as_clinician.post(reverse("patients:sms_withdraw", args=[patient.pk]))
    patient.refresh_from_db()
    assert not patient.sms_consent


def test_entering_a_baseline_measure_saves_the_draft_first(as_clinician, clinician) -> None:
    intake = make_intake(PatientFactory(), by=clinician, complete=False)
    response = as_clinician.post(
        reverse("patients:intake_edit", args=[intake.pk]),
        {**intake_post(diagnoses="Typed before leaving"), "measure": "pcl5"},
    )
    url = reverse("patients:measure_create", args=[intake.patient_id, "pcl5"])
    assert response["Location"] == f"{url}?intake={intake.pk}"
    assert Intake.objects.get(pk=intake.pk).diagnoses == "Typed before leaving"


# --- a measure opened from another page goes back there (``next``) ----------------------------


def test_measure_with_a_next_page_returns_there(as_clinician) -> None:
    patient = PatientFactory()
    url = reverse("patients:measure_create", args=[patient.pk, "phq9"])
    back = reverse("patients:chart", args=[patient.pk]) + "#measures"
    response = as_clinician.post(url, {**phq9_post([1] * 8 + [0]), "next": back})
    assert response["Location"] == back


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/sessions/1/",
        "//evil.example/sessions/1/",
        "/\\evil.example/sessions/1/",
        "https:/evil.example/",
        "javascript:alert(1)",
        "http://testserver/patients/",  # this host, but a full address: only paths are accepted
        "/no/such/page/",
        "patients/",
    ],
)
def test_measure_ignores_a_next_that_is_not_a_page_of_this_site(as_clinician, target) -> None:
    patient = PatientFactory()
    url = reverse("patients:measure_create", args=[patient.pk, "phq9"])
    form = as_clinician.get(url, {"next": target}).content.decode()
    assert 'name="next"' not in form
    assert (
        f'data-testid="measure-cancel" href="{reverse("patients:chart", args=[patient.pk])}"'
        in (form)
    )
    response = as_clinician.post(url, {**phq9_post([1] * 8 + [0]), "next": target})
    measure = MeasureResult.objects.get(patient=patient)
    assert response["Location"] == reverse("patients:measure_detail", args=[measure.pk])


def test_baseline_measure_for_the_intake_still_returns_to_the_intake(
    as_clinician, clinician
) -> None:
    intake = make_intake(PatientFactory(), by=clinician, complete=False)
    url = reverse("patients:measure_create", args=[intake.patient_id, "phq9"])
    form = as_clinician.get(url, {"intake": intake.pk}).content.decode()
    assert f'<input type="hidden" name="intake" value="{intake.pk}">' in form
    response = as_clinician.post(url, {**phq9_post([1] * 8 + [0]), "intake": intake.pk})
    assert response["Location"] == reverse("patients:intake_edit", args=[intake.pk])
    assert intake.measures.get().code == "phq9"
