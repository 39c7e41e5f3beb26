"""The patient registry and the clinical record built before treatment: intake assessment,
measures, risk flags, eligibility and consent.

Writes go through ``patients.services``; reads that check access through ``patients.selectors``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from patients import contraindications, instruments

MRN_PREFIX = "KAP-"


def age_on(born: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Patient(models.Model):
    class Status(models.TextChoices):
        INQUIRY = "inquiry", "Inquiry"
        CONSULTATION_SCHEDULED = "consultation_scheduled", "Consultation scheduled"
        INTAKE = "intake", "Intake"
        ELIGIBLE = "eligible", "Eligible"
        NOT_ELIGIBLE = "not_eligible", "Not eligible"
        IN_TREATMENT = "in_treatment", "In treatment"
        MAINTENANCE = "maintenance", "Maintenance"
        DISCHARGED = "discharged", "Discharged"

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        INTERSEX = "intersex", "Intersex"
        UNKNOWN = "unknown", "Not recorded"

    # Assigned from the primary key right after insert (services.patient_create), so it is
    # unique without a separate counter. Null only inside that transaction.
    mrn = models.CharField("MRN", max_length=20, unique=True, null=True, editable=False)
    legal_first_name = models.CharField(max_length=100)
    legal_last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex_assigned_at_birth = models.CharField(
        max_length=10, choices=Sex.choices, default=Sex.UNKNOWN
    )
    gender = models.CharField(max_length=60, blank=True)
    pronouns = models.CharField(max_length=30, blank=True)
    phone = PhoneNumberField(blank=True)
    email = models.EmailField(blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("state / region", max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = PhoneNumberField(blank=True)
    remind_by_email = models.BooleanField(default=True)
    remind_by_sms = models.BooleanField(default=False)
    # Set only by the consent services: a text message needs the patient's recorded consent.
    sms_consent = models.BooleanField("SMS consent", default=False, editable=False)
    primary_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="primary_patients",
    )
    referral_source = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=30, choices=Status.choices, default=Status.INQUIRY, editable=False
    )
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["legal_last_name", "legal_first_name", "id"]
        indexes = [
            # Find-a-patient (selectors.patients_search) matches on lower-cased names, DOB,
            # MRN (unique index) and E.164 phone. PostgreSQL also gets trigram indexes for
            # "contains" matches (migration 0002).
            models.Index(Lower("legal_last_name"), name="patient_last_lower_idx"),
            models.Index(Lower("legal_first_name"), name="patient_first_lower_idx"),
            models.Index(Lower("preferred_name"), name="patient_preferred_lower_idx"),
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
            models.Index(fields=["phone"], name="patient_phone_idx"),
            models.Index(Lower("email"), name="patient_email_lower_idx"),
            models.Index(fields=["status"], name="patient_status_idx"),
            # The registry's default order (selectors.SORTS["name"]) over current patients:
            # the first page is read from the index, not sorted from the whole table.
            models.Index(
                fields=["legal_last_name", "legal_first_name", "id"],
                condition=models.Q(archived_at__isnull=True),
                name="patient_current_name_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.mrn})"

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    @property
    def age(self) -> int:
        return age_on(self.date_of_birth, timezone.localdate())

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Intake(models.Model):
    """The intake assessment (DESIGN.md, "one patient's path", step 2). A draft is edited until
    signed; once signed it is locked and later changes are addenda."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    # Psychiatric history
    diagnoses = models.TextField("psychiatric diagnoses", blank=True)
    prior_treatments = models.TextField(blank=True)
    failed_antidepressant_trials = models.PositiveSmallIntegerField(
        "failed antidepressant trials", null=True, blank=True
    )
    hospitalisations = models.TextField("psychiatric hospitalisations", blank=True)
    substance_use = models.TextField(blank=True)
    medical_history = models.TextField(blank=True)
    medications = models.TextField("current medications", blank=True)
    allergies = models.TextField(blank=True)
    # Baseline vitals and body measurements
    bp_systolic = models.PositiveSmallIntegerField("BP systolic (mmHg)", null=True, blank=True)
    bp_diastolic = models.PositiveSmallIntegerField("BP diastolic (mmHg)", null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField("heart rate (bpm)", null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField("SpO₂ (%)", null=True, blank=True)
    weight_kg = models.DecimalField(
        "weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    height_cm = models.DecimalField(
        "height (cm)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    notes = models.TextField("clinician's summary", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
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
        ordering = ["-created_at", "-id"]
        indexes = [
            # A patient's latest signed intake (selectors.awaiting_eligibility, latest_intake).
            models.Index(
                fields=["patient", "signed_at"],
                condition=models.Q(status="signed"),
                name="intake_signed_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(status="draft", signed_at__isnull=True)
                    | models.Q(status="signed", signed_at__isnull=False, signed_by__isnull=False)
                ),
                name="intake_signed_has_signer",
            ),
            # One intake in progress per patient: a second draft would split the record.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="draft"),
                name="intake_one_draft_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake for {self.patient} ({self.get_status_display()})"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    @property
    def bmi(self) -> Decimal | None:
        """Body-mass index, kg/m², to one decimal; None until weight and height are known."""
        if not self.weight_kg or not self.height_cm:
            return None
        metres = Decimal(self.height_cm) / 100
        return (Decimal(self.weight_kg) / (metres * metres)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


class ContraindicationAnswer(models.Model):
    """One item of an intake's contraindication screen (patients.contraindications)."""

    class Answer(models.TextChoices):
        YES = contraindications.YES, "Yes"
        NO = contraindications.NO, "No"
        UNKNOWN = contraindications.UNKNOWN, "Unknown"

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="screen")
    item = models.CharField(max_length=60, choices=contraindications.CODE_CHOICES)
    # Blank: answered on an earlier draft save, then taken back (kept, not deleted).
    answer = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["intake", "item"], name="screen_one_answer_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()}: {self.get_answer_display()}"

    @property
    def kind(self) -> str:
        return contraindications.BY_CODE[self.item].kind

    @property
    def is_absolute(self) -> bool:
        return self.kind == contraindications.ABSOLUTE


class IntakeAddendum(models.Model):
    """A later addition to a signed intake; the intake itself never changes once signed."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "intake addenda"

    def __str__(self) -> str:
        return f"Addendum to {self.intake} by {self.author} at {self.created_at:%Y-%m-%d %H:%M}"


class MeasureResult(models.Model):
    """One completed measure. ``total``, ``severity`` and ``flags`` are copied from
    ``instruments.score(code, answers)`` by ``services.measure_record`` and never typed in."""

    class Code(models.TextChoices):
        PHQ9 = instruments.PHQ9, "PHQ-9"
        GAD7 = instruments.GAD7, "GAD-7"
        PCL5 = instruments.PCL5, "PCL-5"
        CSSRS = instruments.CSSRS, "C-SSRS screener"
        CADSS6 = instruments.CADSS6, "CADSS-6"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measures")
    code = models.CharField(max_length=10, choices=Code.choices)
    answers = models.JSONField()
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    severity = models.CharField(max_length=30, blank=True)
    flags = models.JSONField(default=list, blank=True)
    taken_at = models.DateTimeField(default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Where it was taken: "intake", "preparation", "dosing session", "follow-up"...
    context = models.CharField(max_length=60, blank=True)
    intake = models.ForeignKey(
        Intake, null=True, blank=True, on_delete=models.PROTECT, related_name="measures"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [models.Index(fields=["patient", "code", "-taken_at"], name="measure_latest_idx")]

    def __str__(self) -> str:
        return f"{self.get_code_display()} for {self.patient} on {self.taken_at:%Y-%m-%d}"

    @property
    def instrument(self) -> instruments.Instrument:
        return instruments.INSTRUMENTS[self.code]

    @property
    def has_suicide_risk(self) -> bool:
        return instruments.SUICIDE_RISK in self.flags

    @property
    def result_label(self) -> str:
        """E.g. "14 · moderate"; "high risk" or "no risk" for the C-SSRS; "9" for the CADSS-6."""
        if self.total is None:  # the C-SSRS triages into a risk level
            return "no risk" if self.severity == instruments.CSSRS_NONE else f"{self.severity} risk"
        return " · ".join([str(self.total), *([self.severity] if self.severity else [])])


class RiskFlag(models.Model):
    """A suicide-risk result awaiting a clinician's acknowledgement (safety plan reviewed).

    Shown as a banner on the chart and on the primary clinician's home page until acknowledged.
    """

    class Kind(models.TextChoices):
        SUICIDE_RISK = instruments.SUICIDE_RISK, "Suicide risk"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="risk_flags")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    measure = models.OneToOneField(
        MeasureResult, on_delete=models.PROTECT, related_name="risk_flag"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement_note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(
                fields=["patient"],
                condition=models.Q(acknowledged_at__isnull=True),
                name="riskflag_open_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True)
                | (models.Q(acknowledged_by__isnull=False) & ~models.Q(acknowledgement_note="")),
                name="riskflag_ack_has_author_and_note",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class EligibilityDecision(models.Model):
    """A medical provider's signed eligibility decision. Created signed; never edited."""

    class Decision(models.TextChoices):
        ELIGIBLE = "eligible", "Eligible"
        NOT_ELIGIBLE = "not_eligible", "Not eligible"
        NEEDS_INFORMATION = "needs_information", "Needs more information"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="eligibility")
    intake = models.ForeignKey(
        Intake, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    note = models.TextField()
    # Why "eligible" stands despite an absolute contraindication answered "yes".
    override_reason = models.TextField(blank=True)
    overridden_items = models.JSONField(default=list, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-signed_at", "-id"]
        get_latest_by = ["signed_at", "id"]
        indexes = [models.Index(fields=["patient", "signed_at"], name="eligibility_latest_idx")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} — {self.patient} ({self.signed_at:%Y-%m-%d})"

    @property
    def is_override(self) -> bool:
        return bool(self.override_reason)


class ConsentDocument(models.Model):
    """A version of the clinic's KAP informed-consent text, managed in the admin. The current
    version is the most recently published one; publishing a new version makes every earlier
    signature out of date."""

    version = models.CharField(max_length=20, unique=True)
    title = models.CharField(
        max_length=200, default="Informed consent for ketamine-assisted therapy"
    )
    body = models.TextField()
    sms_text = models.TextField(
        "SMS consent text",
        default="I agree to receive appointment reminders by text message. Message and data "
        "rates may apply. Reply STOP to opt out.",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Consent(models.Model):
    """A patient's typed-name signature of one consent document version."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    sms_consent = models.BooleanField("agreed to SMS", default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | models.Q(revoked_by__isnull=False),
                name="consent_revocation_has_author",
            )
        ]

    def __str__(self) -> str:
        return f"Consent {self.document.version} — {self.patient}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
