from __future__ import annotations

import json
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db.models import F
from django.utils import timezone

from patients.models import Patient
from patients.tests.factories import PatientFactory
from scheduling import messages, services, sms, tasks
from scheduling.models import (
    FORBIDDEN_REMINDER_WORDS,
    AppointmentType,
    Reminder,
    forbidden_words_in,
)
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    RoomFactory,
    tomorrow_at,
)

pytestmark = pytest.mark.django_db


def sms_patient(**kwargs):
    patient = PatientFactory(remind_by_email=True, **kwargs)
    Patient.objects.filter(pk=patient.pk).update(remind_by_sms=True, sms_consent=True)
    patient.refresh_from_db()
    return patient


def test_booking_plans_one_row_per_channel_and_offset():
    appointment = AppointmentFactory(patient=sms_patient(), starts_at=tomorrow_at(10, days=5))
    rows = {(r.channel, r.offset_hours): r for r in appointment.reminders.all()}
    assert set(rows) == {("email", 48), ("email", 2), ("sms", 48), ("sms", 2)}
    assert rows[("email", 48)].due_at == appointment.starts_at - timedelta(hours=48)
    assert all(r.status == Reminder.Status.PENDING for r in rows.values())


def test_rescheduling_moves_the_reminders_and_cancelling_cancels_them():
    appointment = AppointmentFactory(starts_at=tomorrow_at(10, days=5))
    moved = services.appointment_reschedule(
        appointment=appointment,
        starts_at=tomorrow_at(14, days=6),
        by=appointment.booked_by,
        allow_outside_hours=True,
    )
    assert moved.reminders.count() == 2
    for reminder in moved.reminders.all():
        assert reminder.due_at == moved.starts_at - timedelta(hours=reminder.offset_hours)
        assert reminder.send_after == reminder.due_at
    services.appointment_cancel(appointment=moved, reason="Ill", by=moved.booked_by)
    assert set(moved.reminders.values_list("status", flat=True)) == {Reminder.Status.CANCELLED}


def test_a_sent_reminder_is_sent_again_for_the_new_time_after_a_reschedule():
    appointment = AppointmentFactory(starts_at=tomorrow_at(10, days=5))
    appointment.reminders.update(status=Reminder.Status.SENT, sent_at=timezone.now())
    services.appointment_reschedule(
        appointment=appointment,
        starts_at=tomorrow_at(11, days=5),
        by=appointment.booked_by,
        allow_outside_hours=True,
    )
    assert set(appointment.reminders.values_list("status", flat=True)) == {"pending"}


def test_unreachable_patients_get_skipped_rows_with_a_reason():
    no_email = PatientFactory(email="", remind_by_email=True)
    appointment = AppointmentFactory(patient=no_email, starts_at=tomorrow_at(10, days=5))
    assert set(appointment.reminders.values_list("status", "skip_reason")) == {
        ("skipped", "No e-mail.")
    }
    no_consent = PatientFactory(remind_by_email=False)
    Patient.objects.filter(pk=no_consent.pk).update(remind_by_sms=True)
    no_consent.refresh_from_db()
    other = AppointmentFactory(patient=no_consent, starts_at=tomorrow_at(12, days=5))
    assert set(other.reminders.values_list("channel", "status", "skip_reason")) == {
        ("sms", "skipped", "No SMS consent on file.")
    }


def test_a_reminder_whose_time_passed_before_booking_is_skipped():
    appointment = AppointmentFactory(starts_at=timezone.now() + timedelta(hours=5))
    statuses = dict(appointment.reminders.values_list("offset_hours", "status"))
    assert statuses == {48: "skipped", 2: "pending"}


def make_due(appointment):
    appointment.reminders.filter(status="pending").update(send_after=timezone.now())


def test_due_reminders_are_sent_once_even_when_the_task_runs_twice():
    appointment = AppointmentFactory(starts_at=tomorrow_at(10, days=5))
    make_due(appointment)
    assert tasks.send_due_reminders() == {"sent": 2}
    assert tasks.send_due_reminders() == {}
    assert len(mail.outbox) == 2
    assert {m.extra_headers["X-KAP-Reminder"] for m in mail.outbox} == {
        str(pk) for pk in appointment.reminders.values_list("pk", flat=True)
    }


