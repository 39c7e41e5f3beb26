"""The self-report outbox: planning and sending the messages that carry a patient's signed
self-report link (questionnaires before visits, from the chart and on the protocol's schedule;
the next-day check-in after a dose; the safety plan).

Exactly once, like reminders: rows are claimed with a conditional UPDATE (and ``skip_locked``
on PostgreSQL), a claim whose worker died is released after the lease, and only the holder of
the claim marks a row sent. The link is made at the first attempt and kept on the row, so a
retried message carries the same link. Messages name no instrument, drug, diagnosis or score
(``scheduling.selfreport_messages``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from patients.models import Patient, SafetyPlan, SelfReportLink, SelfReportPreference
from patients.selfreport import questions
from patients.services import selfreport as patient_selfreport
from scheduling import selfreport_messages
from scheduling.models import Appointment, AppointmentType, PatientMessage
from scheduling.services.reminders import (
    LATE_GRACE,
    RETRY_DELAYS,
    _channel_now,
    _reminder_channels,
    claim_lease,
)

logger = logging.getLogger(__name__)

Kind = PatientMessage.Kind
Status = PatientMessage.Status

BEFORE_VISIT = "before visit"
FROM_CHART = "from the chart"
SCHEDULED = "scheduled"
SWITCHED_OFF = "Switched off for this patient."
VISIT_NOT_BOOKED = "The visit is no longer booked."
VISIT_STARTED = "The visit started before it could be sent."
NO_DOSE = "The visit was cancelled or missed."


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def checkin_due_at(starts_at: datetime) -> datetime:
    """The morning after the visit's clinic-local day, at ``SELF_REPORT_CHECKIN_AT``.

    Built from the local calendar day and wall-clock time, not by adding 24 hours, so a
    daylight-saving change overnight still gives 09:00 local (a fixed offset would give 08:00
    or 10:00)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    day = starts_at.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, _clock(settings.SELF_REPORT_CHECKIN_AT), tzinfo=zone)


def call_list_from(day: date) -> datetime:
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(day, _clock(settings.SELF_REPORT_CHECKIN_CALL_AT), tzinfo=zone)


def preference(patient: Patient) -> SelfReportPreference:
    found = SelfReportPreference.objects.filter(patient_id=patient.pk).first()
    return found or SelfReportPreference(patient=patient)


def _wanted_for_visit(appointment: Appointment) -> list[tuple[str, datetime, list[str]]]:
    """(kind, due, measures) of the messages a visit asks for, given the patient's switches."""
    wanted = []
    prefs = preference(appointment.patient)
    codes = appointment.type.questionnaire_codes
    if codes and prefs.before_visits:
        due = appointment.starts_at - timedelta(hours=appointment.type.questionnaire_hours)
        wanted.append((Kind.QUESTIONNAIRE, due, codes))
    if appointment.type.is_dosing and prefs.checkins:
        wanted.append((Kind.CHECKIN, checkin_due_at(appointment.starts_at), []))
    if appointment.type.kind == AppointmentType.Kind.INTAKE and prefs.before_visits:
        hours = timedelta(hours=settings.SELF_REPORT_INTAKE_HOURS)
        wanted.append((Kind.INTAKE, appointment.starts_at - hours, []))
    return wanted


def patient_messages_plan(
    *, appointment: Appointment, now: datetime | None = None, patient: Patient | None = None
) -> None:
    """Create or move a visit's self-report messages (inside the booking's or reschedule's
    transaction): a questionnaire the type's hours before it, a check-in the morning after a
    dose. Sent rows stay sent; a row no longer wanted is cancelled. ``patient`` carries contact
    details about to be saved (the registry's hook), else the visit's patient is used."""
    now = now or timezone.now()
    patient = patient or appointment.patient
    existing = {(m.kind, m.channel): m for m in appointment.patient_messages.all()}
    wanted_keys = set()
    for kind, due, codes in _wanted_for_visit(appointment):
        for channel, recipient, reason in _reminder_channels(patient):
            wanted_keys.add((kind, channel))
            row = existing.get((kind, channel)) or PatientMessage(
                patient=appointment.patient, appointment=appointment, kind=kind, channel=channel
            )
            if row.pk and row.status in (Status.SENT, Status.SENDING):
                continue
            row.instruments = codes
            row.context = "after a dose" if kind == Kind.CHECKIN else BEFORE_VISIT
            # The visit's clinician reviews what comes back (an intake draft needs an author).
            row.created_by = row.created_by or appointment.clinician
            row.due_at = row.send_after = due
            row.recipient = recipient
            row.attempts = 0
            row.claim_token = None
            row.last_error = ""
            if reason:
                row.status, row.skip_reason = Status.SKIPPED, reason
            elif due < now - LATE_GRACE:
                row.status, row.skip_reason = Status.SKIPPED, "Booked after this message's time."
            else:
                row.status, row.skip_reason = Status.PENDING, ""
            row.save()
    for key, row in existing.items():
        if key not in wanted_keys and row.status == Status.PENDING:
            row.status = Status.CANCELLED
            row.save(update_fields=["status", "updated_at"])


