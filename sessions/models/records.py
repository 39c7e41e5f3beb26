"""Copies of a patient's record made for the patient or another system (HIPAA right of access,
45 CFR 164.524). The row stays as the account of the disclosure; the file is deleted after
``RECORD_EXPORT_DAYS`` (``services.record_exports_purge``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class RecordExport(models.Model):
    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        FHIR = "fhir", "FHIR R4 bundle (JSON)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being built"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Deleted after 7 days"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="record_exports"
    )
    format = models.CharField(max_length=4, choices=Format.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    # Shown while the task runs (0-100, and the part being written).
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # A name under settings.RECORD_EXPORT_DIR, made of the export's id and a random token: never
    # the patient's name or MRN.
    file_name = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveIntegerField(null=True, blank=True)
    # Why a build failed, without PHI (an exception's class, never its message).
    error = models.CharField(max_length=200, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    # Saves only (the request); the task's progress and status go through conditional updates.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-requested_at"], name="export_patient_idx"),
            models.Index(
                fields=["expires_at"], condition=Q(status="ready"), name="export_expiring_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(file_name="") & Q(expires_at__isnull=False)),
                name="export_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export #{self.pk} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_downloadable(self) -> bool:
        return (
            self.status == self.Status.READY
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )

    @property
    def download_name(self) -> str:
        extension = "pdf" if self.format == self.Format.PDF else "json"
        return f"record-export-{self.pk}.{extension}"
