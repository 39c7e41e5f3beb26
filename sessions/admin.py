"""Admin: the clinic admin edits dosing protocols. Clinical records are shown read-only (they are
written through the clinic's views, never deleted), and the controlled-substance ledger is
append-only here too: no add, change or delete, no bulk actions.

Protocols and clinical records use SimpleHistoryAdmin, so each row's change history is visible in
the admin (the role-matrix walker fills its history URLs' unnamed groups)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kap_clinic.admin_base import AuditedAdminMixin, NoDeleteAdminMixin, ReadOnlyAdminMixin
from sessions.models import (
    AdverseEvent,
    ChecklistOverride,
    Destruction,
    Discrepancy,
    DosingProtocol,
    DosingSession,
    GroupIntegrationCredit,
    GroupNote,
    GroupNoteAddendum,
    GroupNotePrivate,
    IntegrationFollowUp,
    Inventory,
    InventoryLine,
    LedgerEntry,
    Lot,
    RecordExport,
    Registrant,
    SessionAddendum,
    TreatmentCourse,
    VitalReading,
)


@admin.register(DosingProtocol)
class DosingProtocolAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "name",
        "route",
        "default_mg_per_kg",
        "min_mg_per_kg",
        "max_mg_per_kg",
        "cap_label",
        "dosing_weight_method",
        "min_interval_hours",
        "vitals_interval_minutes",
        "min_observation_minutes",
    )
    readonly_fields = ("cap_label",)
    fieldsets = (
        (None, {"fields": ("route", "name")}),
        (
            "Dose",
            {
                "fields": (
                    "default_mg_per_kg",
                    "min_mg_per_kg",
                    "max_mg_per_kg",
                    "cap_mg",
                    "cap_label",
                    "infusion_minutes",
                    "dosing_weight_method",
                    "min_interval_hours",
                )
            },
        ),
        ("Observation", {"fields": ("vitals_interval_minutes", "min_observation_minutes")}),
        (
            "Vital-sign thresholds (may only be tighter than the clinic-wide defaults)",
            {
                "fields": (
                    "pre_systolic_hold",
                    "pre_diastolic_hold",
                    "systolic_alert",
                    "diastolic_alert",
                    "spo2_min",
                    "hr_max",
                    "hr_min",
                )
            },
        ),
    )
    # No delete: past sessions refer to their protocol.

    @admin.display(description="absolute cap in force")
    def cap_label(self, obj: DosingProtocol) -> str:
        # Said plainly, so nobody assumes a cap that is not there (issue: chair-side safety).
        if obj is None or obj.pk is None or obj.cap_mg is None:
            return "No absolute mg cap: only the mg/kg range limits the dose."
        return f"{obj.cap_mg} mg"


class ReadOnlyClinicalAdmin(AuditedAdminMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Clinical rows are written through the audited views; here they are read (and each read
    is in the access log), never changed or deleted."""


@admin.register(TreatmentCourse)
class TreatmentCourseAdmin(ReadOnlyClinicalAdmin):
    list_display = ("patient", "protocol", "planned_sessions", "starts_on", "status")
    list_filter = ("status", "protocol")


@admin.register(DosingSession)
class DosingSessionAdmin(ReadOnlyClinicalAdmin):
    list_display = ("course", "number", "status", "total_mg", "signed_at")
    list_filter = ("status",)
    list_select_related = ("course__patient",)


for model in (
    VitalReading,
    AdverseEvent,
    SessionAddendum,
    IntegrationFollowUp,
    ChecklistOverride,
    GroupNote,
    GroupNotePrivate,
    GroupNoteAddendum,
    GroupIntegrationCredit,
):
    admin.site.register(model, ReadOnlyClinicalAdmin)


class AppendOnlyAdmin(AuditedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """DEA records: viewable, never edited or deleted, not even in bulk. An administration
    entry names its session, so opening it is a look at that patient's record."""


@admin.register(Registrant)
class RegistrantAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    """The clinic's DEA registrations: the clinic admin keeps the number, address, schedules and
    expiry current (renewals); a registrant with lots is never deleted."""

    list_display = ("name", "dea_number", "schedules", "expires_on")
    actions = None


@admin.register(Lot)
class LotAdmin(AppendOnlyAdmin):
    list_display = (
        "lot_number",
        "registrant",
        "ndc",
        "product",
        "concentration_mg_per_ml",
        "vial_count",
        "expires_on",
        "supplier",
        "invoice_number",
    )
    list_filter = ("registrant",)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AppendOnlyAdmin):
    list_display = ("recorded_at", "lot", "kind", "change_mg", "balance_after_mg", "recorded_by")
    list_filter = ("kind",)
    list_select_related = ("lot", "recorded_by")


@admin.register(Discrepancy)
class DiscrepancyAdmin(AppendOnlyAdmin, SimpleHistoryAdmin):
    list_display = (
        "discovered_at",
        "lot",
        "difference_mg",
        "theft_or_loss",
        "notice_due_on",
        "notice_sent_on",
        "form_106_due_on",
        "form_106_filed_on",
        "resolved_at",
    )
    list_filter = ("theft_or_loss",)
    list_select_related = ("lot",)


class InventoryLineInline(admin.TabularInline):
    model = InventoryLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Inventory)
class InventoryAdmin(AppendOnlyAdmin):
    list_display = ("taken_on", "kind", "as_of", "registrant", "signed_by")
    list_filter = ("kind", "registrant")
    inlines = [InventoryLineInline]


@admin.register(Destruction)
class DestructionAdmin(AppendOnlyAdmin):
    list_display = ("entry", "method", "second_witness")
    list_select_related = ("entry__lot", "second_witness")


@admin.register(RecordExport)
class RecordExportAdmin(ReadOnlyClinicalAdmin):
    """Copies of records made (who, whose, when, kept until): the clinic admin's account of
    disclosures. Made and deleted only by the export service and its periodic purge."""

    list_display = ("requested_at", "patient", "format", "status", "requested_by", "expires_at")
    list_filter = ("format", "status")
    list_select_related = ("patient", "requested_by")
