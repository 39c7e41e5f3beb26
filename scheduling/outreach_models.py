"""The self-report outbox: messages that carry a patient's signed self-report link
(questionnaire, next-day check-in, safety plan). Re-exported from ``scheduling.models``.

Same rules as the reminder outbox (DESIGN.md "Reminders"): rows in the database, claimed with a
conditional update, sent once; a message names no instrument, drug, diagnosis or score.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class PatientMessage(models.Model):
    class Kind(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", "Questionnaire"
        CHECKIN = "checkin", "Next-day check-in"
        SAFETY_PLAN = "safety_plan", "Safety plan"
        INTAKE = "intake", "Intake forms"

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

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="outbox_messages"
    )
    # The visit it belongs to: a questionnaire before it, a check-in the day after a dose.
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="patient_messages",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    instruments = models.JSONField(default=list, blank=True)
    context = models.CharField(max_length=60, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    due_at = models.DateTimeField()
    send_after = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    skip_reason = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    # Made at the first attempt and kept across retries, so one message carries one link.
    link = models.ForeignKey(
        "patients.SelfReportLink", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    safety_plan = models.ForeignKey(
        "patients.SafetyPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            # One message of a kind per visit and channel: re-planning moves it, never doubles it.
            models.UniqueConstraint(
                fields=["appointment", "kind", "channel"],
                condition=models.Q(appointment__isnull=False),
                name="patient_message_once_per_visit",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "send_after"], name="patient_message_due_idx"),
            models.Index(fields=["patient", "kind", "-due_at"], name="patient_message_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_channel_display()} #{self.pk}"
