"""Rooms, appointment types, clinicians' working hours, appointments and the reminder outbox.

Writes go through ``scheduling.services``; reads that check access through
``scheduling.selectors``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from kap_clinic import roles

# Words a reminder must never carry (DESIGN.md "Reminders": no drug name, no diagnosis, no
# score). Preparation instructions are written by the clinic in the admin and end up in e-mail
# and SMS, so they are checked against this list too.
FORBIDDEN_REMINDER_WORDS: tuple[str, ...] = (
    "ketamine",
    "esketamine",
    "spravato",
    "mg",
    "dose",
    "phq",
    "gad-7",
    "pcl",
    "c-ssrs",
    "score",
    "depress",
    "anxiety",
    "ptsd",
    "suicid",
    "bipolar",
    "diagnos",
    "psychiatric",
)


def forbidden_words_in(text: str) -> list[str]:
    """The forbidden words found in ``text`` (case-insensitive, "mg" only as a word)."""
    import re

    lowered = text.lower()
    found = []
    for word in FORBIDDEN_REMINDER_WORDS:
        pattern = rf"\b{re.escape(word)}\b" if word == "mg" else re.escape(word)
        if re.search(pattern, lowered):
            found.append(word)
    return found


def validate_offsets(value: str) -> None:
    try:
        parse_offsets(value)
    except ValueError as error:
        raise ValidationError(str(error)) from error


def parse_offsets(value: str) -> list[int]:
    """ "48, 2" → [48, 2] (hours before the start), largest first, no duplicates."""
    hours = set()
    for part in value.replace(";", ",").split(","):
        part = part.strip().removesuffix("h").strip()
        if not part:
            continue
        if not part.isdigit() or not 0 < int(part) <= 24 * 14:
            raise ValueError(f"“{part}” is not a number of hours between 1 and 336 (e.g. “48, 2”).")
        hours.add(int(part))
    return sorted(hours, reverse=True)


class Room(models.Model):
    class Kind(models.TextChoices):
        INFUSION = "infusion", "Infusion / dosing room"
        THERAPY = "therapy", "Therapy room"
        CONSULT = "consult", "Consultation room"

    name = models.CharField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    active = models.BooleanField(default=True, help_text="Inactive rooms are not offered.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the calendar.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


# The longest a visit type may last (a constraint below); selectors.appointments_between relies
# on it.
MAX_DURATION_MINUTES = 24 * 60


class AppointmentType(models.Model):
    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        INTAKE = "intake", "Intake assessment"
        PREPARATION = "preparation", "Preparation"
        DOSING = "dosing", "Dosing session"
        INTEGRATION = "integration", "Integration"
        FOLLOW_UP = "follow_up", "Follow-up"

    class ProvidedBy(models.TextChoices):
        CLINICIAN = roles.CLINICIAN, "Clinician or medical provider"
        MEDICAL_PROVIDER = roles.MEDICAL_PROVIDER, "Medical provider only"

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    duration_minutes = models.PositiveSmallIntegerField()
    room_kind = models.CharField(
        max_length=20,
        choices=Room.Kind.choices,
        blank=True,
        help_text="Leave empty for visits that need no room (e.g. telehealth).",
    )
    provided_by = models.CharField(
        max_length=30, choices=ProvidedBy.choices, default=ProvidedBy.CLINICIAN
    )
    colour = models.CharField(
        max_length=7,
        default="#6c757d",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour like #1f77b4.")],
    )
    reminder_offsets = models.CharField(
        max_length=60,
        default="48, 2",
        validators=[validate_offsets],
        help_text="Hours before the start when reminders go out, comma-separated (e.g. 48, 2).",
    )
    preparation_instructions = models.TextField(
        blank=True,
        help_text="Sent to the patient in reminders. No drug names, diagnoses or scores.",
    )
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="appointment_type_duration_positive"
            ),
            # A visit lasts at most a day, so the calendars can look for the appointments
            # overlapping a day among those starting at most a day before it, with an index
            # range scan (selectors.appointments_between) instead of reading the whole history.
            models.CheckConstraint(
                condition=Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="appointment_type_at_most_a_day",
                violation_error_message="A visit type lasts at most 24 hours (1,440 minutes).",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        found = forbidden_words_in(self.preparation_instructions)
        if found:
            raise ValidationError(
                {
                    "preparation_instructions": "Reminders must not carry drug names, "
                    f"diagnoses or scores; remove: {', '.join(found)}."
                }
            )

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def offsets(self) -> list[timedelta]:
        return [timedelta(hours=h) for h in parse_offsets(self.reminder_offsets)]

    @property
    def is_dosing(self) -> bool:
        return self.kind == self.Kind.DOSING

    @property
    def text_colour(self) -> str:
        """Black or white, whichever reads on ``colour``."""
        r, g, b = (int(self.colour[i : i + 2], 16) for i in (1, 3, 5))
        return "#000" if (0.299 * r + 0.587 * g + 0.114 * b) > 150 else "#fff"


class WorkingHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField(help_text="Clinic time.")
    ends = models.TimeField(help_text="Clinic time.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["clinician", "weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="hours_order"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.clinician} {self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"
        )


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CHECKED_IN = "checked_in", "Checked in"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    class Via(models.TextChoices):
        STAFF = "staff", "Staff"
        LINK = "link", "Patient's reminder link"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)

    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    booked_at = models.DateTimeField(auto_now_add=True)
    rescheduled_at = models.DateTimeField(null=True, blank=True)
    rescheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    no_show_at = models.DateTimeField(null=True, blank=True)
    no_show_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_via = models.CharField(max_length=10, choices=Via.choices, blank=True)
    cancellation_reason = models.TextField(blank=True)

    # The patient's answers through the signed reminder links.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_via = models.CharField(max_length=10, choices=Via.choices, blank=True)
    # Dosing visits: fasting (no solid food 6 h, clear liquids until 2 h) and a responsible
    # adult escort (DESIGN.md, preparation checklist). Read by the sessions app's checklist
    # through ``scheduling.selectors.patient_confirmations``.
    fasting_confirmed_at = models.DateTimeField(null=True, blank=True)
    escort_name = models.CharField(max_length=120, blank=True)
    escort_phone = models.CharField(max_length=40, blank=True)
    escort_recorded_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["starts_at"], name="appointment_starts_idx"),
            models.Index(fields=["clinician", "starts_at"], name="appointment_clinician_idx"),
            models.Index(fields=["room", "starts_at"], name="appointment_room_idx"),
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="appointment_cancelled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} with {self.clinician_name} on {self.local_label}"

    @property
    def clinician_name(self) -> str:
        return self.clinician.get_full_name() or self.clinician.username

    @property
    def local_label(self) -> str:
        from django.utils import timezone

        start = timezone.localtime(self.starts_at)
        return f"{start:%a %d %b %Y %H:%M}"

    @property
    def is_active(self) -> bool:
        """Occupies its clinician, room and patient (everything but a cancellation)."""
        return self.status != self.Status.CANCELLED

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.BOOKED, self.Status.CHECKED_IN)


class Reminder(models.Model):
    """One message of the reminder outbox: appointment × channel × offset (DESIGN.md)."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "Text message"

    class Status(models.TextChoices):
        PENDING = "pending", "Planned"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    offset_hours = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # When the next attempt may run: ``due_at`` at first, later pushed back after a failure.
    send_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    skip_reason = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "channel", "offset_hours"], name="reminder_once"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "send_after"], name="reminder_due_idx"),
            # The reminders board's "recently sent", newest first, read from the index.
            models.Index(fields=["status", "sent_at"], name="reminder_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.offset_hours} h before #{self.appointment_id}"
