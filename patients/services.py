"""Every write to the patient record. Views, admin actions, other apps and the demo seeder call
these functions, so each rule lives once.

Refusals raise ``django.core.exceptions.ValidationError`` with a message for the user (forms
show it); ``measure_record`` lets the ``ValueError`` from ``instruments.score`` propagate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients import contraindications, hooks, instruments
from patients.models import (
    MRN_PREFIX,
    Consent,
    ConsentDocument,
    ContraindicationAnswer,
    EligibilityDecision,
    Intake,
    IntakeAddendum,
    MeasureResult,
    Patient,
    RiskFlag,
)

Status = Patient.Status

# The patient's path (DESIGN.md): which status may follow which. Discharge is possible from
# anywhere; a discharged patient who returns starts again as an inquiry. "Not eligible" can go
# back to intake for a re-assessment; maintenance can return to a new treatment course.
ALLOWED_TRANSITIONS: Mapping[str, frozenset[str]] = {
    Status.INQUIRY: frozenset({Status.CONSULTATION_SCHEDULED, Status.INTAKE, Status.DISCHARGED}),
    Status.CONSULTATION_SCHEDULED: frozenset({Status.INQUIRY, Status.INTAKE, Status.DISCHARGED}),
    Status.INTAKE: frozenset({Status.ELIGIBLE, Status.NOT_ELIGIBLE, Status.DISCHARGED}),
    Status.ELIGIBLE: frozenset(
        {Status.IN_TREATMENT, Status.NOT_ELIGIBLE, Status.INTAKE, Status.DISCHARGED}
    ),
    Status.NOT_ELIGIBLE: frozenset({Status.INTAKE, Status.ELIGIBLE, Status.DISCHARGED}),
    Status.IN_TREATMENT: frozenset({Status.MAINTENANCE, Status.DISCHARGED}),
    Status.MAINTENANCE: frozenset({Status.IN_TREATMENT, Status.DISCHARGED}),
    Status.DISCHARGED: frozenset({Status.INQUIRY}),
}
# Statuses only an eligibility decision may set: a provider's signature stands behind them.
ELIGIBILITY_STATUSES = frozenset({Status.ELIGIBLE, Status.NOT_ELIGIBLE})

# Fields a registry form may write; status, MRN, SMS consent and archive have their own services.
# In the order the registry form shows them.
PATIENT_FIELDS: tuple[str, ...] = (
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "sex_assigned_at_birth",
    "gender",
    "pronouns",
    "phone",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_phone",
    "remind_by_email",
    "remind_by_sms",
    "primary_clinician",
    "referral_source",
)

INTAKE_FIELDS = frozenset(
    {
        "diagnoses",
        "prior_treatments",
        "failed_antidepressant_trials",
        "hospitalisations",
        "substance_use",
        "medical_history",
        "medications",
        "allergies",
        "bp_systolic",
        "bp_diastolic",
        "heart_rate",
        "spo2",
        "weight_kg",
        "height_cm",
        "notes",
    }
)
# Signing needs these answered; an empty text field is fine when written as "none".
INTAKE_REQUIRED_TO_SIGN = (
    "diagnoses",
    "prior_treatments",
    "failed_antidepressant_trials",
    "hospitalisations",
    "substance_use",
    "medical_history",
    "medications",
    "allergies",
    "bp_systolic",
    "bp_diastolic",
    "heart_rate",
    "weight_kg",
    "height_cm",
)
# Baseline measures an intake needs before it can be signed (DESIGN.md, step 2).
BASELINE_MEASURES = (instruments.PHQ9, instruments.GAD7, instruments.PCL5, instruments.CSSRS)


def _check_fields(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Not writable here: {', '.join(sorted(unknown))}")


def _when(at: datetime | None) -> datetime:
    """The time a record is dated: now, or ``at`` for one written after the fact (an import, the
    demo clinic). Never in the future: nothing is signed or registered ahead of time."""
    now = timezone.now()
    if at is None:
        return now
    if at > now:
        raise ValidationError("A record cannot be dated in the future.")
    return at


def _check_sms_consent(patient: Patient) -> None:
    if patient.remind_by_sms and not patient.sms_consent:
        raise ValidationError(
            {
                "remind_by_sms": "Text-message reminders need the patient's SMS consent, "
                "recorded with their consent form."
            }
        )


# --- registry --------------------------------------------------------------------------------


@transaction.atomic
def patient_create(*, by: User, at: datetime | None = None, **fields: Any) -> Patient:
    """Register a patient (status "inquiry") and give them the next MRN. ``at`` dates the
    registration when it is entered after the fact (see ``_when``)."""
    _check_fields(fields, PATIENT_FIELDS)
    registered_at = _when(at)
    patient = Patient(**fields)
    _check_sms_consent(patient)
    patient._change_reason = f"registered by {by}"
    patient.full_clean(exclude=["mrn"])
    patient.save()
    # The primary key is unique and already allocated, so the MRN cannot collide even when two
    # front-desk staff register at the same moment.
    patient.mrn = f"{MRN_PREFIX}{patient.pk:06d}"
    # created_at is set on insert (auto_now_add), so an earlier date is written with the MRN.
    dated = {"created_at": registered_at} if at is not None else {}
    Patient.objects.filter(pk=patient.pk).update(mrn=patient.mrn, **dated)
    if at is not None:
        patient.created_at = registered_at
    return patient


# The details a reminder is planned from (``scheduling.services.reminders``).
REMINDER_FIELDS: tuple[str, ...] = (
    "email",
    "phone",
    "remind_by_email",
    "remind_by_sms",
    "sms_consent",
)


def _reminder_details_changed(patient: Patient) -> bool:
    # Compared with the stored row, not with the instance as it came in: the registry form has
    # already written the new values onto the instance before the service sees it.
    saved = Patient.objects.filter(pk=patient.pk).values(*REMINDER_FIELDS).first()
    if saved is None:
        return False
    return any(
        str(saved[name] or "") != str(getattr(patient, name) or "") for name in REMINDER_FIELDS
    )


@transaction.atomic
def patient_update(*, patient: Patient, by: User, **fields: Any) -> Patient:
    """Save registry fields. A change to the reminder details (e-mail, phone, channels)
    re-plans the reminders of the patient's upcoming visits: fix the contact, and the visit's
    reminders go out."""
    _check_fields(fields, PATIENT_FIELDS)
    for name, value in fields.items():
        setattr(patient, name, value)
    _check_sms_consent(patient)
    patient.full_clean()
    if _reminder_details_changed(patient):
        # Before the save: the schedule locks the appointments first (the order a reschedule
        # takes them in), so a contact change and a reschedule cannot deadlock.
        hooks.reminder_details_changed(patient=patient)
    patient._change_reason = f"updated by {by}"
    patient.save()
    return patient


@transaction.atomic
def patient_archive(*, patient: Patient, by: User) -> Patient:
    """Hide a patient from the registry. Nothing is deleted; the chart stays readable.

    Appointments and their reminders are left as they are, on purpose. Archiving only hides
    the patient from search; a booked visit stays on the calendar and can still be checked in,
    so stopping its reminders silently would make a no-show nobody was told about. When the
    patient is not coming, front desk cancels the visits (the patient page lists them after
    archiving), which cancels the reminders with a reason on record.
    """
    if patient.archived_at is None:
        patient.archived_at = timezone.now()
        patient._change_reason = f"archived by {by}"
        patient.save(update_fields=["archived_at", "updated_at"])
    return patient


@transaction.atomic
def patient_unarchive(*, patient: Patient, by: User) -> Patient:
    if patient.archived_at is not None:
        patient.archived_at = None
        patient._change_reason = f"restored by {by}"
        patient.save(update_fields=["archived_at", "updated_at"])
    return patient


def allowed_next_statuses(patient: Patient) -> list[str]:
    return [s for s in Status.values if s in ALLOWED_TRANSITIONS[patient.status]]


@transaction.atomic
def patient_set_status(*, patient: Patient, status: str, by: User) -> Patient:
    """Move a patient along their path; the only way ``Patient.status`` changes.

    Raises ValidationError for a move the path does not allow (e.g. inquiry → in treatment).
    Setting the current status again is a no-op.
    """
    if status not in Status.values:
        raise ValidationError(f"Unknown patient status {status!r}.")
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.status == status:
        patient.status = status
        return patient
    if status not in ALLOWED_TRANSITIONS[locked.status]:
        raise ValidationError(
            f"A patient cannot go from “{Status(locked.status).label}” to “{Status(status).label}”."
        )
    locked.status = status
    locked._change_reason = f"status set to {status} by {by}"
    locked.save(update_fields=["status", "updated_at"])
    patient.status = status
    return patient


# --- measures and risk flags ----------------------------------------------------------------


@transaction.atomic
def measure_record(
    *,
    patient: Patient,
    code: str,
    answers: Any,
    by: User,
    taken_at: datetime | None = None,
    context: str = "",
    intake: Intake | None = None,
) -> MeasureResult:
    """Score and store one completed measure. The score comes from ``instruments.score`` only;
    its ValueError (wrong answers) propagates so the form can show it, and nothing is saved.

    A suicide-risk result raises a ``RiskFlag`` for the chart banner and the primary
    clinician's home page.
    """
    result = instruments.score(code, answers)
    if intake is not None:
        # Lock the intake so a signature in another request cannot slip in between the check
        # and the insert.
        intake = Intake.objects.select_for_update().get(pk=intake.pk)
        _refuse_if_signed(intake)
        if intake.patient_id != patient.pk:
            raise ValidationError("That intake belongs to another patient.")
    measure = MeasureResult.objects.create(
        patient=patient,
        code=code,
        answers=dict(answers) if isinstance(answers, Mapping) else list(answers),
        total=result.total,
        severity=result.severity,
        flags=sorted(result.flags),
        taken_at=taken_at or timezone.now(),
        entered_by=by,
        context=context or ("intake" if intake else ""),
        intake=intake,
    )
    if instruments.SUICIDE_RISK in result.flags:
        RiskFlag.objects.create(
            patient=patient,
            kind=RiskFlag.Kind.SUICIDE_RISK,
            measure=measure,
            raised_at=measure.taken_at,
        )
    return measure


@transaction.atomic
def risk_flag_acknowledge(*, flag: RiskFlag, note: str, by: User) -> RiskFlag:
    """A clinician has reviewed the safety plan; the banner and home-page item go away."""
    note = note.strip()
    if not note:
        raise ValidationError("Write what was done (for example, safety plan reviewed).")
    locked = RiskFlag.objects.select_for_update().get(pk=flag.pk)
    if locked.acknowledged_at is not None:
        raise ValidationError("This flag was already acknowledged.")
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = by
    locked.acknowledgement_note = note
    locked.save()
    return locked


# --- intake ----------------------------------------------------------------------------------


def _refuse_if_signed(intake: Intake) -> None:
    # Read the status from the database: a stale instance must not sneak a change past a
    # signature made in another request.
    if Intake.objects.filter(pk=intake.pk, status=Intake.Status.SIGNED).exists():
        raise ValidationError("This intake is signed and locked; add an addendum instead.")


@transaction.atomic
def intake_start(*, patient: Patient, by: User, at: datetime | None = None) -> Intake:
    """Open the patient's intake draft (or return the one already open). ``at`` dates the start
    of an intake entered after the fact (see ``_when``)."""
    draft = Intake.objects.filter(patient=patient, status=Intake.Status.DRAFT).first()
    if draft is not None:
        return draft
    started_at = _when(at)
    intake = Intake.objects.create(patient=patient, created_by=by)
    if at is not None:
        # created_at is set on insert (auto_now_add); an earlier start is written after it.
        Intake.objects.filter(pk=intake.pk).update(created_at=started_at)
        intake.created_at = started_at
    if patient.status in (Status.INQUIRY, Status.CONSULTATION_SCHEDULED):
        patient_set_status(patient=patient, status=Status.INTAKE, by=by)
    return intake


@transaction.atomic
def intake_update(
    *,
    intake: Intake,
    by: User,
    screen: Mapping[str, str | None] | None = None,
    screen_notes: Mapping[str, str] | None = None,
    **fields: Any,
) -> Intake:
    """Save draft answers. ``screen`` maps contraindication codes to yes/no/unknown (None or ""
    for not answered yet)."""
    _check_fields(fields, INTAKE_FIELDS)
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    _refuse_if_signed(intake)
    for name, value in fields.items():
        setattr(intake, name, value)
    intake.full_clean()
    intake._change_reason = f"draft saved by {by}"
    intake.save()
    if screen is not None:
        _save_screen(intake, screen, screen_notes or {})
    return intake


def _save_screen(
    intake: Intake, screen: Mapping[str, str | None], notes: Mapping[str, str]
) -> None:
    valid_answers = {value for value, _label in contraindications.ANSWERS}
    existing = {answer.item: answer for answer in intake.screen.all()}
    for code, value in screen.items():
        if code not in contraindications.BY_CODE:
            raise ValidationError(f"Unknown contraindication item {code!r}.")
        note = (notes.get(code) or "").strip()
        row = existing.get(code)
        value = value or ""
        if value and value not in valid_answers:
            raise ValidationError(f"Answer yes, no or unknown for {code!r}.")
        if row is None:
            if value or note:
                ContraindicationAnswer.objects.create(
                    intake=intake, item=code, answer=value, note=note
                )
        elif (row.answer, row.note) != (value, note):
            row.answer, row.note = value, note
            row.save()


def intake_missing(intake: Intake) -> list[str]:
    """What still stands between this draft and a signature, in words for the clinician."""
    missing = []
    for name in INTAKE_REQUIRED_TO_SIGN:
        value = getattr(intake, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(str(Intake._meta.get_field(name).verbose_name).capitalize())
    answered = {a.item for a in intake.screen.all() if a.answer}
    unanswered = [c.label for c in contraindications.CONTRAINDICATIONS if c.code not in answered]
    if unanswered:
        count = len(unanswered)
        missing.append(
            f"Contraindication screen ({count} item{'s' if count != 1 else ''} unanswered)"
        )
    taken = set(intake.measures.values_list("code", flat=True))
    for code in BASELINE_MEASURES:
        if code not in taken:
            missing.append(f"Baseline {instruments.INSTRUMENTS[code].name}")
    return missing


@transaction.atomic
def intake_sign(*, intake: Intake, by: User, at: datetime | None = None) -> Intake:
    """Sign a complete intake. From now on it is locked; changes are addenda. ``at`` dates a
    signature entered after the fact (see ``_when``)."""
    signed_at = _when(at)
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    _refuse_if_signed(intake)
    missing = intake_missing(intake)
    if missing:
        raise ValidationError(
            "The intake cannot be signed yet. Still missing: " + "; ".join(missing) + "."
        )
    if at is not None and signed_at < intake.created_at:
        raise ValidationError("An intake cannot be signed before it was started.")
    intake.status = Intake.Status.SIGNED
    intake.signed_by = by
    intake.signed_at = signed_at
    intake._change_reason = f"signed by {by}"
    intake.save()
    return intake


@transaction.atomic
def intake_add_addendum(*, intake: Intake, text: str, by: User) -> IntakeAddendum:
    text = text.strip()
    if not text:
        raise ValidationError("An addendum needs some text.")
    if not Intake.objects.filter(pk=intake.pk, status=Intake.Status.SIGNED).exists():
        raise ValidationError("Addenda are for signed intakes; edit the draft instead.")
    return IntakeAddendum.objects.create(intake=intake, text=text, author=by)


def absolute_contraindications_present(intake: Intake) -> list[ContraindicationAnswer]:
    """The intake's absolute contraindications answered "yes"."""
    return [
        answer
        for answer in intake.screen.all()
        if answer.answer == contraindications.YES and answer.is_absolute
    ]


