"""The PHI access log in the Django admin: readable by the clinic admin, changeable by no one."""

from __future__ import annotations

from django.contrib import admin

from kap_clinic.admin_base import ReadOnlyAdminMixin
from kap_clinic.models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "user", "patient_id", "what", "allowed", "ip_address", "path")
    list_filter = ("allowed", "at")
    search_fields = ("user__username", "user__last_name", "=patient_id", "what")
    date_hierarchy = "at"
    list_select_related = ("user",)
    readonly_fields = ("at", "user", "patient_id", "what", "path", "ip_address", "allowed")
    # Append-only (HIPAA audit controls): no add, change or delete, and no bulk delete action.