def patient_messages_replan_for_patient(*, patient: Patient, now: datetime | None = None) -> None:
    """The registry's contact change (``patients.hooks.reminder_details_changed``): upcoming
    visits' messages follow the new details, as their reminders do."""
    now = now or timezone.now()
    upcoming = Appointment.objects.filter(
        patient_id=patient.pk, status=Appointment.Status.BOOKED, starts_at__gt=now
    ).select_related("type")
    for appointment in upcoming:
        patient_messages_plan(appointment=appointment, now=now, patient=patient)


def _send_now(
    *,
    patient: Patient,
    kind: str,
    by: User | None,
    now: datetime,
    instruments: list[str] | None = None,
    context: str = "",
    safety_plan: SafetyPlan | None = None,
) -> list[PatientMessage]:
    rows = []
    for channel, recipient, reason in _reminder_channels(patient):
        if reason:
            continue
        rows.append(
            PatientMessage.objects.create(
                patient=patient,
                kind=kind,
                instruments=instruments or [],
                context=context,
                channel=channel,
                due_at=now,
                send_after=now,
                recipient=recipient,
                safety_plan=safety_plan,
                created_by=by,
                created_at=now,
            )
        )
    if not rows:
        reasons = "; ".join(reason for _c, _r, reason in _reminder_channels(patient))
        raise ValidationError(f"The patient cannot be reached: {reasons}")
    return rows


@transaction.atomic
def questionnaire_send(
    *,
    patient: Patient,
    instruments: list[str],
    by: User | None,
    context: str = FROM_CHART,
    now: datetime | None = None,
) -> list[PatientMessage]:
    """Send a questionnaire link now (the chart's "Send questionnaire"), by every channel the
    patient asked for; the outbox sends it within a minute."""
    codes = list(dict.fromkeys(instruments))
    if not codes or any(code not in questions.SELF_REPORT_CODES for code in codes):
        raise ValidationError({"instruments": "Choose at least one questionnaire."})
    return _send_now(
        patient=patient,
        kind=Kind.QUESTIONNAIRE,
        by=by,
        now=now or timezone.now(),
        instruments=codes,
        context=context,
    )


@transaction.atomic
def intake_forms_send(
    *, patient: Patient, by: User, now: datetime | None = None
) -> list[PatientMessage]:
    """Send the intake forms by link now (the chart's "Send intake forms"); what comes back
    lands in the draft intake for ``by`` to review and sign."""
    return _send_now(
        patient=patient, kind=Kind.INTAKE, by=by, now=now or timezone.now(), context=FROM_CHART
    )


@transaction.atomic
def safety_plan_send(
    *, plan: SafetyPlan, by: User, now: datetime | None = None
) -> list[PatientMessage]:
    if not plan.is_signed:
        raise ValidationError("Sign the safety plan before sending it.")
    return _send_now(
        patient=plan.patient,
        kind=Kind.SAFETY_PLAN,
        by=by,
        now=now or timezone.now(),
        context=f"safety plan v{plan.version}",
        safety_plan=plan,
    )


@transaction.atomic
def selfreport_preference_update(
    *, patient: Patient, before_visits: bool, on_schedule: bool, checkins: bool
) -> SelfReportPreference:
    """Switch the patient's messages on or off; upcoming visits are re-planned at once."""
    prefs, _created = SelfReportPreference.objects.select_for_update().get_or_create(
        patient=patient
    )
    prefs.before_visits, prefs.on_schedule, prefs.checkins = before_visits, on_schedule, checkins
    prefs.save()
    now = timezone.now()
    upcoming = Appointment.objects.filter(
        patient=patient, status=Appointment.Status.BOOKED, starts_at__gt=now
    ).select_related("type", "patient")
    for appointment in upcoming:
        patient_messages_plan(appointment=appointment, now=now)
    return prefs


def plan_scheduled_questionnaires(*, now: datetime | None = None) -> int:
    """Daily: a questionnaire to each patient whose stage has a schedule (weekly PHQ-9 during a
    course, monthly in maintenance; ``SELF_REPORT_SCHEDULE``) and who had none in that period.
    Safe to run twice: the second run finds the first run's rows."""
    now = now or timezone.now()
    planned = 0
    for status, (codes, every_days) in settings.SELF_REPORT_SCHEDULE.items():
        recent = PatientMessage.objects.filter(
            patient=OuterRef("pk"),
            kind=Kind.QUESTIONNAIRE,
            context=SCHEDULED,
            created_at__gt=now - timedelta(days=every_days),
        )
        switched_off = SelfReportPreference.objects.filter(
            patient=OuterRef("pk"), on_schedule=False
        )
        due = (
            Patient.objects.filter(status=status, archived_at__isnull=True)
            .exclude(Exists(recent))
            .exclude(Exists(switched_off))
        )
        for patient in due:
            try:
                questionnaire_send(
                    patient=patient, instruments=list(codes), by=None, context=SCHEDULED, now=now
                )
            except ValidationError:
                continue  # cannot be reached; the chart shows how to reach them
            planned += 1
    return planned


