"""Every look at a patient's row in the Django admin is in the access log, whoever looks — a
superuser included — and a clinic admin's refused attempt is logged as refused."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from conftest import client_for, make_user
from kap_clinic.admin_base import AuditedAdminMixin, patient_lookup
from kap_clinic.models import AccessEvent
from patients.models import Patient
from patients.tests.factories import PatientFactory, make_intake
from sessions.models import VitalReading
from sessions.tests.factories import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return make_user("breakglass", None, is_staff=True, is_superuser=True)


@pytest.fixture
def intake(clinician):
    return make_intake(PatientFactory(), by=clinician, sign=True)


@pytest.fixture
def dosing_session(clinician):
    return make_session(by=clinician)


def _open(client, obj, page: str = "change"):
    meta = obj._meta
    return client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_{page}", args=[obj.pk]))


def _patient_id(obj) -> int:
    return obj.patient_id if hasattr(obj, "patient_id") else obj.course.patient_id


@pytest.mark.parametrize("record", ["intake", "dosing_session"])
@pytest.mark.parametrize("page", ["change", "history"])
def test_a_superuser_opening_a_clinical_row_in_the_admin_is_logged(
    request, superuser, record, page
) -> None:
    obj = request.getfixturevalue(record)
    before = AccessEvent.objects.count()
    response = _open(client_for(superuser), obj, page)
    assert response.status_code == 200
    assert AccessEvent.objects.count() == before + 1
    event = AccessEvent.objects.first()
    assert event.user == superuser and event.allowed
    assert event.patient_id == _patient_id(obj)
    assert event.what.startswith("admin ")
    assert event.path == response.wsgi_request.path


@pytest.mark.parametrize("record", ["intake", "dosing_session"])
def test_a_clinic_admin_opening_a_clinical_row_in_the_admin_is_logged_as_refused(
    request, clinic_admin, record
) -> None:
    obj = request.getfixturevalue(record)
    response = _open(client_for(clinic_admin), obj)
    assert response.status_code == 403  # clinical content only through the audited views
    event = AccessEvent.objects.get(user=clinic_admin)
    assert event.patient_id == _patient_id(obj) and not event.allowed


def test_a_past_version_of_an_intake_is_logged(superuser, intake) -> None:
    version = intake.history.order_by("history_id").first()
    url = reverse("admin:patients_intake_simple_history", args=[intake.pk, version.history_id])
    assert client_for(superuser).get(url).status_code == 200
    assert AccessEvent.objects.filter(user=superuser, patient_id=intake.patient_id).exists()


def test_an_id_that_is_not_a_number_logs_nothing_and_breaks_nothing(superuser) -> None:
    url = reverse("admin:patients_intake_change", args=["not-a-number"])
    assert client_for(superuser).get(url).status_code in (200, 302)
    assert not AccessEvent.objects.exists()


def test_every_admin_of_patient_data_is_audited() -> None:
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if patient_lookup(model) is not None and not isinstance(model_admin, AuditedAdminMixin)
    ]
    assert unaudited == []
    assert patient_lookup(Patient) == "pk"
    assert patient_lookup(VitalReading) == "session__course__patient_id"
