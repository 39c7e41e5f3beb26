"""The reminder outbox: planning rows with a booking, re-planning on a contact change, claiming
due rows exactly once, sending and retrying."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from patients.models import Patient
from scheduling import messages
from scheduling.models import Appointment, Reminder
from scheduling.services.checks import SchedulingError, _locked

logger = logging.getLogger(__name__)

# --- reminders: the outbox -------------------------------------------------------------------


# Skip reasons that only say how the patient can (not) be reached. A change to the patient's
# reminder details can make such a row sendable again (``reminders_replan_for_patient``); the
# other reasons (the reminder's time had passed, the visit started) stand whatever the details.
NO_EMAIL = "No e-mail."
NO_MOBILE = "No mobile number."
NO_SMS_CONSENT = "No SMS consent on file."
NO_REMINDERS = "The patient asked for no reminders."
CHANNEL_DROPPED = "The patient no longer asks for these."
CONTACT_SKIP_REASONS = frozenset(
    {NO_EMAIL, NO_MOBILE, NO_SMS_CONSENT, NO_REMINDERS, CHANNEL_DROPPED}
)
BOOKED_LATE = "Booked after this reminder's time."
CONTACT_CHANGED_LATE = "Contact details changed after this reminder's time."
# A reminder planned up to a minute after its time still goes out (the claim runs every minute).
LATE_GRACE = timedelta(minutes=1)


def _reminder_channels(patient: Patient) -> list[tuple[str, str, str]]:
    """(channel, recipient, skip reason) for each channel the patient asked for."""
    out = []
    if patient.remind_by_email:
        out.append((Reminder.Channel.EMAIL, patient.email or "", "" if patient.email else NO_EMAIL))
    if patient.remind_by_sms:
        phone = str(patient.phone) if patient.phone else ""
        reason = ""
        if not phone:
            reason = NO_MOBILE
        elif not patient.sms_consent:
            reason = NO_SMS_CONSENT
        out.append((Reminder.Channel.SMS, phone, reason))
    if not out:
        out.append((Reminder.Channel.EMAIL, "", NO_REMINDERS))
    return out


def _channel_now(channels: list[tuple[str, str, str]], channel: str) -> tuple[str, str]:
    """(recipient, skip reason) for ``channel`` given ``_reminder_channels``' answer, including
    a channel the patient no longer asks for."""
    for name, recipient, reason in channels:
        if name == channel:
            return recipient, reason
    asks_for_none = len(channels) == 1 and channels[0][2] == NO_REMINDERS
    return "", NO_REMINDERS if asks_for_none else CHANNEL_DROPPED


def reminders_plan(*, appointment: Appointment, now: datetime | None = None) -> list[Reminder]:
    """Create or move the outbox rows of ``appointment`` (inside the booking's transaction).

    One row per channel × offset. Rows already sent stay sent; the others are re-timed, so a
    reschedule moves them. A reminder whose time has passed is skipped, with the reason shown.
    """
    now = now or timezone.now()
    existing = {(r.channel, r.offset_hours): r for r in appointment.reminders.all()}
    wanted = set()
    planned = []
    for channel, recipient, reason in _reminder_channels(appointment.patient):
        for offset in appointment.type.offsets:
            hours = int(offset.total_seconds() // 3600)
            wanted.add((channel, hours))
            due = appointment.starts_at - offset
            reminder = existing.get((channel, hours)) or Reminder(
                appointment=appointment, channel=channel, offset_hours=hours
            )
            already_out = reminder.status in (Reminder.Status.SENT, Reminder.Status.SENDING)
            if reminder.pk and already_out and reminder.due_at == due:
                # Sent (or going out) for this very time: nothing to move.
                planned.append(reminder)
                continue
            reminder.due_at = reminder.send_after = due
            reminder.recipient = recipient
            reminder.attempts = 0
            reminder.claim_token = None
            reminder.claimed_at = None
            reminder.last_error = ""
            reminder.sent_at = None
            if reason:
                reminder.status, reminder.skip_reason = Reminder.Status.SKIPPED, reason
            elif due < now - LATE_GRACE:
                # Booked too late for this reminder (e.g. 48 h before, booked for tomorrow).
                reminder.status = Reminder.Status.SKIPPED
                reminder.skip_reason = BOOKED_LATE
            else:
                reminder.status, reminder.skip_reason = Reminder.Status.PENDING, ""
            reminder.save()
            planned.append(reminder)
    for key, reminder in existing.items():
        if key not in wanted and reminder.status == Reminder.Status.PENDING:
            reminder.status = Reminder.Status.CANCELLED
            reminder.save(update_fields=["status", "updated_at"])
    return planned


@transaction.atomic
def reminders_replan_for_patient(
    *, patient: Patient, now: datetime | None = None
) -> dict[str, int]:
    """Bring the outbox of the patient's upcoming visits in line with their reminder details,
    after front desk changed an address, a channel or the SMS consent; returns counts of what
    changed ("planned", "skipped", "updated").

    ``patient`` carries the details as they will be saved. Call this *before* saving the
    patient row: it locks the appointments first, the order ``appointment_reschedule`` takes
    them in (appointment, then patient), so a contact change and a reschedule of the same
    patient cannot deadlock. The lock also stops a cancellation committing between the read
    and the write, which would leave a planned reminder on a cancelled visit (the sender does
    not look at the appointment's status).

    Only booked visits that have not started: a checked-in patient is here (their reminders
    were cancelled on arrival), and the other statuses are over. On each of them:

    * a channel the patient now asks for gets its rows (planned, or skipped with the reason,
      as at booking);
    * a row skipped only because of the contact details is planned again when the contact is
      usable and its time has not passed, otherwise it shows the current reason;
    * a planned row never tried yet whose channel is no longer usable is skipped with the
      reason, and its recipient follows a changed address.

    This is narrower than ``reminders_plan`` on purpose. That function re-times a visit after a
    reschedule: it resets attempts, claims and errors on every row not sent, saves whole rows
    without checking what a worker did meanwhile, and relabels late rows "booked after".
    A contact change moves no time, so it must keep a row in retry back-off as it is (its
    attempts, next try and error are what the reminders page shows), must never touch a row
    sent or claimed by a worker, and writes each row with a conditional UPDATE on the state it
    read: a row a worker claims between this read and the write is left to the worker, whose
    ``reminder_send`` re-reads the contact details anyway.
    """
    now = now or timezone.now()
    ids = list(
        Appointment.objects.select_for_update()
        .filter(patient_id=patient.pk, status=Appointment.Status.BOOKED, starts_at__gt=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    appointments = (
        Appointment.objects.filter(pk__in=ids)
        .select_related("type")
        .prefetch_related("reminders")
        .order_by("pk")
    )
    channels = _reminder_channels(patient)
    counts = {"planned": 0, "skipped": 0, "updated": 0}
    for appointment in appointments:
        rows = {(r.channel, r.offset_hours): r for r in appointment.reminders.all()}
        offsets = [int(o.total_seconds() // 3600) for o in appointment.type.offsets]
        # "No reminders" is not a channel: it only labels rows, and is planned as a row of its
        # own (as at booking) when the visit has none to carry it.
        chosen = {
            (channel, hours)
            for channel, _recipient, reason in channels
            if reason != NO_REMINDERS or not rows
            for hours in offsets
        }
        for key in sorted(chosen - set(rows)):
            channel, hours = key
            recipient, reason = _channel_now(channels, channel)
            due = appointment.starts_at - timedelta(hours=hours)
            values = {"send_after": due, **_replanned(due, recipient, reason, now)}
            row_of = Reminder.objects.filter(
                appointment=appointment, channel=channel, offset_hours=hours
            )
            try:
                # A savepoint: ``reminder_retry`` re-plans without the appointment lock and
                # may have inserted this very row; the unique constraint then says so.
                with transaction.atomic():
                    Reminder.objects.create(
                        appointment=appointment, channel=channel, offset_hours=hours, **values
                    )
            except IntegrityError:
                if not row_of.exists():
                    raise
                continue
            counts["planned" if values["status"] == Reminder.Status.PENDING else "skipped"] += 1
        for key, row in rows.items():
            recipient, reason = _channel_now(channels, row.channel)
            if row.status == Reminder.Status.PENDING and row.attempts == 0:
                expected = {"status": row.status, "attempts": 0, "claim_token__isnull": True}
                if reason:
                    changes = {
                        "status": Reminder.Status.SKIPPED,
                        "skip_reason": reason,
                        "recipient": recipient,
                    }
                else:
                    changes = {"recipient": recipient}
            elif (
                row.status == Reminder.Status.SKIPPED and row.skip_reason in CONTACT_SKIP_REASONS
            ) or (
                # Only ``reminders_plan`` cancels a row of a booked visit: its channel had been
                # dropped at a reschedule. The patient asks for it again.
                row.status == Reminder.Status.CANCELLED and key in chosen
            ):
                expected = {"status": row.status, "skip_reason": row.skip_reason}
                if key in chosen:
                    due = appointment.starts_at - timedelta(hours=row.offset_hours)
                    changes = _replanned(due, recipient, reason, now)
                elif reason:
                    changes = {"skip_reason": reason, "recipient": recipient}
                else:
                    continue  # usable, but an offset the visit type no longer has
            else:
                # Sent, sending (a worker holds it), failed, retrying after a failure (back-off
                # kept as it is), or skipped for a reason no contact detail changes.
                continue
            if all(getattr(row, name) == value for name, value in changes.items()):
                continue
            updated = Reminder.objects.filter(pk=row.pk, **expected).update(
                updated_at=now, **changes
            )
            if not updated:
                continue  # claimed by a worker meanwhile; ``reminder_send`` re-reads the contact
            if changes.get("status", row.status) == row.status:
                counts["updated"] += 1
            elif changes["status"] == Reminder.Status.PENDING:
                counts["planned"] += 1
            else:
                counts["skipped"] += 1
    return {name: n for name, n in counts.items() if n}


def _replanned(due: datetime, recipient: str, reason: str, now: datetime) -> dict:
    """A row of a channel the patient asks for, as a contact change leaves it: planned afresh
    when sendable and not late; otherwise skipped with the reason, keeping its history."""
    if reason or due < now - LATE_GRACE:
        return {
            "status": Reminder.Status.SKIPPED,
            "skip_reason": reason or CONTACT_CHANGED_LATE,
            "recipient": recipient,
            "due_at": due,
        }
    return {
        "status": Reminder.Status.PENDING,
        "skip_reason": "",
        "recipient": recipient,
        "due_at": due,
        "send_after": due,
        "attempts": 0,
        "claim_token": None,
        "claimed_at": None,
        "sent_at": None,
        "last_error": "",
    }


def _cancel_unsent(appointment: Appointment, now: datetime) -> None:
    Reminder.objects.filter(appointment=appointment, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.CANCELLED, updated_at=now
    )


def claim_lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "REMINDER_CLAIM_LEASE_SECONDS", 300))


def reminders_claim_due(
    *, now: datetime | None = None, limit: int = 50
) -> tuple[uuid.UUID, list[int]]:
    """Claim up to ``limit`` due reminders for this worker; returns (claim token, ids).

    A claim is a conditional UPDATE (status pending → sending) that only one worker can win
    for a row; on PostgreSQL ``skip_locked`` also lets two workers take different rows instead
    of queueing. A claim whose worker died (SIGKILL, OOM) is released after the lease, so the
    reminder is sent by the next run instead of being lost.
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        Reminder.objects.filter(
            status=Reminder.Status.SENDING, claimed_at__lt=now - claim_lease()
        ).update(status=Reminder.Status.PENDING, claim_token=None, updated_at=now)
        due = Reminder.objects.filter(
            status=Reminder.Status.PENDING,
            send_after__lte=now,
            appointment__starts_at__gt=now,
        ).order_by("send_after", "id")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:limit])
        Reminder.objects.filter(pk__in=ids, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.SENDING, claim_token=token, claimed_at=now, updated_at=now
        )
        # Reminders whose appointment already started will never be useful.
        Reminder.objects.filter(
            status=Reminder.Status.PENDING, appointment__starts_at__lte=now
        ).update(
            status=Reminder.Status.SKIPPED,
            skip_reason="The appointment started before it could be sent.",
            updated_at=now,
        )
    return token, list(
        Reminder.objects.filter(claim_token=token, status=Reminder.Status.SENDING)
        .order_by("send_after", "id")
        .values_list("pk", flat=True)
    )


RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
)


def reminder_send(*, reminder_id: int, token: uuid.UUID, now: datetime | None = None) -> str:
    """Send one claimed reminder; returns its new status.

    Only the holder of the claim may send, and marking it sent is conditional on still holding
    it, so a reminder released after a lease and re-claimed elsewhere is not marked twice.
    """
    reminder = (
        Reminder.objects.select_related("appointment__patient", "appointment__type")
        .filter(pk=reminder_id, claim_token=token, status=Reminder.Status.SENDING)
        .first()
    )
    if reminder is None:
        return "not-claimed"
    # The patient's contact details as they are now, not as they were at booking: a changed
    # address gets the reminder, a withdrawn SMS consent stops it.
    recipient, reason = _channel_now(
        _reminder_channels(reminder.appointment.patient), reminder.channel
    )
    if reason:
        Reminder.objects.filter(pk=reminder.pk, claim_token=token).update(
            status=Reminder.Status.SKIPPED,
            skip_reason=reason,
            claim_token=None,
            updated_at=now or timezone.now(),
        )
        return Reminder.Status.SKIPPED
    reminder.recipient = recipient
    try:
        messages.deliver(reminder)
    except Exception as error:  # noqa: BLE001 - any provider failure is retried, never lost
        now = now or timezone.now()
        attempt = reminder.attempts + 1
        logger.warning("reminder %s attempt %s failed: %s", reminder.pk, attempt, type(error))
        if attempt > len(RETRY_DELAYS) or reminder.appointment.starts_at <= now:
            status, send_after = Reminder.Status.FAILED, reminder.send_after
        else:
            status, send_after = Reminder.Status.PENDING, now + RETRY_DELAYS[attempt - 1]
        Reminder.objects.filter(pk=reminder.pk, claim_token=token).update(
            status=status,
            attempts=attempt,
            send_after=send_after,
            claim_token=None,
            last_error=f"{type(error).__name__}: {error}"[:500],
            updated_at=now,
        )
        return status
    now = now or timezone.now()
    Reminder.objects.filter(pk=reminder.pk, claim_token=token).update(
        status=Reminder.Status.SENT,
        recipient=recipient,
        attempts=reminder.attempts + 1,
        sent_at=now,
        last_error="",
        updated_at=now,
    )
    return Reminder.Status.SENT


