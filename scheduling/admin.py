"""Configuration (rooms, visit types, working hours) is edited here by the clinic admin.
Appointments and reminders are shown read-only: they change only through the services, so the
conflict checks and the reminder outbox cannot be bypassed."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kap_clinic.admin_base import AuditedAdminMixin, NoDeleteAdminMixin, ReadOnlyAdminMixin
from scheduling.models import Appointment, AppointmentType, Reminder, Room, WorkingHours


@admin.register(Room)
class RoomAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "kind", "active", "position")
    list_filter = ("kind", "active")
    list_editable = ("active", "position")
    # No delete: past appointments keep pointing at the room; deactivate instead.


@admin.register(AppointmentType)
class AppointmentTypeAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "name",
        "kind",
        "duration_minutes",
        "room_kind",
        "provided_by",
        "colour",
        "reminder_offsets",
        "active",
    )
    list_filter = ("kind", "active")


@admin.register(WorkingHours)
class WorkingHoursAdmin(SimpleHistoryAdmin):
    list_display = ("clinician", "weekday", "starts", "ends")
    list_filter = ("weekday", "clinician")


@admin.register(Appointment)
class AppointmentAdmin(AuditedAdminMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("starts_at", "patient", "type", "clinician", "room", "status")
    list_filter = ("status", "type", "clinician")
    date_hierarchy = "starts_at"
    list_select_related = ("patient", "type", "clinician", "room")


@admin.register(Reminder)
class ReminderAdmin(AuditedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("appointment_id", "channel", "offset_hours", "due_at", "status", "attempts")
    list_filter = ("status", "channel")
    readonly_fields = [f.name for f in Reminder._meta.fields]
