"""Admin of the self-report records: links, switches, check-ins and safety plans. Records the
patient or a clinician made through the clinic's pages are read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kap_clinic.admin_base import AuditedAdminMixin
from patients.admin import ClinicalAdmin, ReadOnlyAdmin
from patients.models import CheckIn, SafetyPlan, SelfReportLink, SelfReportPreference

_SEARCH = ("patient__mrn", "patient__legal_last_name", "patient__legal_first_name")


@admin.register(SelfReportLink)
class SelfReportLinkAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Links keep no history of their own (their answers are measures with history). Opening
    one is in the access log, as for every admin of patient data."""

    list_display = ("patient", "purpose", "context", "created_at", "expires_at", "used_at")
    list_filter = ("purpose", ("used_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = _SEARCH
    list_select_related = ("patient",)
    exclude = ("nonce", "progress")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SelfReportPreference)
class SelfReportPreferenceAdmin(ClinicalAdmin):
    list_display = ("patient", "before_visits", "on_schedule", "checkins")
    search_fields = _SEARCH
    list_select_related = ("patient",)
    raw_id_fields = ("patient",)


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ("patient", "submitted_at", "wellbeing", "concerning", "reviewed_at")
    list_filter = ("concerning", ("reviewed_at", admin.EmptyFieldListFilter), "submitted_at")
    search_fields = _SEARCH
    list_select_related = ("patient",)


@admin.register(SafetyPlan)
class SafetyPlanAdmin(ReadOnlyAdmin):
    list_display = ("patient", "version", "created_at", "signed_by", "signed_at")
    search_fields = _SEARCH
    list_select_related = ("patient", "signed_by")