# --- eligibility ------------------------------------------------------------------------------


@transaction.atomic
def eligibility_sign(
    *,
    patient: Patient,
    decision: str,
    note: str,
    by: User,
    override_reason: str = "",
    at: datetime | None = None,
) -> EligibilityDecision:
    """A medical provider's signed eligibility decision (the caller checks the role).

    "Eligible" needs a signed intake, and is refused while an absolute contraindication is
    answered "yes" unless ``override_reason`` explains why (DESIGN.md; Sanacora 2017). ``at``
    dates a decision entered after the fact (see ``_when``).
    """
    signed_at = _when(at)
    if decision not in EligibilityDecision.Decision.values:
        raise ValidationError(f"Unknown eligibility decision {decision!r}.")
    note = note.strip()
    override_reason = override_reason.strip()
    if not note:
        raise ValidationError("Write a note explaining the decision.")
    intake = (
        Intake.objects.filter(patient=patient, status=Intake.Status.SIGNED)
        .order_by("-signed_at", "-id")
        .first()
    )
    if at is not None and intake is not None and signed_at < intake.signed_at:
        raise ValidationError("A decision cannot be dated before its intake was signed.")
    overridden: list[str] = []
    if decision == EligibilityDecision.Decision.ELIGIBLE:
        if intake is None:
            raise ValidationError("“Eligible” needs a signed intake assessment first.")
        present = absolute_contraindications_present(intake)
        if present and not override_reason:
            labels = ", ".join(answer.get_item_display() for answer in present)
            raise ValidationError(
                f"Absolute contraindication answered yes: {labels}. “Eligible” needs an "
                "override reason."
            )
        overridden = [answer.item for answer in present]
        if not present:
            override_reason = ""  # nothing to override; keep the chart honest
    else:
        override_reason = ""
    record = EligibilityDecision.objects.create(
        patient=patient,
        intake=intake,
        decision=decision,
        note=note,
        override_reason=override_reason,
        overridden_items=overridden,
        signed_by=by,
        signed_at=signed_at,
    )
    target = {
        EligibilityDecision.Decision.ELIGIBLE: Status.ELIGIBLE,
        EligibilityDecision.Decision.NOT_ELIGIBLE: Status.NOT_ELIGIBLE,
    }.get(decision)
    current = Patient.objects.get(pk=patient.pk).status
    if target is not None and target != current:
        if current in (Status.INQUIRY, Status.CONSULTATION_SCHEDULED):
            patient_set_status(patient=patient, status=Status.INTAKE, by=by)
        if target in ALLOWED_TRANSITIONS[Patient.objects.get(pk=patient.pk).status]:
            patient_set_status(patient=patient, status=target, by=by)
    return record