def test_a_claimed_row_cannot_be_claimed_or_sent_by_another_worker():
    appointment = AppointmentFactory(starts_at=tomorrow_at(10, days=5))
    make_due(appointment)
    token_a, ids_a = services.reminders_claim_due()
    token_b, ids_b = services.reminders_claim_due()
    assert len(ids_a) == 2 and ids_b == []
    assert services.reminder_send(reminder_id=ids_a[0], token=token_b) == "not-claimed"
    assert services.reminder_send(reminder_id=ids_a[0], token=token_a) == "sent"
    assert services.reminder_send(reminder_id=ids_a[0], token=token_a) == "not-claimed"
    assert len(mail.outbox) == 1


def test_a_dead_workers_claim_is_released_after_the_lease(settings):
    settings.REMINDER_CLAIM_LEASE_SECONDS = 60
    appointment = AppointmentFactory(starts_at=tomorrow_at(10, days=5))
    make_due(appointment)
    _dead_token, ids = services.reminders_claim_due()
    assert services.reminders_claim_due()[1] == []
    later = timezone.now() + timedelta(seconds=61)
    _token, again = services.reminders_claim_due(now=later)
    assert sorted(again) == sorted(ids)


def test_failures_retry_with_back_off_then_show_as_failed():
    appointment = AppointmentFactory(starts_at=tomorrow_at(10, days=5))
    appointment.reminders.filter(offset_hours=48).update(status="cancelled")
    make_due(appointment)
    reminder = appointment.reminders.get(offset_hours=2)
    now = timezone.now()
    with mock.patch.object(messages, "deliver", side_effect=ConnectionError("SMTP down")):
        for attempt, delay in enumerate(services.RETRY_DELAYS, start=1):
            token, ids = services.reminders_claim_due(now=now)
            assert ids == [reminder.pk]
            assert services.reminder_send(reminder_id=reminder.pk, token=token, now=now) == (
                "pending"
            )
            reminder.refresh_from_db()
            assert reminder.attempts == attempt
            assert reminder.send_after == now + delay
            assert "SMTP down" in reminder.last_error
            assert services.reminders_claim_due(now=now)[1] == []
            now = reminder.send_after
        token, _ids = services.reminders_claim_due(now=now)
        assert services.reminder_send(reminder_id=reminder.pk, token=token, now=now) == "failed"
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.FAILED


def test_reminders_for_appointments_that_started_are_not_sent():
    appointment = AppointmentFactory(starts_at=timezone.now() + timedelta(hours=3))
    make_due(appointment)
    later = appointment.starts_at + timedelta(minutes=1)
    assert services.reminders_claim_due(now=later)[1] == []
    assert appointment.reminders.filter(status="pending").count() == 0


URL = re.compile(r"https?://\S+")


@pytest.mark.parametrize("kind", AppointmentType.Kind.values)
def test_rendered_reminders_carry_no_drug_diagnosis_or_score(kind):
    from scheduling.demo import TYPES

    name, kind_, minutes, room_kind, provided_by, colour, text = next(
        v for v in TYPES.values() if v[1] == kind
    )
    RoomFactory(name=f"R {room_kind}", kind=room_kind)
    type_ = AppointmentTypeFactory(
        name=name,
        kind=kind_,
        duration_minutes=minutes,
        room_kind=room_kind,
        preparation_instructions=text,
    )
    type_.full_clean()
    appointment = AppointmentFactory(type=type_, patient=sms_patient())
    subject, body, html = messages.render_email(appointment)
    texts = [subject, body, html, messages.render_sms(appointment)]
    for text_ in texts:
        without_links = URL.sub("", text_).replace(type_.name, "")
        assert not forbidden_words_in(without_links), (kind, forbidden_words_in(without_links))
        assert appointment.type.name not in text_
    assert "/schedule/r/" in body
    assert appointment.starts_at.astimezone(timezone.get_current_timezone()).strftime("%-d") in body
    if kind == AppointmentType.Kind.DOSING:
        assert "/prepare/" in body and "6 hours" in body


def test_forbidden_words_are_refused_in_preparation_instructions():
    from django.core.exceptions import ValidationError

    type_ = AppointmentTypeFactory(preparation_instructions="Take 50 mg before your dose.")
    with pytest.raises(ValidationError) as caught:
        type_.full_clean()
    assert "mg" in str(caught.value) and "dose" in str(caught.value)
    assert "ketamine" in FORBIDDEN_REMINDER_WORDS


def test_sms_reminders_go_through_the_configured_backend(settings, tmp_path):
    settings.SMS_BACKEND = "scheduling.sms.FileBackend"
    settings.SMS_FILE_PATH = tmp_path
    appointment = AppointmentFactory(patient=sms_patient(), starts_at=tomorrow_at(10, days=5))
    appointment.reminders.filter(channel="email").update(status="cancelled")
    make_due(appointment)
    tasks.send_due_reminders()
    files = list(tmp_path.iterdir())
    assert len(files) == 2
    assert str(appointment.patient.phone) in files[0].read_text()


