"""Intake forms by link: the answers land in the draft intake as patient-reported, unsigned;
contact corrections wait for staff; an intake visit plans the forms before it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from patients import contraindications
from patients.models import Intake, SelfReportLink
from patients.selfreport import tokens
from patients.services import selfreport_link_create
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def post_data(**extra):
    data = {f"screen_{i.code}": "no" for i in contraindications.CONTRAINDICATIONS}
    data.update(
        {
            "diagnoses": "Depression since 2015",
            "medications": "Sertraline 100 mg daily",
            "allergies": "Penicillin",
            "substance_use": "Two glasses of wine a week",
            "contact_phone": "+1 734 555 0177",
        }
    )
    data.update(extra)
    return data


def test_intake_answers_land_in_the_draft_unsigned_for_the_clinician(clinician, as_clinician):
    patient = PatientFactory(legal_last_name="Vandermeer")
    link = selfreport_link_create(patient=patient, purpose="intake", by=clinician)
    url = reverse("patients:selfreport_start", args=[tokens.make_token(link)])
    page = Client().get(url).content.decode()
    assert "Vandermeer" not in page and str(patient.phone) not in page
    response = Client().post(url, post_data(screen_pregnancy="yes"))
    assert response.status_code == 200, response.content.decode()[:500]
    intake = Intake.objects.get(patient=patient)
    assert intake.status == Intake.Status.DRAFT and intake.signed_at is None
    assert intake.medications == "Sertraline 100 mg daily"
    assert intake.allergies == "Penicillin"
    assert intake.patient_reported_at is not None
    assert "medications" in intake.patient_reported_fields
    assert intake.screen.get(item="pregnancy").answer == "yes"
    assert intake.patient_contact_corrections == {"phone": "+1 734 555 0177"}
    patient.refresh_from_db()
    assert str(patient.phone) != "+17345550177"  # not applied without staff
    # The clinician sees them in the draft.
    detail = as_clinician.get(reverse("patients:intake_detail", args=[intake.pk])).content.decode()
    assert 'data-testid="intake-patient-reported"' in detail
    assert "Sertraline 100 mg daily" in detail and "Draft" in detail
    # Used.
    assert Client().post(url, post_data()).status_code == 410


def test_missing_screen_answers_are_asked_again_and_nothing_is_lost(clinician):
    patient = PatientFactory()
    link = selfreport_link_create(patient=patient, purpose="intake", by=clinician)
    url = reverse("patients:selfreport_start", args=[tokens.make_token(link)])
    data = post_data()
    del data["screen_pregnancy"]
    response = Client().post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Sertraline 100 mg daily" in body and "Answer yes, no" in body
    assert not Intake.objects.filter(patient=patient).exists()
    assert SelfReportLink.objects.get(pk=link.pk).used_at is None


def test_an_intake_visit_plans_the_forms_72_hours_before(settings):
    from scheduling.models import AppointmentType
    from scheduling.tests.factories import AppointmentFactory, AppointmentTypeFactory, tomorrow_at

    settings.SELF_REPORT_INTAKE_HOURS = 72
    intake_type = AppointmentTypeFactory(name="Intake", kind=AppointmentType.Kind.INTAKE)
    visit = AppointmentFactory(type=intake_type, starts_at=tomorrow_at(10, days=6))
    row = visit.patient_messages.get(kind="intake")
    assert row.due_at == visit.starts_at - timedelta(hours=72)
    assert row.created_by == visit.clinician


@pytest.mark.parametrize(
    ("legal", "typed", "matches"),
    [
        ("José Núñez", "jose nunez", True),
        ("José Núñez", "JOSÉ  NÚÑEZ ", True),
        ("Zoë Ångström", "Zoe Angstrom", True),
        ("José Núñez", "Jose Nunes", False),
        ("José Núñez", "José", False),
        ("José Núñez", "", False),
    ],
)
def test_consent_names_match_ignoring_accents_case_and_spaces(legal, typed, matches):
    from patients.selfreport.names import names_match

    assert names_match(typed, legal) is matches


def test_consent_by_link_after_the_intake_is_remote_until_countersigned(clinician, as_clinician):
    from patients.models import Consent
    from patients.selectors import consent_is_current
    from patients.tests.factories import make_consent_document

    make_consent_document(version="9.1", body="You may stop at any time.")
    patient = PatientFactory(legal_first_name="José", legal_last_name="Núñez")
    link = selfreport_link_create(patient=patient, purpose="intake", by=clinician)
    url = reverse("patients:selfreport_start", args=[tokens.make_token(link)])
    client = Client()
    assert client.post(url, post_data()).status_code == 302
    page = client.get(url).content.decode()
    assert "You may stop at any time." in page and 'data-testid="consent-by-link"' in page
    # A wrong name is refused without showing the expected one.
    wrong = client.post(url, {"have_read": "on", "typed_name": "Joe Nunes"})
    assert wrong.status_code == 400
    body = wrong.content.decode()
    assert "does not match" in body and "Núñez" not in body and "Nunez" not in body
    assert not Consent.objects.exists()
    done = client.post(url, {"have_read": "on", "typed_name": "jose nunez", "sms_consent": "on"})
    assert done.status_code == 200
    consent = Consent.objects.get(patient=patient)
    assert consent.signed_remotely and consent.witness is None and consent.ip_address
    assert not consent_is_current(patient)
    patient.refresh_from_db()
    assert not patient.sms_consent
    chart = as_clinician.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert "Awaiting countersignature" in chart
    as_clinician.post(reverse("patients:consent_countersign", args=[consent.pk]))
    consent.refresh_from_db()
    assert consent.countersigned_by == clinician
    assert consent_is_current(patient)
    patient.refresh_from_db()
    assert patient.sms_consent
    assert client.get(url).status_code == 410
