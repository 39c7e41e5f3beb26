from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from conftest import client_for, make_user
from patients import services
from patients.models import (
    CheckIn,
    Consent,
    ConsentDocument,
    ContraindicationAnswer,
    EligibilityDecision,
    Intake,
    IntakeAddendum,
    MeasureResult,
    Patient,
    RiskFlag,
    SafetyPlan,
    SelfReportLink,
    SelfReportPreference,
)
from patients.tests.factories import PatientFactory, make_consent_document, make_intake

pytestmark = pytest.mark.django_db

MODELS = (
    Patient,
    Intake,
    ContraindicationAnswer,
    IntakeAddendum,
    MeasureResult,
    RiskFlag,
    EligibilityDecision,
    ConsentDocument,
    Consent,
    SelfReportLink,
    SelfReportPreference,
    CheckIn,
    SafetyPlan,
)


@pytest.fixture
def superuser_client(db):
    return client_for(make_user("root", None, is_staff=True, is_superuser=True))


@pytest.fixture
def signed_intake(clinician):
    return make_intake(PatientFactory(), by=clinician, sign=True)


def test_every_model_is_registered_and_nothing_can_be_deleted(rf, db) -> None:
    request = rf.get("/")
    request.user = make_user("root", None, is_staff=True, is_superuser=True)
    for model in MODELS:
        model_admin = admin.site._registry[model]
        assert model_admin.list_display and model_admin.search_fields, model
        assert not model_admin.has_delete_permission(request), model


def test_every_changelist_opens(superuser_client, signed_intake, clinician) -> None:
    services.intake_add_addendum(intake=signed_intake, text="later", by=clinician)
    for model in MODELS:
        url = reverse(f"admin:patients_{model._meta.model_name}_changelist")
        assert superuser_client.get(url).status_code == 200, model


def test_signed_intake_is_read_only_in_admin(superuser_client, signed_intake) -> None:
    url = reverse("admin:patients_intake_change", args=[signed_intake.pk])
    page = superuser_client.get(url).content.decode()
    assert 'name="diagnoses"' not in page  # rendered read-only
    response = superuser_client.post(url, {"diagnoses": "Tampered"})
    assert response.status_code == 403
    assert Intake.objects.get(pk=signed_intake.pk).diagnoses != "Tampered"


def test_history_revert_of_a_signed_intake_is_refused(superuser_client, signed_intake) -> None:
    draft_version = signed_intake.history.filter(status="draft").earliest("history_date")
    url = reverse(
        "admin:patients_intake_simple_history",
        args=[signed_intake.pk, draft_version.history_id],
    )
    response = superuser_client.post(url, {"diagnoses": "Reverted"})
    assert response.status_code == 403
    intake = Intake.objects.get(pk=signed_intake.pk)
    assert intake.is_signed and intake.diagnoses != "Reverted"


def test_draft_intake_can_be_corrected_in_admin(superuser_client, clinician) -> None:
    intake = make_intake(PatientFactory(), by=clinician, complete=False)
    url = reverse("admin:patients_intake_change", args=[intake.pk])
    assert 'name="diagnoses"' in superuser_client.get(url).content.decode()


def test_measures_cannot_be_added_or_changed_in_admin(superuser_client, clinician) -> None:
    measure = services.measure_record(
        patient=PatientFactory(), code="gad7", answers=[1] * 7, by=clinician
    )
    assert superuser_client.get(reverse("admin:patients_measureresult_add")).status_code == 403
    url = reverse("admin:patients_measureresult_change", args=[measure.pk])
    assert superuser_client.post(url, {"total": "21"}).status_code == 403
    assert MeasureResult.objects.get(pk=measure.pk).total == 7


def test_admin_registration_assigns_an_mrn(superuser_client) -> None:
    response = superuser_client.post(
        reverse("admin:patients_patient_add"),
        {
            "legal_first_name": "Ada",
            "legal_last_name": "Admin",
            "date_of_birth": "1990-01-01",
            "sex_assigned_at_birth": "unknown",
            "remind_by_email": "on",
        },
    )
    assert response.status_code == 302
    patient = Patient.objects.get(legal_last_name="Admin")
    assert patient.mrn == f"KAP-{patient.pk:06d}"


def test_clinic_admin_maintains_consent_text_but_not_signed_wording(
    clinic_admin, clinician
) -> None:
    client = client_for(clinic_admin)
    response = client.post(
        reverse("admin:patients_consentdocument_add"),
        {
            "version": "9.0",
            "title": "KAP consent",
            "body": "Text",
            "sms_text": "SMS",
            "published_at_0": "2026-01-01",
            "published_at_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    document = ConsentDocument.objects.get(version="9.0")
    patient = PatientFactory(legal_first_name="Ana", legal_last_name="Lopez")
    services.consent_sign(
        patient=patient,
        document=document,
        typed_name="Ana Lopez",
        sms_consent=False,
        by=clinician,
    )
    page = client.get(reverse("admin:patients_consentdocument_change", args=[document.pk]))
    assert 'name="body"' not in page.content.decode()
    # No clinical record in the clinic admin's admin.
    assert client.get(reverse("admin:patients_intake_changelist")).status_code == 403


def test_consent_document_without_signatures_is_editable(superuser_client) -> None:
    document = make_consent_document("4.0")
    url = reverse("admin:patients_consentdocument_change", args=[document.pk])
    assert 'name="body"' in superuser_client.get(url).content.decode()