def test_twilio_backend_posts_to_the_rest_api(settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC123", "secret"
    settings.TWILIO_FROM_NUMBER = "+17345550000"
    response = mock.MagicMock()
    response.__enter__.return_value.read.return_value = json.dumps({"sid": "SM1"}).encode()
    with mock.patch("scheduling.sms.request.urlopen", return_value=response) as urlopen:
        assert sms.TwilioBackend().send(to="+17345551234", body="Hello") == "SM1"
    sent = urlopen.call_args.args[0]
    assert sent.full_url.endswith("/Accounts/AC123/Messages.json")
    assert b"To=%2B17345551234" in sent.data
    with (
        mock.patch("scheduling.sms.request.urlopen", side_effect=OSError("down")),
        pytest.raises(sms.SmsError),
    ):
        sms.TwilioBackend().send(to="+17345551234", body="Hello")


def test_front_desk_retry_puts_a_failed_reminder_back_in_the_queue():
    appointment = AppointmentFactory(starts_at=tomorrow_at(10, days=5))
    reminder = appointment.reminders.get(offset_hours=2)
    Reminder.objects.filter(pk=reminder.pk).update(
        status="failed", attempts=F("attempts") + 5, last_error="boom"
    )
    reminder.refresh_from_db()
    services.reminder_retry(reminder=reminder, by=appointment.booked_by)
    reminder.refresh_from_db()
    assert reminder.status == "pending" and reminder.send_after <= timezone.now()


def test_retrying_one_reminder_leaves_the_visits_other_reminders_as_they_are():
    appointment = AppointmentFactory(starts_at=tomorrow_at(10, days=5))
    failed = appointment.reminders.get(offset_hours=2)
    backing_off = appointment.reminders.get(offset_hours=48)
    later = timezone.now() + timedelta(minutes=15)
    Reminder.objects.filter(pk=failed.pk).update(status="failed", attempts=5, last_error="boom")
    Reminder.objects.filter(pk=backing_off.pk).update(
        attempts=2, send_after=later, last_error="SMTPServerDisconnected"
    )
    services.reminder_retry(reminder=failed, by=appointment.booked_by)
    backing_off.refresh_from_db()
    assert (backing_off.status, backing_off.attempts) == ("pending", 2)
    assert backing_off.send_after == later


def test_retrying_a_reminder_with_no_usable_contact_keeps_it_skipped_and_says_why():
    appointment = AppointmentFactory(
        patient=PatientFactory(email="", remind_by_email=True), starts_at=tomorrow_at(10, days=5)
    )
    reminder = appointment.reminders.get(offset_hours=2)
    assert reminder.status == "skipped"
    reminder = services.reminder_retry(reminder=reminder, by=appointment.booked_by)
    assert (reminder.status, reminder.skip_reason) == ("skipped", "No e-mail.")


def test_a_reminder_being_sent_cannot_be_retried():
    appointment = AppointmentFactory(starts_at=tomorrow_at(10, days=5))
    reminder = appointment.reminders.get(offset_hours=2)
    Reminder.objects.filter(pk=reminder.pk).update(status="sending")
    with pytest.raises(services.SchedulingError, match="Only failed or skipped"):
        services.reminder_retry(reminder=reminder, by=appointment.booked_by)


def test_reminders_use_the_contact_details_at_sending_time():
    appointment = AppointmentFactory(starts_at=tomorrow_at(10, days=5))
    make_due(appointment)
    Patient.objects.filter(pk=appointment.patient_id).update(email="new@example.org")
    tasks.send_due_reminders()
    assert {m.to[0] for m in mail.outbox} == {"new@example.org"}


def test_withdrawn_sms_consent_stops_a_planned_text():
    appointment = AppointmentFactory(patient=sms_patient(), starts_at=tomorrow_at(10, days=5))
    appointment.reminders.filter(channel="email").update(status="cancelled")
    make_due(appointment)
    Patient.objects.filter(pk=appointment.patient_id).update(sms_consent=False)
    assert tasks.send_due_reminders() == {"skipped": 2}
    assert set(
        appointment.reminders.filter(channel="sms").values_list("skip_reason", flat=True)
    ) == {"No SMS consent on file."}


def test_beat_sends_due_reminders_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-due-reminders"]
    assert entry["task"] == "scheduling.tasks.send_due_reminders"
    assert entry["schedule"] == 60.0