@transaction.atomic
def reminder_retry(*, reminder: Reminder, by: User, now: datetime | None = None) -> Reminder:
    """Front desk: try a failed or skipped reminder again now (after fixing the contact, say).

    Only this row changes. Re-planning the whole visit (``reminders_plan``) would also reset
    the back-off of its other reminders and relabel late ones, and the appointment is locked
    so a reschedule or cancellation cannot interleave. The row is written with a conditional
    UPDATE, so a row a worker has meanwhile claimed is left to the worker.
    """
    now = now or timezone.now()
    appointment = _locked(reminder.appointment)
    reminder.refresh_from_db()
    if reminder.status not in (Reminder.Status.FAILED, Reminder.Status.SKIPPED):
        raise SchedulingError("Only failed or skipped reminders can be retried.")
    if appointment.starts_at <= now or not appointment.is_open:
        raise SchedulingError("The appointment is no longer upcoming.")
    current = {channel: (to, why) for channel, to, why in _reminder_channels(appointment.patient)}
    recipient, reason = current.get(reminder.channel, ("", "The patient no longer asks for these."))
    if reason:
        # Still not sendable: say why on the row (the page shows it) rather than queue a send
        # that can only be skipped.
        Reminder.objects.filter(pk=reminder.pk, status=reminder.status).update(
            status=Reminder.Status.SKIPPED, skip_reason=reason, updated_at=now
        )
    else:
        Reminder.objects.filter(pk=reminder.pk, status=reminder.status).update(
            status=Reminder.Status.PENDING,
            recipient=recipient,
            send_after=now,
            attempts=0,
            skip_reason="",
            claim_token=None,
            updated_at=now,
        )
    reminder.refresh_from_db()
    logger.info("reminder %s retried by user %s", reminder.pk, by.pk)
    return reminder
