"""The patient record in the Django admin.

Clinical records are never deleted by anyone, signed records are read-only here as in the
views, and scored measures are view-only (a total comes from ``instruments.score`` alone).
Writes that have a rule go through ``patients.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from kap_clinic.admin_base import AuditedAdminMixin, NoDeleteAdminMixin, ReadOnlyAdminMixin
from patients import services
from patients.models import (
    Consent,
    ConsentDocument,
    ContraindicationAnswer,
    EligibilityDecision,
    Intake,
    IntakeAddendum,
    MeasureResult,
    Patient,
    RiskFlag,
)


class ClinicalAdmin(AuditedAdminMixin, NoDeleteAdminMixin, SimpleHistoryAdmin):
    """No deletes; every look at a row is in the access log; and a history "revert" is a change,
    so it needs change permission on the record as it is now (simple-history checks only view
    permission before saving a revert)."""

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ) -> HttpResponse:
        if request.method == "POST":
            current = self.get_object(request, object_id)
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied("This record cannot be changed.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin(ReadOnlyAdminMixin, ClinicalAdmin):
    """Records created only through the clinic's views (scored, signed at creation)."""


@admin.register(Patient)
class PatientAdmin(ClinicalAdmin):
    list_display = (
        "mrn",
        "legal_last_name",
        "legal_first_name",
        "preferred_name",
        "date_of_birth",
        "status",
        "primary_clinician",
        "archived_at",
    )
    list_filter = (
        "status",
        "primary_clinician",
        "sms_consent",
        ("archived_at", admin.EmptyFieldListFilter),
    )
    search_fields = (
        "mrn",
        "legal_last_name",
        "legal_first_name",
        "preferred_name",
        "email",
        "phone",
    )
    list_select_related = ("primary_clinician",)
    readonly_fields = ("mrn", "status", "sms_consent", "archived_at", "created_at", "updated_at")
    date_hierarchy = "created_at"

    def save_model(self, request: HttpRequest, obj: Patient, form: Any, change: bool) -> None:
        fields = {k: v for k, v in form.cleaned_data.items() if k in services.PATIENT_FIELDS}
        if change:
            services.patient_update(patient=obj, by=request.user, **fields)
            return
        created = services.patient_create(by=request.user, **fields)
        obj.pk, obj.mrn, obj._state.adding = created.pk, created.mrn, False


class ContraindicationInline(admin.TabularInline):
    model = ContraindicationAnswer
    extra = 0
    fields = ("item", "answer", "note")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.is_signed

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.is_signed


class AddendumInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = IntakeAddendum
    extra = 0
    fields = ("created_at", "author", "text")
    readonly_fields = fields


@admin.register(Intake)
class IntakeAdmin(ClinicalAdmin):
    list_display = ("patient", "status", "created_by", "created_at", "signed_by", "signed_at")
    list_filter = ("status", "created_at", "signed_at")
    search_fields = ("patient__mrn", "patient__legal_last_name", "patient__legal_first_name")
    list_select_related = ("patient", "created_by", "signed_by")
    raw_id_fields = ("patient",)
    readonly_fields = ("status", "signed_by", "signed_at", "created_at", "updated_at")
    inlines = (ContraindicationInline, AddendumInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an intake is started from the chart, which moves the patient's status

    def has_change_permission(self, request: HttpRequest, obj: Intake | None = None) -> bool:
        if obj is not None and _intake_is_signed(obj):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Intake, form: Any, change: bool) -> None:
        fields = {k: v for k, v in form.cleaned_data.items() if k in services.INTAKE_FIELDS}
        services.intake_update(intake=obj, by=request.user, **fields)


def _intake_is_signed(obj: Intake) -> bool:
    # Ask the database: the admin may hold a historical (pre-signature) copy of the row.
    return Intake.objects.filter(pk=obj.pk, status=Intake.Status.SIGNED).exists()


@admin.register(IntakeAddendum)
class IntakeAddendumAdmin(ReadOnlyAdmin):
    list_display = ("intake", "author", "created_at")
    search_fields = ("intake__patient__mrn", "intake__patient__legal_last_name", "text")
    list_select_related = ("intake__patient", "author")
    list_filter = ("created_at",)


@admin.register(ContraindicationAnswer)
class ContraindicationAnswerAdmin(ReadOnlyAdmin):
    list_display = ("intake", "item", "answer", "note")
    list_filter = ("item", "answer")
    search_fields = ("intake__patient__mrn", "intake__patient__legal_last_name")
    list_select_related = ("intake__patient",)


@admin.register(MeasureResult)
class MeasureResultAdmin(ReadOnlyAdmin):
    list_display = ("patient", "code", "total", "severity", "flags", "taken_at", "entered_by")
    list_filter = ("code", "severity", "taken_at")
    search_fields = ("patient__mrn", "patient__legal_last_name", "patient__legal_first_name")
    list_select_related = ("patient", "entered_by")
    date_hierarchy = "taken_at"


@admin.register(RiskFlag)
class RiskFlagAdmin(ReadOnlyAdmin):
    list_display = ("patient", "kind", "raised_at", "acknowledged_at", "acknowledged_by")
    list_filter = ("kind", ("acknowledged_at", admin.EmptyFieldListFilter), "raised_at")
    search_fields = ("patient__mrn", "patient__legal_last_name")
    list_select_related = ("patient", "acknowledged_by")


@admin.register(EligibilityDecision)
class EligibilityDecisionAdmin(ReadOnlyAdmin):
    list_display = ("patient", "decision", "signed_by", "signed_at", "is_override")
    list_filter = ("decision", "signed_at")
    search_fields = ("patient__mrn", "patient__legal_last_name", "note", "override_reason")
    list_select_related = ("patient", "signed_by")

    @admin.display(boolean=True, description="override")
    def is_override(self, obj: EligibilityDecision) -> bool:
        return obj.is_override


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(ClinicalAdmin):
    list_display = ("version", "title", "published_at", "created_at")
    list_filter = ("published_at",)
    search_fields = ("version", "title", "body")

    def get_readonly_fields(self, request: HttpRequest, obj: ConsentDocument | None = None):
        # Patients signed this exact text: publish a new version instead of rewording it.
        if obj is not None and Consent.objects.filter(document=obj).exists():
            return ("version", "title", "body", "sms_text", "published_at", "created_at")
        return ("created_at",)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("patient", "document", "signed_at", "witness", "sms_consent", "revoked_at")
    list_filter = ("document", "sms_consent", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("patient__mrn", "patient__legal_last_name", "typed_name")
    list_select_related = ("patient", "document", "witness")
