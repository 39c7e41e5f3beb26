"""Ketamine treatment: protocols, courses, dosing sessions with their checklist, vitals, events,
discharge and note; integration follow-ups."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from scheduling.availability import integration_window_after
from sessions import dosing as dosing_rules
from sessions import vitals as vital_rules

MG = {"max_digits": 9, "decimal_places": 1}  # ledger and dose amounts: to 0.1 mg (DESIGN.md)

# Answers to the pre-dose re-confirmation of the contraindication screen.
CONTRAINDICATIONS_NOT_ASKED = ""
CONTRAINDICATIONS_NOTHING_NEW = "nothing_new"
CONTRAINDICATIONS_NEW_FOUND = "new_found"
NEW_CONTRAINDICATION_NEEDS_NOTE = "Write what new contraindication was found."


class Route(models.TextChoices):
    IV = "iv", "Intravenous (IV)"
    IM = "im", "Intramuscular (IM)"


class DosingProtocol(models.Model):
    """The clinic's dosing rules for one route, edited by the medical director in the admin.

    Seeded by migration 0002 with DESIGN.md's defaults (Andrade 2017 for IV; KAP practice and
    the 60 mg cap of IM trials for IM). Vital-sign thresholds may only tighten the clinic-wide
    defaults: ``sessions.vitals.Thresholds.tightened`` clamps anything looser.
    """

    route = models.CharField(max_length=2, choices=Route.choices, unique=True)
    name = models.CharField(max_length=100)
    default_mg_per_kg = models.DecimalField("default dose (mg/kg)", max_digits=5, decimal_places=3)
    min_mg_per_kg = models.DecimalField("lowest allowed (mg/kg)", max_digits=5, decimal_places=3)
    max_mg_per_kg = models.DecimalField("highest allowed (mg/kg)", max_digits=5, decimal_places=3)
    cap_mg = models.DecimalField(
        "absolute cap (mg)",
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Leave empty for no cap beyond the mg/kg range.",
    )
    infusion_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="IV only: how long the infusion runs."
    )
    vitals_interval_minutes = models.PositiveSmallIntegerField(default=15)
    min_observation_minutes = models.PositiveSmallIntegerField(
        "minimum observation after the dose ends (minutes)", default=60
    )
    pre_systolic_hold = models.PositiveSmallIntegerField(default=140)
    pre_diastolic_hold = models.PositiveSmallIntegerField(default=90)
    systolic_alert = models.PositiveSmallIntegerField(default=180)
    diastolic_alert = models.PositiveSmallIntegerField(default=110)
    spo2_min = models.PositiveSmallIntegerField("SpO₂ alert below (%)", default=92)
    hr_max = models.PositiveSmallIntegerField("heart rate alert above", default=120)
    hr_min = models.PositiveSmallIntegerField("heart rate alert below", default=50)
    # DESIGN.md, "Chair-side safety": actual body weight by default (the trials dosed on it);
    # adjusted body weight (Devine IBW + 0.4 x excess) when BMI >= 30, if the director chooses.
    dosing_weight_method = models.CharField(
        max_length=8,
        choices=[
            ("actual", "Actual body weight"),
            ("adjusted", "Adjusted body weight if BMI ≥ 30"),
        ],
        default="actual",
    )
    # At least this long between a patient's dosing sessions (DESIGN.md, "Interval": 24 h;
    # series are commonly six over two to three weeks). A provider may override with a reason.
    min_interval_hours = models.PositiveSmallIntegerField(
        "minimum time between dosing sessions (hours)", default=24
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["route"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_mg_per_kg__gt=0)
                & Q(min_mg_per_kg__lte=F("default_mg_per_kg"))
                & Q(default_mg_per_kg__lte=F("max_mg_per_kg")),
                name="protocol_default_within_range",
            ),
            models.CheckConstraint(
                condition=Q(cap_mg__isnull=True) | Q(cap_mg__gt=0), name="protocol_cap_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        low, default, high = self.min_mg_per_kg, self.default_mg_per_kg, self.max_mg_per_kg
        if None not in (low, default, high):
            if low <= 0:
                errors["min_mg_per_kg"] = "The lowest allowed dose must be more than 0 mg/kg."
            elif not low <= default <= high:
                errors["default_mg_per_kg"] = (
                    f"The default must lie within the allowed range ({low}–{high} mg/kg)."
                )
        # The admin says it plainly rather than letting vitals.Thresholds clamp it silently.
        base = vital_rules.DEFAULT_THRESHOLDS
        for name in (
            "pre_systolic_hold",
            "pre_diastolic_hold",
            "systolic_alert",
            "diastolic_alert",
            "hr_max",
        ):
            value = getattr(self, name)
            if value is not None and value > getattr(base, name):
                errors[name] = f"May only be tighter than the clinic-wide {getattr(base, name)}."
        for name in ("spo2_min", "hr_min"):
            value = getattr(self, name)
            if value is not None and value < getattr(base, name):
                errors[name] = f"May only be tighter than the clinic-wide {getattr(base, name)}."
        if errors:
            raise ValidationError(errors)

    @property
    def thresholds(self) -> vital_rules.Thresholds:
        return vital_rules.Thresholds(
            pre_systolic_hold=self.pre_systolic_hold,
            pre_diastolic_hold=self.pre_diastolic_hold,
            systolic_alert=self.systolic_alert,
            diastolic_alert=self.diastolic_alert,
            spo2_min=self.spo2_min,
            hr_max=self.hr_max,
            hr_min=self.hr_min,
        )

    @property
    def range_label(self) -> str:
        # Two decimals, as in dosing.check_dose's messages.
        text = f"{self.min_mg_per_kg:.2f}–{self.max_mg_per_kg:.2f} mg/kg"
        return f"{text}, cap {self.cap_mg} mg" if self.cap_mg else text


class TreatmentCourse(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_courses"
    )
    protocol = models.ForeignKey(DosingProtocol, on_delete=models.PROTECT, related_name="+")
    planned_sessions = models.PositiveSmallIntegerField(default=6)
    starts_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Stopped by hand (services.course_stop): the patient discontinued, or the clinic decided so.
    stop_reason = models.TextField(blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_sessions__gte=1), name="course_plans_a_session"
            ),
            models.CheckConstraint(
                condition=~Q(status="stopped") | ~Q(stop_reason=""),
                name="course_stop_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol.get_route_display()} course from {self.starts_on} — {self.patient}"


class DosingSession(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        ABORTED = "aborted", "Aborted"

    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveSmallIntegerField()
    scheduled_for = models.DateTimeField(default=timezone.now)
    # The booked dosing visit, whose reminder links carry the patient's own fasting and escort
    # answers (read by selectors.checklist_items).
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dosing_session",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    abort_reason = models.TextField(blank=True)

    # Preparation checklist items only a person can confirm (DESIGN.md, "Preparation checklist").
    # What the system knows (consent, eligibility, today's measures, pre-dose vitals) is read
    # live by selectors.checklist_items.
    fasting_confirmed = models.BooleanField(
        "no solid food for 6 h, clear liquids until 2 h before", default=False
    )
    escort_name = models.CharField(max_length=200, blank=True)
    escort_phone = models.CharField(max_length=40, blank=True)
    medications_reviewed = models.BooleanField(
        "medications reviewed and held as instructed", default=False
    )
    pregnancy_test = models.CharField(
        max_length=15,
        choices=[
            ("", "Not recorded"),
            ("negative", "Negative"),
            ("not_applicable", "Not applicable"),
            ("positive", "Positive"),
        ],
        blank=True,
    )
    intention_set = models.BooleanField("intention set (preparation session done)", default=False)
    # The contraindication screen asked again before every dose (DESIGN.md, "Contraindication
    # screen": intake, and re-confirmed before every dose). Not a tick box: a new finding is an
    # answer of its own, which keeps the checklist incomplete (services.checklist_update).
    contraindications_reconfirmed = models.CharField(
        "contraindication screen re-confirmed with the patient today",
        max_length=12,
        choices=[
            (CONTRAINDICATIONS_NOT_ASKED, "Not yet asked today"),
            (CONTRAINDICATIONS_NOTHING_NEW, "Asked today: nothing new"),
            (CONTRAINDICATIONS_NEW_FOUND, "New contraindication found"),
        ],
        blank=True,
        help_text="Any new condition, pregnancy, or medication such as an MAOI, high-dose "
        "benzodiazepines or lamotrigine since the intake?",
    )
    contraindications_note = models.TextField(
        "contraindication re-check note",
        blank=True,
        help_text="Required when a new contraindication is found: what it is.",
    )
    # The checklist as it stood when the dose was recorded (selectors.checklist_items).
    checklist_at_dose = models.JSONField(default=list, blank=True, editable=False)
    checklist_override_reason = models.TextField(blank=True)
    checklist_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # The dose. total_mg is computed by dosing.total_dose_mg, never typed.
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    mg_per_kg = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    total_mg = models.DecimalField(**MG, null=True, blank=True)
    dose_override_reason = models.TextField(blank=True)
    dose_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(
        "Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    supervising_provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dose_started_at = models.DateTimeField(null=True, blank=True)
    dose_ended_at = models.DateTimeField(null=True, blank=True)
    # Weight as typed (kg or lb; weight_kg holds it in kg), whether a change of more than 10 %
    # from the last recorded weight was confirmed, and the weight the dose was calculated on.
    weight_unit = models.CharField(max_length=2, blank=True)
    weight_confirmed = models.BooleanField("weight change confirmed", default=False)
    dosing_weight_kg = models.DecimalField(
        "dosing weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    dosing_weight_method = models.CharField(max_length=8, blank=True)
    # When each was typed, for entries back-charted to an earlier time.
    dose_entered_at = models.DateTimeField(null=True, blank=True)
    dose_end_entered_at = models.DateTimeField(null=True, blank=True)
    early_end_reason = models.TextField("reason the infusion ended early", blank=True)
    # A clinician's documented review of a moderate C-SSRS or PHQ-9 item 9 above 0 that day.
    screens_reviewed_at = models.DateTimeField(null=True, blank=True)
    screens_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    screens_review_note = models.TextField(blank=True)

    cadss = models.ForeignKey(
        "patients.MeasureResult",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="CADSS-6",
    )

    # Discharge criteria (DESIGN.md, "Vitals": discharge).
    vitals_near_baseline = models.BooleanField(default=False)
    alert_and_oriented = models.BooleanField(default=False)
    walking_steadily = models.BooleanField(default=False)
    nausea_controlled = models.BooleanField(default=False)
    escort_present = models.BooleanField("responsible adult escort present", default=False)
    instructions_given = models.BooleanField("written instructions given", default=False)
    discharged_with = models.CharField("escort at discharge", max_length=200, blank=True)
    # Modified Aldrete score at discharge (sessions.discharge.aldrete).
    aldrete_activity = models.PositiveSmallIntegerField(null=True, blank=True)
    aldrete_respiration = models.PositiveSmallIntegerField(null=True, blank=True)
    aldrete_consciousness = models.PositiveSmallIntegerField(null=True, blank=True)
    aldrete_circulation = models.PositiveSmallIntegerField(null=True, blank=True)
    aldrete_oxygenation = models.PositiveSmallIntegerField(null=True, blank=True)
    aldrete_total = models.PositiveSmallIntegerField(null=True, blank=True)
    discharge_on_oxygen = models.BooleanField(default=False)
    discharge_entered_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    note = models.TextField("therapist's session note", blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="session_number_unique"),
            models.CheckConstraint(
                condition=~Q(status="aborted") | ~Q(abort_reason=""),
                name="session_abort_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(dose_override_by__isnull=True) | ~Q(dose_override_reason=""),
                name="session_dose_override_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | Q(signed_by__isnull=False),
                name="session_signature_has_author",
            ),
            models.CheckConstraint(
                condition=~Q(contraindications_reconfirmed=CONTRAINDICATIONS_NEW_FOUND)
                | ~Q(contraindications_note=""),
                name="session_new_contraindication_has_note",
                violation_error_message=NEW_CONTRAINDICATION_NEEDS_NOTE,
            ),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_for"], name="session_worklist_idx"),
            # The home worklist (selectors.sessions_worklist) ORs today's sessions with open
            # ones: each branch needs its own index, or the OR reads every session ever held.
            models.Index(fields=["scheduled_for"], name="session_scheduled_idx"),
            models.Index(
                fields=["status"], condition=Q(signed_at__isnull=True), name="session_unsigned_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.number} — {self.course.patient}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_dosed(self) -> bool:
        return self.dose_started_at is not None

    @property
    def needs_visit(self) -> bool:
        """Planned, not dosed, and without a visit that is still on: its booked visit was
        cancelled or missed (or it never had one), so the new booking can be linked
        (services.session_link_appointment)."""
        if self.status != self.Status.PLANNED or self.is_dosed:
            return False
        visit = self.appointment
        return visit is None or visit.status in VISIT_GONE

    @property
    def is_today(self) -> bool:
        """The session's day is today in the clinic's zone: the checklist's "today's" screens
        are the ones taken on this day."""
        return timezone.localdate(self.scheduled_for) == timezone.localdate()

    @property
    def phase(self) -> str:
        """The vitals phase a reading taken now belongs to."""
        if self.dose_started_at is None:
            return vital_rules.PRE
        if self.dose_ended_at is None:
            return vital_rules.DURING
        return vital_rules.POST

    @property
    def opened_at(self):
        """The earliest time an entry may be back-charted to: the session's scheduled time less
        an hour for arrival and preparation (pre-dose vitals, screens)."""
        return self.scheduled_for - timedelta(hours=1)

    @property
    def volume_ml(self):
        """The volume drawn: total mg over the lot's concentration (sessions.dosing)."""
        if self.total_mg is None or self.lot is None:
            return None
        return dosing_rules.volume_to_draw_ml(self.total_mg, self.lot.concentration_mg_per_ml)

    @property
    def infusion_rate_mg_per_min(self):
        """IV: total mg over the protocol's infusion minutes, to 0.01 mg/min."""
        minutes = self.course.protocol.infusion_minutes
        if self.total_mg is None or not minutes:
            return None
        return (self.total_mg / minutes).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def dose_start_late(self) -> bool:
        return _late(self.dose_started_at, self.dose_entered_at)

    @property
    def dose_end_late(self) -> bool:
        return _late(self.dose_ended_at, self.dose_end_entered_at)

    @property
    def discharge_late(self) -> bool:
        return _late(self.discharged_at, self.discharge_entered_at)

    @property
    def weight_lb(self):
        return dosing_rules.kg_to_lb(self.weight_kg) if self.weight_kg else None

    @property
    def observed_until(self):
        """Earliest discharge: the protocol's minimum observation after the dose ends."""
        if self.dose_ended_at is None:
            return None
        minutes = self.course.protocol.min_observation_minutes
        return self.dose_ended_at + timedelta(minutes=minutes)

    @property
    def integration_due_by(self):
        """Integration follow-up within 72 h of the dose (``scheduling.availability``)."""
        anchor = self.dose_ended_at or self.dose_started_at
        return integration_window_after(anchor)[1] if anchor else None


# An entry typed this long after the time it records is shown with both times.
LATE_ENTRY = timedelta(minutes=2)


def _late(at, entered_at) -> bool:
    return at is not None and entered_at is not None and entered_at - at >= LATE_ENTRY


# Appointment statuses after which a planned session's visit will not take place.
VISIT_GONE = ("cancelled", "no_show")


class SessionAddendum(models.Model):
    """A later change to a signed session record, with its own author and time."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "session addenda"

    def __str__(self) -> str:
        return f"Addendum to {self.session} by {self.author}"


class IntegrationFollowUp(models.Model):
    """An integration visit after a dosing session; created signed, so locked from the start."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="follow_ups")
    held_at = models.DateTimeField(default=timezone.now)
    themes = models.TextField()
    insights = models.TextField(blank=True)
    plan = models.TextField()
    measures = models.ManyToManyField("patients.MeasureResult", blank=True, related_name="+")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"Integration follow-up for {self.session} on {self.held_at:%Y-%m-%d}"
