"""At the chair: vital-sign readings with their holds and alerts, adverse events, and the
per-item overrides of the preparation checklist."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from sessions import vitals as vital_rules
from sessions.models.treatment import LATE_ENTRY, DosingSession


def late_entry(at: datetime | None, entered_at: datetime | None) -> bool:
    return at is not None and entered_at is not None and entered_at - at >= LATE_ENTRY


class VitalReading(models.Model):
    """One set of vitals. Alerts are computed by ``sessions.vitals.classify`` when recorded."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="vitals")
    taken_at = models.DateTimeField(default=timezone.now)
    # When it was typed: a back-charted reading shows both ("09:45, entered 10:02 by ...").
    entered_at = models.DateTimeField(default=timezone.now)
    # A recheck after rest of a reading that held the dose (DESIGN.md, "Pre-dose holds").
    recheck_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rechecks"
    )
    phase = models.CharField(
        max_length=6, choices=[(p, p.title()) for p in vital_rules.PHASES], editable=False
    )
    systolic = models.PositiveSmallIntegerField()
    diastolic = models.PositiveSmallIntegerField()
    heart_rate = models.PositiveSmallIntegerField()
    spo2 = models.PositiveSmallIntegerField("SpO₂")
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    alerts = models.JSONField(default=list, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # A pre-dose hold needs a medical provider's acknowledgement before the dose; an alert during
    # or after it stays open until a clinician records the action taken (the note).
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement_note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["taken_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(diastolic__lt=F("systolic")), name="vitals_diastolic_below_systolic"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True)
                | (Q(acknowledged_by__isnull=False) & ~Q(acknowledgement_note="")),
                name="vitals_ack_has_author_and_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.systolic}/{self.diastolic} HR {self.heart_rate} SpO₂ {self.spo2}"

    @property
    def is_hold(self) -> bool:
        return vital_rules.is_pre_dose_hold(self.phase, self.alerts)

    @property
    def needs_acknowledgement(self) -> bool:
        return self.is_hold and self.acknowledged_at is None

    @property
    def is_open_alert(self) -> bool:
        """An alert during or after the dose that no clinician has answered yet."""
        return bool(self.alerts) and not self.is_hold and self.acknowledged_at is None

    @property
    def recheck_from(self):
        """When a recheck of this hold is due: after 5 minutes' rest (DESIGN.md)."""
        return self.taken_at + timedelta(minutes=vital_rules.RECHECK_REST_MINUTES)

    @property
    def is_late_entry(self) -> bool:
        return late_entry(self.taken_at, self.entered_at)

    @property
    def alert_labels(self) -> list[str]:
        thresholds = self.session.course.protocol.thresholds
        return [vital_rules.alert_label(code, thresholds) for code in self.alerts]


class AdverseEvent(models.Model):
    class Kind(models.TextChoices):
        NAUSEA = "nausea", "Nausea or vomiting"
        HYPERTENSION = "hypertension", "Raised blood pressure"
        TACHYCARDIA = "tachycardia", "Tachycardia"
        DESATURATION = "desaturation", "Low oxygen saturation"
        ANXIETY = "anxiety", "Anxiety or agitation"
        DISSOCIATION = "dissociation", "Distressing dissociation"
        HEADACHE = "headache", "Headache"
        DIZZINESS = "dizziness", "Dizziness"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    session = models.ForeignKey(
        DosingSession, on_delete=models.PROTECT, related_name="adverse_events"
    )
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    onset_at = models.DateTimeField(default=timezone.now)
    description = models.TextField(blank=True)
    action_taken = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["onset_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"

    @property
    def is_late_entry(self) -> bool:
        return late_entry(self.onset_at, self.created_at)


class ChecklistOverride(models.Model):
    """A medical provider lets the dose go ahead with one checklist item incomplete, with the
    reason (DESIGN.md, "Hard stops": everything but the hard stops is overridden item by item).
    Kept for good; shown on the record."""

    session = models.ForeignKey(
        DosingSession, on_delete=models.PROTECT, related_name="item_overrides"
    )
    item = models.CharField(max_length=30)
    label = models.CharField(max_length=300)
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "item"], name="override_one_per_item"),
            models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Override of {self.item} on {self.session}"