# --- claiming and sending -------------------------------------------------------------------


def patient_messages_claim_due(
    *, now: datetime | None = None, limit: int = 50
) -> tuple[uuid.UUID, list[int]]:
    """Claim up to ``limit`` due messages for this worker (as ``reminders_claim_due``)."""
    now = now or timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        PatientMessage.objects.filter(
            status=Status.SENDING, claimed_at__lt=now - claim_lease()
        ).update(status=Status.PENDING, claim_token=None, updated_at=now)
        due = PatientMessage.objects.filter(status=Status.PENDING, send_after__lte=now).order_by(
            "send_after", "id"
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:limit])
        PatientMessage.objects.filter(pk__in=ids, status=Status.PENDING).update(
            status=Status.SENDING, claim_token=token, claimed_at=now, updated_at=now
        )
    return token, list(
        PatientMessage.objects.filter(claim_token=token, status=Status.SENDING)
        .order_by("send_after", "id")
        .values_list("pk", flat=True)
    )


def _visit_reason(message: PatientMessage, now: datetime) -> str:
    appointment = message.appointment
    if appointment is None:
        return ""
    if message.kind == Kind.CHECKIN:
        if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW):
            return NO_DOSE
        return ""
    if appointment.status != Appointment.Status.BOOKED:
        return VISIT_NOT_BOOKED
    if appointment.starts_at <= now:
        return VISIT_STARTED
    return ""


def _link_for(message: PatientMessage, now: datetime) -> SelfReportLink:
    if message.link_id:
        return message.link
    purpose = {
        Kind.QUESTIONNAIRE: SelfReportLink.Purpose.QUESTIONNAIRE,
        Kind.CHECKIN: SelfReportLink.Purpose.CHECKIN,
        Kind.SAFETY_PLAN: SelfReportLink.Purpose.SAFETY_PLAN,
        Kind.INTAKE: SelfReportLink.Purpose.INTAKE,
    }[message.kind]
    valid_for = None
    if message.kind in (Kind.QUESTIONNAIRE, Kind.INTAKE) and message.appointment_id:
        # Answers before the visit are what the visit needs; after its start the link is stale.
        valid_for = max(message.appointment.starts_at - now, timedelta(minutes=5))
    dose_day = None
    if message.kind == Kind.CHECKIN and message.appointment_id:
        dose_day = timezone.localtime(message.appointment.starts_at).date()
    link = patient_selfreport.selfreport_link_create(
        patient=message.patient,
        purpose=purpose,
        instruments=message.instruments,
        by=message.created_by,
        context=message.context,
        valid_for=valid_for,
        dose_day=dose_day,
        safety_plan=message.safety_plan,
        now=now,
    )
    PatientMessage.objects.filter(pk=message.pk).update(link=link)
    message.link = link
    return link


def patient_message_send(*, message_id: int, token: uuid.UUID, now: datetime | None = None) -> str:
    """Send one claimed message; returns its new status. Only the claim's holder sends it, and
    marking it sent is conditional on still holding the claim."""
    now = now or timezone.now()
    message = (
        PatientMessage.objects.select_related("patient", "appointment", "link", "safety_plan")
        .filter(pk=message_id, claim_token=token, status=Status.SENDING)
        .first()
    )
    if message is None:
        return "not-claimed"
    recipient, reason = _channel_now(_reminder_channels(message.patient), message.channel)
    reason = reason or _visit_reason(message, now)
    if not reason and message.appointment_id:
        prefs = preference(message.patient)
        if (message.kind == Kind.CHECKIN and not prefs.checkins) or (
            message.kind in (Kind.QUESTIONNAIRE, Kind.INTAKE) and not prefs.before_visits
        ):
            reason = SWITCHED_OFF
    if reason:
        PatientMessage.objects.filter(pk=message.pk, claim_token=token).update(
            status=Status.SKIPPED, skip_reason=reason, claim_token=None, updated_at=now
        )
        return Status.SKIPPED
    message.recipient = recipient
    try:
        link = _link_for(message, now)
        selfreport_messages.deliver(message, link)
    except Exception as error:  # noqa: BLE001 - any provider failure is retried, never lost
        attempt = message.attempts + 1
        logger.warning("patient message %s attempt %s failed: %s", message.pk, attempt, type(error))
        if attempt > len(RETRY_DELAYS):
            status, send_after = Status.FAILED, message.send_after
        else:
            status, send_after = Status.PENDING, now + RETRY_DELAYS[attempt - 1]
        PatientMessage.objects.filter(pk=message.pk, claim_token=token).update(
            status=status,
            attempts=attempt,
            send_after=send_after,
            claim_token=None,
            last_error=f"{type(error).__name__}: {error}"[:500],
            updated_at=now,
        )
        return status
    PatientMessage.objects.filter(pk=message.pk, claim_token=token).update(
        status=Status.SENT,
        recipient=recipient,
        attempts=message.attempts + 1,
        sent_at=now,
        last_error="",
        updated_at=now,
    )
    return Status.SENT
