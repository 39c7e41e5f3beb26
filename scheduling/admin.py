"""Configuration (rooms, visit types, working hours) is edited here by the clinic admin.
Appointments and reminders are shown read-only: they change only through the services, so the
conflict checks and the reminder outbox cannot be bypassed."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kap_clinic.admin_base import AuditedAdminMixin, NoDeleteAdminMixin, ReadOnlyAdminMixin
from scheduling.models import (
    Appointment,
    AppointmentType,
    GroupAttendance,
    GroupMeeting,
    GroupType,
    GroupWaitlistEntry,
    PatientMessage,
    Reminder,
    Room,
    WorkingHours,
)


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
        "questionnaires",
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


# --- group sessions: the type is configuration; meetings and places change through services ---


@admin.register(GroupType)
class GroupTypeAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = ("appointment_type", "capacity", "facilitators", "counts_as_integration")
    list_select_related = ("appointment_type",)
    # No delete: meetings keep pointing at their type; deactivate the appointment type.


class ReadOnlyScheduleAdmin(AuditedAdminMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Group meetings, attendance and waitlist places are schedule records written through the
    services: read here (each read of a patient's row is in the access log), never deleted."""


@admin.register(GroupMeeting)
class GroupMeetingAdmin(ReadOnlyScheduleAdmin):
    list_display = ("starts_at", "group_type", "facilitator", "room", "status")
    list_filter = ("status", "group_type")
    date_hierarchy = "starts_at"
    list_select_related = ("group_type__appointment_type", "facilitator", "room")


@admin.register(GroupAttendance)
class GroupAttendanceAdmin(ReadOnlyScheduleAdmin):
    list_display = ("appointment_id", "status", "recorded_by", "recorded_at")
    list_filter = ("status",)


@admin.register(GroupWaitlistEntry)
class GroupWaitlistEntryAdmin(ReadOnlyScheduleAdmin):
    list_display = ("meeting", "patient", "status", "joined_at")
    list_filter = ("status",)
    list_select_related = ("meeting__group_type__appointment_type", "patient")


@admin.register(PatientMessage)
class PatientMessageAdmin(AuditedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The self-report outbox (questionnaire, check-in, intake and safety-plan links)."""

    list_display = ("patient", "kind", "channel", "due_at", "status", "attempts", "sent_at")
    list_filter = ("status", "kind", "channel")
    search_fields = ("patient__mrn", "patient__legal_last_name")
    list_select_related = ("patient",)
    readonly_fields = [f.name for f in PatientMessage._meta.fields]