# --- consent ---------------------------------------------------------------------------------


def current_consent_document() -> ConsentDocument | None:
    return (
        ConsentDocument.objects.filter(published_at__lte=timezone.now())
        .order_by("-published_at", "-id")
        .first()
    )


@transaction.atomic
def consent_sign(
    *,
    patient: Patient,
    document: ConsentDocument,
    typed_name: str,
    sms_consent: bool,
    by: User,
    ip_address: str | None = None,
    at: datetime | None = None,
) -> Consent:
    """Record the patient's typed-name signature, witnessed by ``by``.

    The typed name must match the patient's legal name, so a signature cannot be recorded for
    the wrong chart. SMS consent given here turns ``Patient.sms_consent`` on. ``at`` dates a
    signature entered after the fact (see ``_when``).
    """
    signed_at = _when(at)
    typed = " ".join(typed_name.split())
    if typed.casefold() != " ".join(patient.legal_name.split()).casefold():
        raise ValidationError(
            f"The typed name must be the patient's legal name, “{patient.legal_name}”."
        )
    current = current_consent_document()
    if current is None or document.pk != current.pk:
        raise ValidationError("Only the current version of the consent document can be signed.")
    if at is not None and signed_at < document.published_at:
        raise ValidationError("This version of the consent document was not published yet then.")
    consent = Consent.objects.create(
        patient=patient,
        document=document,
        typed_name=typed,
        witness=by,
        ip_address=ip_address,
        sms_consent=sms_consent,
        signed_at=signed_at,
    )
    _set_sms_consent(patient=patient, value=sms_consent, by=by)
    return consent


