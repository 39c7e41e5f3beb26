"""Group sessions on the schedule: group types, series, meetings, attendance and the waiting list.

A member's place in a meeting is an ordinary ``Appointment`` whose ``group_meeting`` is set, so
the member's reminders, signed links, check-in and "their visits" lists work as for any visit,
and each reminder is the member's own (it never names another member). The meeting itself holds
the facilitators and the room; the number of places taken is the number of its appointments
that are not cancelled, so cancelling one member's place frees the seat at once.

Imported at the foot of ``scheduling.models`` (which re-exports these names); foreign keys use
strings so this module needs nothing from there.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class GroupType(models.Model):
    """What makes an appointment type a group: its capacity, its facilitators and whether
    attending counts as an integration follow-up. Duration, room kind, colour, reminder
    offsets and preparation instructions are the appointment type's."""

    class Facilitators(models.IntegerChoices):
        ONE = 1, "One facilitator"
        TWO = 2, "Two facilitators"

    appointment_type = models.OneToOneField(
        "scheduling.AppointmentType", on_delete=models.PROTECT, related_name="group"
    )
    capacity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2), MaxValueValidator(40)],
        help_text="Members per meeting (2–40).",
    )
    facilitators = models.PositiveSmallIntegerField(
        choices=Facilitators.choices, default=Facilitators.ONE
    )
    counts_as_integration = models.BooleanField(
        default=False,
        help_text="Attending within the integration window after a dose counts as that dose's "
        "integration follow-up (when the group note is signed).",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["appointment_type__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=2) & Q(capacity__lte=40), name="group_type_capacity"
            ),
            models.CheckConstraint(
                condition=Q(facilitators__in=[1, 2]), name="group_type_facilitators"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type.name} (up to {self.capacity})"

    @property
    def name(self) -> str:
        return self.appointment_type.name


class GroupSeries(models.Model):
    """Meetings of one group that recur (e.g. weekly for eight weeks)."""

    group_type = models.ForeignKey(GroupType, on_delete=models.PROTECT, related_name="series")
    first_starts_at = models.DateTimeField()
    meetings_count = models.PositiveSmallIntegerField()
    interval_days = models.PositiveSmallIntegerField(default=7)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-first_starts_at"]
        verbose_name_plural = "group series"

    def __str__(self) -> str:
        start = timezone.localtime(self.first_starts_at)
        return f"{self.group_type.name}: {self.meetings_count} from {start:%d %b %Y}"


class GroupMeeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    group_type = models.ForeignKey(GroupType, on_delete=models.PROTECT, related_name="meetings")
    series = models.ForeignKey(
        GroupSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings"
    )
    number = models.PositiveSmallIntegerField(default=1, help_text="Its place in the series.")
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="groups_facilitated"
    )
    co_facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="groups_co_facilitated",
    )
    room = models.ForeignKey(
        "scheduling.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["starts_at"], name="group_meeting_starts_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="group_meeting_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(co_facilitator__isnull=True)
                | ~Q(co_facilitator=models.F("facilitator")),
                name="group_meeting_two_people",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_type.name} on {self.local_label}"

    @property
    def name(self) -> str:
        return self.group_type.name

    @property
    def local_label(self) -> str:
        return f"{timezone.localtime(self.starts_at):%a %d %b %Y %H:%M}"

    @property
    def facilitator_names(self) -> str:
        people = [self.facilitator] + ([self.co_facilitator] if self.co_facilitator_id else [])
        return " and ".join(p.get_full_name() or p.username for p in people)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class GroupAttendance(models.Model):
    """Whether a member came, recorded by the facilitator; one row per member's place."""

    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        LATE = "late", "Late"
        LEFT_EARLY = "left_early", "Left early"
        ABSENT = "absent", "Absent"
        EXCUSED = "excused", "Excused"

    ATTENDED = (Status.PRESENT, Status.LATE, Status.LEFT_EARLY)

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="group_attendance"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "group attendance"

    def __str__(self) -> str:
        return f"{self.get_status_display()} (#{self.appointment_id})"

    @property
    def attended(self) -> bool:
        return self.status in self.ATTENDED


class GroupWaitlistEntry(models.Model):
    """A patient waiting for a place in a full meeting; offered in order of joining."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        ENROLLED = "enrolled", "Enrolled"
        WITHDRAWN = "withdrawn", "Withdrawn"

    meeting = models.ForeignKey(GroupMeeting, on_delete=models.PROTECT, related_name="waitlist")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="group_waitlist"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WAITING)
    joined_at = models.DateTimeField(default=timezone.now)
    joined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["joined_at", "id"]
        verbose_name_plural = "group waiting list entries"
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "patient"],
                condition=Q(status="waiting"),
                name="group_waitlist_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Waiting for {self.meeting} since {timezone.localtime(self.joined_at):%d %b %H:%M}"
