"""Nothing clinical is ever hard-deleted: no delete permission for any role, no delete in the
Django admin (not even for a superuser), no delete action, no delete view."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, client_for, make_user
from kap_clinic import roles
from kap_clinic.tests.role_matrix import all_patterns
from patients import services as patient_services
from patients.models import SelfReportPreference
from patients.tests.factories import PatientFactory, make_measure
from scheduling import services as scheduling_services
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.group_factories import group_type, started_meeting
from sessions import services as session_services
from sessions.models import (
    ChecklistOverride,
    GroupIntegrationCredit,
    IntegrationFollowUp,
    SessionAddendum,
)
from sessions.selectors import lot_balance
from sessions.tests.factories import make_lot, make_session, prepare, ready_patient, witnessed

CLINICAL_APPS = ("patients", "clinic_sessions", "scheduling")
# Configuration rows in these apps that describe no patient and that no record points to; their
# changes, deletions included, stay in their history table. Adding one is a security decision.
NOT_PATIENT_DATA = {
    "scheduling.WorkingHours": "a clinician's weekly availability template",
}
CLINICAL_MODELS = [
    model
    for label in CLINICAL_APPS
    for model in apps.get_app_config(label).get_models()
    if model._meta.label not in NOT_PATIENT_DATA
]


def test_exempt_models_are_not_pointed_to_by_any_record() -> None:
    for label in NOT_PATIENT_DATA:
        model = apps.get_model(label)
        incoming = [
            rel.related_model._meta.label
            for rel in model._meta.related_objects
            if not rel.related_model._meta.label.split(".")[1].startswith("Historical")
        ]
        assert incoming == [], f"{label} is referenced by {incoming}: it is no longer exempt"


def test_the_walk_finds_the_clinical_models() -> None:
    names = {model._meta.label for model in CLINICAL_MODELS}
    assert {"patients.Patient", "scheduling.Appointment"} <= names
    assert any(label.startswith("clinic_sessions.") for label in names)


@pytest.fixture
def superuser_request(db):
    request = RequestFactory().get("/admin/")
    request.user = User.objects.create_superuser("root", "root@example.org", "x" * 20)
    return request


@pytest.mark.parametrize("model", CLINICAL_MODELS, ids=lambda m: m._meta.label)
def test_admin_refuses_to_delete_clinical_rows_even_for_a_superuser(
    model, superuser_request
) -> None:
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return  # not in the admin at all: nothing to delete there
    assert model_admin.has_delete_permission(superuser_request) is False
    row = model._default_manager.first()
    assert model_admin.has_delete_permission(superuser_request, row) is False
    assert "delete_selected" not in model_admin.get_actions(superuser_request)


@pytest.mark.django_db
def test_no_role_group_may_delete_clinical_rows() -> None:
    granted = Permission.objects.filter(
        group__name__in=roles.ALL_ROLES,
        content_type__app_label__in=CLINICAL_APPS,
        codename__startswith="delete_",
    ).values_list("group__name", "content_type__app_label", "codename")
    assert list(granted) == []
    assert Group.objects.filter(name__in=roles.ALL_ROLES).count() == len(roles.ALL_ROLES)


ADMIN_MODELS = [model for model in CLINICAL_MODELS if model in admin.site._registry]


@pytest.fixture(scope="module")
def everything(django_db_setup, django_db_blocker):
    """One row (at least) of every clinical model, made once for the module (each test runs
    in its own transaction inside this one), then rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        clinician = make_user("hd_clinician", roles.CLINICIAN)
        provider = make_user("hd_provider", roles.MEDICAL_PROVIDER)
        users = {
            "clinic_admin": make_user("hd_admin", roles.CLINIC_ADMIN, is_staff=True),
            "superuser": make_user("hd_root", None, is_staff=True, is_superuser=True),
        }
        # Signed intake with its screen and baseline measures, eligibility, consent.
        patient = ready_patient(by=provider)
        patient_services.intake_add_addendum(
            intake=patient.intakes.get(), text="Later note", by=clinician
        )
        make_measure(patient, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1], by=clinician)  # a risk flag
        session = prepare(make_session(by=clinician, patient=patient), by=clinician)  # vitals
        session_services.adverse_event_record(
            session=session, by=clinician, kind="nausea", severity="mild"
        )
        # Rows that need a signed or dosed session: written directly, the flow is not tested here.
        SessionAddendum.objects.create(session=session, text="Later", author=clinician)
        ChecklistOverride.objects.create(
            session=session, item="escort", label="Escort", reason="Reason", by=provider
        )
        follow_up = IntegrationFollowUp.objects.create(
            session=session, themes="Themes", plan="Plan", signed_by=clinician
        )
        lot = make_lot(by=provider)  # a lot and its receipt entry
        # The lot's other DEA records: a count that opens a discrepancy, destruction, inventory.
        session_services.ledger_count(
            lot=lot, counted_mg=lot.received_mg - 50, by=provider, **witnessed()
        )
        session_services.stock_destroy(
            lot=lot,
            quantity_mg=Decimal("100"),
            method="kit",
            reason="vial cracked",
            by=provider,
            second_witness=clinician,
            second_witness_password=PASSWORD,
            **witnessed(),
        )
        session_services.inventory_take(
            registrant=lot.registrant,
            kind="initial",
            taken_on=timezone.localdate(),
            as_of="close",
            counts={lot.pk: (lot_balance(lot), False)},
            by=provider,
        )
        AppointmentFactory(patient=patient)  # an appointment, its reminders, a room and a type
        session_services.record_export_request(patient=patient, format="fhir", by=clinician)
        # A full group meeting (its type and series), a waiting place, attendance, a signed
        # group note with a private part and an addendum, and an integration credit.
        member, other, waiting = PatientFactory(), PatientFactory(), PatientFactory()
        meeting, seats = started_meeting(members=[member, other], kind=group_type(capacity=2))
        scheduling_services.group_waitlist_join(
            meeting=meeting,
            patient=waiting,
            by=clinician,
            now=meeting.starts_at - timedelta(hours=1),
        )
        scheduling_services.group_attendance_record(
            meeting=meeting, statuses={seat.pk: "present" for seat in seats}, by=clinician
        )
        note = session_services.group_note_save(
            meeting=meeting, themes="Themes", practices="", private={member.pk: "Own"}, by=clinician
        )
        note = session_services.group_note_sign(note=note, by=clinician)
        session_services.group_note_addendum_add(
            note=note, text="Later", patient=member, by=clinician
        )
        GroupIntegrationCredit.objects.create(follow_up=follow_up, note=note)
        # Self-report: a check-in by link, a safety plan, the switches, an outbox message.
        link = patient_services.selfreport_link_create(patient=patient, purpose="checkin")
        patient_services.checkin_submit(link=link, answers={"wellbeing": 7})
        patient_services.safety_plan_save(patient=patient, by=clinician, warning_signs="Signs")
        SelfReportPreference.objects.create(patient=patient)
        scheduling_services.questionnaire_send(patient=patient, instruments=["phq9"], by=clinician)
        yield users
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["clinic_admin", "superuser"])
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_the_admin_delete_page_answers_403_and_the_row_stays(everything, model, who) -> None:
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"the fixture made no {model._meta.label}: add one"
    meta = model._meta
    client = client_for(everything[who])
    delete = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[row.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    # No bulk "delete selected" either: the action does not exist, so nothing happens.
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    client.post(
        changelist, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )
    assert model._default_manager.filter(pk=row.pk).exists()


def test_no_url_deletes_anything() -> None:
    offending = [
        p.key
        for p in all_patterns()
        if not p.key.startswith("admin:") and "delete" in (p.key + p.route).lower()
    ]
    assert offending == []
