"""Models of the patient's self-report: links, per-patient switches, next-day check-ins and the
safety plan. Re-exported from ``patients.models``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class SelfReportLink(models.Model):
    """One signed, single-use, expiring link sent to a patient (the token names this row and
    its nonce; ``patients.selfreport.tokens``). Answers given so far are kept in ``progress``,
    so a page left half-done opens where the patient stopped."""

    class Purpose(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", "Questionnaire"
        CHECKIN = "checkin", "Next-day check-in"
        SAFETY_PLAN = "safety_plan", "Safety plan"
        INTAKE = "intake", "Intake forms"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="self_report_links"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    instruments = models.JSONField(default=list, blank=True)
    # Where it came from ("before visit", "from the chart", "weekly"...); shown to staff only.
    context = models.CharField(max_length=60, blank=True)
    nonce = models.CharField(max_length=43, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # {code: {item key: value}} for items answered; {code: measure id} once recorded.
    progress = models.JSONField(default=dict, blank=True, editable=False)
    recorded = models.JSONField(default=dict, blank=True, editable=False)
    risk_at = models.DateTimeField(null=True, blank=True, editable=False)
    # For a next-day check-in: the day of the dose it follows (clinic-local).
    dose_day = models.DateField(null=True, blank=True)
    # For a safety-plan link: the version sent.
    safety_plan = models.ForeignKey(
        "patients.SafetyPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="selfreport_patient_idx")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link #{self.pk}"

    @property
    def is_used(self) -> bool:
        return self.used_at is not None


class SelfReportPreference(models.Model):
    """Per-patient switches for what the schedule sends (all on unless switched off)."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, related_name="self_report_preference"
    )
    before_visits = models.BooleanField("questionnaires before visits", default=True)
    on_schedule = models.BooleanField("questionnaires on the protocol's schedule", default=True)
    checkins = models.BooleanField("next-day check-in after each dose", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Self-report switches for patient #{self.patient_id}"


class CheckIn(models.Model):
    """The patient's answers to the next-day check-in after a dose."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    link = models.OneToOneField(SelfReportLink, on_delete=models.PROTECT, related_name="checkin")
    dose_day = models.DateField(null=True, blank=True)
    wellbeing = models.PositiveSmallIntegerField("how are you (0 worst – 10 best)")
    nausea = models.BooleanField(default=False)
    headache = models.BooleanField(default=False)
    dizziness = models.BooleanField(default=False)
    unusual_distress = models.BooleanField(default=False)
    thoughts_of_self_harm = models.BooleanField("thoughts of harming yourself", default=False)
    please_call = models.BooleanField("please call me", default=False)
    submitted_at = models.DateTimeField(default=timezone.now)
    concerning = models.BooleanField(default=False, editable=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(wellbeing__lte=10), name="checkin_wellbeing_0_10"
            ),
            models.CheckConstraint(
                condition=models.Q(reviewed_at__isnull=True) | models.Q(reviewed_by__isnull=False),
                name="checkin_review_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in of patient #{self.patient_id} on {self.submitted_at:%Y-%m-%d}"


class SafetyPlan(models.Model):
    """One version of a patient's safety plan (Stanley & Brown, Cogn Behav Pract
    2012;19:256-264: six steps plus reasons for living). A new version is a new row; a signed
    version is never changed."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_plans"
    )
    version = models.PositiveSmallIntegerField(editable=False)
    reasons_for_living = models.TextField(
        "reasons for living", blank=True, help_text="The one thing most important to me."
    )
    warning_signs = models.TextField(
        "step 1 — warning signs",
        blank=True,
        help_text="Thoughts, images, mood, situations or behaviour that a crisis may be coming.",
    )
    coping_strategies = models.TextField(
        "step 2 — internal coping strategies",
        blank=True,
        help_text="Things I can do to take my mind off my problems without contacting anyone.",
    )
    distraction = models.TextField(
        "step 3 — people and social settings that provide distraction", blank=True
    )
    people_to_ask = models.TextField(
        "step 4 — people whom I can ask for help", blank=True, help_text="Name and phone."
    )
    professionals = models.TextField(
        "step 5 — professionals or agencies I can contact during a crisis",
        blank=True,
        help_text="Clinician, urgent care, 988 Suicide & Crisis Lifeline.",
    )
    safe_environment = models.TextField("step 6 — making the environment safe", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["patient", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="safety_plan_version"),
            models.CheckConstraint(
                condition=models.Q(signed_at__isnull=True) | models.Q(signed_by__isnull=False),
                name="safety_plan_signed_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return f"Safety plan v{self.version} of patient #{self.patient_id}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None
