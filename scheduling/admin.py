"""Configuration (rooms, visit types, working hours) is edited here by the clinic admin.
Appointments and reminders are shown read-only: they change only through the services, so the
conflict checks and the reminder outbox cannot be bypassed."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from scheduling.models import (
    Appointment,
    AppointmentType,
    PatientMessage,
    Reminder,
    Room,
    WorkingHours,
)


@admin.register(Room)
class RoomAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "active", "position")
    list_filter = ("kind", "active")
    list_editable = ("active", "position")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # past appointments keep pointing at the room; deactivate instead


@admin.register(AppointmentType)
class AppointmentTypeAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "kind",
        "duration_minutes",
        "room_kind",
        "provided_by",
        "colour",
        "reminder_offsets",
        "questionnaires",
        "active",
    )
    list_filter = ("kind", "active")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkingHours)
class WorkingHoursAdmin(SimpleHistoryAdmin):
    list_display = ("clinician", "weekday", "starts", "ends")
    list_filter = ("weekday", "clinician")


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ("starts_at", "patient", "type", "clinician", "room", "status")
    list_filter = ("status", "type", "clinician")
    date_hierarchy = "starts_at"
    list_select_related = ("patient", "type", "clinician", "room")


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("appointment_id", "channel", "offset_hours", "due_at", "status", "attempts")
    list_filter = ("status", "channel")
    readonly_fields = [f.name for f in Reminder._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PatientMessage)
class PatientMessageAdmin(admin.ModelAdmin):
    """The self-report outbox (questionnaire, check-in, intake and safety-plan links)."""

    list_display = ("patient", "kind", "channel", "due_at", "status", "attempts", "sent_at")
    list_filter = ("status", "kind", "channel")
    search_fields = ("patient__mrn", "patient__legal_last_name")
    list_select_related = ("patient",)
    readonly_fields = [f.name for f in PatientMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