@transaction.atomic
def consent_revoke(*, consent: Consent, note: str, by: User) -> Consent:
    """The patient withdrew consent. Treatment needs a new signature; SMS stops too."""
    note = note.strip()
    if not note:
        raise ValidationError("Record how and why consent was withdrawn.")
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if locked.revoked_at is not None:
        raise ValidationError("This consent was already revoked.")
    locked.revoked_at = timezone.now()
    locked.revoked_by = by
    locked.revocation_note = note
    locked.save()
    if locked.sms_consent:
        _set_sms_consent(patient=locked.patient, value=False, by=by)
    return locked


@transaction.atomic
def sms_consent_withdraw(*, patient: Patient, by: User) -> Patient:
    """The patient asked for no more texts (e.g. replied STOP); treatment consent stands."""
    _set_sms_consent(patient=patient, value=False, by=by)
    return patient


def _set_sms_consent(*, patient: Patient, value: bool, by: User) -> None:
    patient.sms_consent = value
    if not value:
        patient.remind_by_sms = False
    if _reminder_details_changed(patient):
        # Before the save: the schedule locks the appointments first (the order a reschedule
        # takes them in), so a contact change and a reschedule cannot deadlock.
        hooks.reminder_details_changed(patient=patient)
    patient._change_reason = f"SMS consent {'given' if value else 'withdrawn'} (by {by})"
    patient.save(update_fields=["sms_consent", "remind_by_sms", "updated_at"])
