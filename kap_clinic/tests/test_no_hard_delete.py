"""Nothing clinical is ever hard-deleted: no delete permission for any role, no delete in the
Django admin (not even for a superuser), no delete action, no delete view."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.test import RequestFactory

from kap_clinic import roles
from kap_clinic.tests.role_matrix import all_patterns

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


@pytest.mark.django_db
def test_clinic_admin_gets_403_on_the_admin_delete_page_of_clinical_rows(as_clinic_admin) -> None:
    from django.urls import NoReverseMatch, reverse

    checked = 0
    for model in CLINICAL_MODELS:
        if model not in admin.site._registry:
            continue
        row = model._default_manager.first()
        try:
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_delete",
                args=[row.pk if row else 1],
            )
        except NoReverseMatch:
            continue
        assert as_clinic_admin.post(url, {"post": "yes"}).status_code in (302, 403), url
        checked += 1
    assert checked


def test_no_url_deletes_anything() -> None:
    offending = [
        p.key
        for p in all_patterns()
        if not p.key.startswith("admin:") and "delete" in (p.key + p.route).lower()
    ]
    assert offending == []
