"""Building blocks for the apps' Django admin classes.

- ``ReadOnlyAdminMixin``: rows written only through the services (signed, scored, append-only
  records, the outbox, the access log): viewable, never added, changed or deleted here, and no
  bulk actions.
- ``NoDeleteAdminMixin``: clinical rows and configuration that records point to are never
  deleted, not even by a superuser (deactivate or archive instead).
- ``AuditedAdminMixin``: every change, history and read-only page of a row that belongs to a
  patient writes the PHI access log (``kap_clinic.audit``), whoever opens it — a superuser
  included — and a refusal is logged as one. HIPAA audit controls, 45 CFR 164.312(b).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse

from kap_clinic.audit import record_access


class ReadOnlyAdminMixin:
    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NoDeleteAdminMixin:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@cache
def patient_lookup(model: type[models.Model]) -> str | None:
    """The ORM path from ``model`` to its patient's id ("patient_id", "session__course__
    patient_id", "pk" for the patient itself), or None when its rows belong to no patient.
    The registry is looked up by label: this package imports no clinical app."""
    try:
        patient_model = apps.get_model("patients", "Patient")
    except LookupError:
        return None
    return _path_to(model, patient_model, depth=3)


def _path_to(model: type[models.Model], target: type[models.Model], depth: int) -> str | None:
    if model is target:
        return "pk"
    try:
        field = model._meta.get_field("patient")
        if field.related_model is target:
            return "patient_id"
    except FieldDoesNotExist:
        pass
    if depth == 0:
        return None
    for field in model._meta.get_fields():
        if field.many_to_one or (field.one_to_one and field.concrete):
            related = field.related_model
            if related is None or related is model or related._meta.app_label == "auth":
                continue
            rest = _path_to(related, target, depth - 1)
            if rest is not None:
                return f"{field.name}__{'id' if rest == 'pk' else rest}"
    return None


class AuditedAdminMixin:
    """Logs each opening of a row's change (or read-only), history and historical-version page
    against the row's patient. Mixed into every admin class of patient data."""

    model: type[models.Model]

    def _patient_of(self, object_id: str) -> int | None:
        path = patient_lookup(self.model)
        if path is None:
            return None
        try:
            return (
                self.model._default_manager.filter(pk=unquote(object_id))
                .values_list(path, flat=True)
                .first()
            )
        except (ValueError, ValidationError, OverflowError):
            return None  # not an id: the admin answers "does not exist"

    def _audited(self, request: HttpRequest, object_id: str, what: str, show) -> HttpResponse:
        patient_id = self._patient_of(object_id)
        label = f"admin {what} {self.model._meta.verbose_name}"
        try:
            response = show()
        except PermissionDenied:
            if patient_id is not None:
                record_access(request=request, patient_id=patient_id, what=label, allowed=False)
            raise
        if patient_id is not None and response.status_code == 200:
            record_access(request=request, patient_id=patient_id, what=label)
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        return self._audited(
            request,
            object_id,
            "view",
            lambda: super(AuditedAdminMixin, self).change_view(
                request, object_id, form_url, extra_context
            ),
        )

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        return self._audited(
            request,
            object_id,
            "history",
            lambda: super(AuditedAdminMixin, self).history_view(request, object_id, extra_context),
        )

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ) -> HttpResponse:
        # django-simple-history's page of one past version of the row.
        return self._audited(
            request,
            object_id,
            "past version",
            lambda: super(AuditedAdminMixin, self).history_form_view(
                request, object_id, version_id, extra_context
            ),
        )
