"""The PHI access log in the Django admin: readable by the clinic admin, changeable by no one."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kap_clinic.models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "patient_id", "what", "allowed", "ip_address", "path")
    list_filter = ("allowed", "at")
    search_fields = ("user__username", "user__last_name", "=patient_id", "what")
    date_hierarchy = "at"
    list_select_related = ("user",)
    readonly_fields = ("at", "user", "patient_id", "what", "path", "ip_address", "allowed")
    # Append-only (HIPAA audit controls): no add, change or delete, and no bulk delete action.
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
