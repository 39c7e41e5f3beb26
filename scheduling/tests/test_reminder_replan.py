"""Changing a patient's reminder details re-plans the reminders of their upcoming visits
(``scheduling.services.reminders_replan_for_patient``, called by the patient services)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from patients import services as patient_services
from patients.models import Patient
from patients.tests.factories import PatientFactory, UserFactory, make_consent_document
from scheduling import services, tasks
from scheduling.models import Reminder
from scheduling.services import reminders
from scheduling.tests.factories import AppointmentFactory, tomorrow_at

pytestmark = pytest.mark.django_db

EMAIL, SMS = Reminder.Channel.EMAIL, Reminder.Channel.SMS


def patient_with(**details) -> Patient:
    """A patient whose reminder details are set directly (SMS consent has its own service)."""
    patient = PatientFactory()
    Patient.objects.filter(pk=patient.pk).update(**details)
    patient.refresh_from_db()
    return patient


def update(patient: Patient, **fields) -> Patient:
    return patient_services.patient_update(
        patient=Patient.objects.get(pk=patient.pk), by=UserFactory(), **fields
    )


def rows(appointment) -> dict[tuple[str, int], tuple[str, str, str]]:
    return {
        (r.channel, r.offset_hours): (r.status, r.skip_reason, r.recipient)
        for r in appointment.reminders.all()
    }


def snapshot(appointment) -> list[dict]:
    return list(appointment.reminders.order_by("pk").values())


# --- each transition ---------------------------------------------------------------------------


def test_adding_the_missing_email_plans_the_skipped_reminders():
    patient = patient_with(email="", remind_by_email=True)
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    assert {s for s, _r, _to in rows(appointment).values()} == {"skipped"}

    update(patient, email="new@example.org")

    assert rows(appointment) == {
        (EMAIL, 48): ("pending", "", "new@example.org"),
        (EMAIL, 2): ("pending", "", "new@example.org"),
    }
    for reminder in appointment.reminders.all():
        assert reminder.due_at == appointment.starts_at - timedelta(hours=reminder.offset_hours)
        assert reminder.send_after == reminder.due_at
        assert reminder.attempts == 0


def test_the_fixed_reminder_goes_out_at_its_time():
    patient = patient_with(email="", remind_by_email=True)
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    update(patient, email="new@example.org")
    due = appointment.starts_at - timedelta(hours=2)
    with time_machine.travel(due + timedelta(seconds=30), tick=False):
        assert tasks.send_due_reminders() == {"sent": 2}  # the 48 h one is due too, and unsent
    assert appointment.reminders.filter(status="sent").count() == 2


def test_switching_from_email_to_sms_plans_texts_and_skips_the_emails():
    patient = patient_with(sms_consent=True)
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))

    update(patient, remind_by_email=False, remind_by_sms=True)

    phone = str(patient.phone)
    assert rows(appointment) == {
        (EMAIL, 48): ("skipped", services.CHANNEL_DROPPED, ""),
        (EMAIL, 2): ("skipped", services.CHANNEL_DROPPED, ""),
        (SMS, 48): ("pending", "", phone),
        (SMS, 2): ("pending", "", phone),
    }


def test_choosing_sms_without_a_mobile_number_shows_why_it_cannot_go_out():
    patient = patient_with(sms_consent=True, phone="")
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))

    update(patient, remind_by_sms=True)

    assert rows(appointment)[(SMS, 2)] == ("skipped", services.NO_MOBILE, "")
    assert rows(appointment)[(EMAIL, 2)][0] == "pending"

    update(patient, phone="+17345550199")
    assert rows(appointment)[(SMS, 2)] == ("pending", "", "+17345550199")


def test_giving_sms_consent_plans_the_texts_that_were_skipped_for_want_of_it():
    patient = patient_with(remind_by_email=False, remind_by_sms=True, sms_consent=False)
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    assert rows(appointment)[(SMS, 48)][:2] == ("skipped", services.NO_SMS_CONSENT)

    patient_services.consent_sign(
        patient=patient,
        document=make_consent_document(),
        typed_name=patient.legal_name,
        sms_consent=True,
        by=UserFactory(),
    )

    assert {k: v[:2] for k, v in rows(appointment).items()} == {
        (SMS, 48): ("pending", ""),
        (SMS, 2): ("pending", ""),
    }


def test_withdrawing_sms_consent_skips_the_planned_texts_and_keeps_the_emails():
    patient = patient_with(remind_by_sms=True, sms_consent=True)
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))

    patient_services.sms_consent_withdraw(patient=patient, by=UserFactory())

    assert {k: v[:2] for k, v in rows(appointment).items()} == {
        (EMAIL, 48): ("pending", ""),
        (EMAIL, 2): ("pending", ""),
        (SMS, 48): ("skipped", services.CHANNEL_DROPPED),
        (SMS, 2): ("skipped", services.CHANNEL_DROPPED),
    }


def test_removing_the_email_skips_the_planned_reminders_with_the_reason():
    patient = PatientFactory()
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))

    update(patient, email="")

    assert set(rows(appointment).values()) == {("skipped", services.NO_EMAIL, "")}


def test_turning_reminders_off_and_on_again():
    patient = PatientFactory()
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))

    update(patient, remind_by_email=False)
    assert set(rows(appointment).values()) == {("skipped", services.NO_REMINDERS, "")}
    assert appointment.reminders.count() == 2  # labelled, not doubled

    update(patient, remind_by_email=True)
    assert set(rows(appointment).values()) == {("pending", "", patient.email)}


def test_a_changed_email_becomes_the_planned_reminders_recipient():
    patient = PatientFactory()
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))

    update(patient, email="moved@example.org")

    assert set(rows(appointment).values()) == {("pending", "", "moved@example.org")}


def test_a_channel_dropped_at_a_reschedule_is_planned_again_when_chosen_again():
    patient = patient_with(remind_by_sms=True, sms_consent=True)
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    # The channel dropped behind the services' back, then a reschedule: reminders_plan cancels
    # the rows of a channel no longer asked for.
    Patient.objects.filter(pk=patient.pk).update(remind_by_sms=False)
    services.appointment_reschedule(
        appointment=appointment,
        starts_at=tomorrow_at(12, days=5),
        by=appointment.booked_by,
        allow_outside_hours=True,
    )
    assert rows(appointment)[(SMS, 2)][0] == "cancelled"

    update(patient, remind_by_sms=True)

    appointment.refresh_from_db()
    reminder = appointment.reminders.get(channel=SMS, offset_hours=2)
    assert reminder.status == "pending"
    assert reminder.due_at == reminder.send_after == appointment.starts_at - timedelta(hours=2)


def test_replanning_twice_changes_nothing_the_second_time():
    patient = patient_with(email="", sms_consent=True)
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    patient.email, patient.remind_by_sms = "new@example.org", True

    first = services.reminders_replan_for_patient(patient=patient)
    before = snapshot(appointment)
    second = services.reminders_replan_for_patient(patient=patient)

    assert first == {"planned": 4}
    assert second == {}
    assert snapshot(appointment) == before
    assert appointment.reminders.count() == 4


# --- time ------------------------------------------------------------------------------------


def test_a_reminder_whose_time_passed_is_not_revived_and_says_why():
    start = tomorrow_at(10, days=5)
    patient = patient_with(email="", remind_by_email=True)
    appointment = AppointmentFactory(patient=patient, starts_at=start)
    with time_machine.travel(start - timedelta(hours=24), tick=False):
        update(patient, email="new@example.org")
    assert rows(appointment) == {
        (EMAIL, 48): ("skipped", services.CONTACT_CHANGED_LATE, "new@example.org"),
        (EMAIL, 2): ("pending", "", "new@example.org"),
    }


def test_a_channel_chosen_after_a_reminders_time_gets_only_the_reminders_still_ahead():
    start = tomorrow_at(10, days=5)
    patient = patient_with(sms_consent=True)
    appointment = AppointmentFactory(patient=patient, starts_at=start)
    with time_machine.travel(start - timedelta(hours=24), tick=False):
        update(patient, remind_by_sms=True)
    assert rows(appointment)[(SMS, 48)][:2] == ("skipped", services.CONTACT_CHANGED_LATE)
    assert rows(appointment)[(SMS, 2)][:2] == ("pending", "")


def test_a_reminder_skipped_for_its_time_at_booking_keeps_its_reason():
    patient = PatientFactory()
    appointment = AppointmentFactory(patient=patient, starts_at=timezone.now() + timedelta(hours=5))
    assert rows(appointment)[(EMAIL, 48)][:2] == ("skipped", services.BOOKED_LATE)
    late = appointment.reminders.get(offset_hours=48)
    before = Reminder.objects.filter(pk=late.pk).values().get()

    update(patient, email="moved@example.org")

    assert Reminder.objects.filter(pk=late.pk).values().get() == before
    assert rows(appointment)[(EMAIL, 2)] == ("pending", "", "moved@example.org")


def test_a_past_appointment_is_left_as_it_is():
    start = tomorrow_at(10, days=5)
    patient = patient_with(email="", remind_by_email=True)
    appointment = AppointmentFactory(patient=patient, starts_at=start)
    before = snapshot(appointment)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        update(patient, email="new@example.org", remind_by_sms=False)
    assert snapshot(appointment) == before


def test_a_cancelled_appointment_is_left_as_it_is():
    patient = patient_with(email="", remind_by_email=True)
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    services.appointment_cancel(appointment=appointment, reason="Ill", by=appointment.booked_by)
    before = snapshot(appointment)

    update(patient, email="new@example.org")

    assert snapshot(appointment) == before


# --- rows that are not ours to touch -------------------------------------------------------------


def test_a_row_in_retry_back_off_is_left_as_it_is():
    patient = PatientFactory()
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    retrying = appointment.reminders.get(offset_hours=2)
    Reminder.objects.filter(pk=retrying.pk).update(
        attempts=2,
        send_after=retrying.due_at + timedelta(minutes=5),
        last_error="ConnectionError: SMTP down",
    )
    before = Reminder.objects.filter(pk=retrying.pk).values().get()

    update(patient, email="moved@example.org")
    assert Reminder.objects.filter(pk=retrying.pk).values().get() == before
    update(patient, email="")
    assert Reminder.objects.filter(pk=retrying.pk).values().get() == before
    # The row never tried is re-planned as usual.
    assert rows(appointment)[(EMAIL, 48)] == ("skipped", services.NO_EMAIL, "")


def test_a_sent_reminder_is_left_as_it_is():
    patient = PatientFactory()
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    appointment.reminders.filter(offset_hours=48).update(
        status=Reminder.Status.SENT, sent_at=timezone.now(), attempts=1
    )
    before = snapshot(appointment)[0]

    update(patient, email="", remind_by_email=False)

    assert snapshot(appointment)[0] == before


def test_a_reminder_being_sent_is_left_to_its_worker():
    patient = PatientFactory()
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    appointment.reminders.update(send_after=timezone.now())
    token, ids = services.reminders_claim_due()
    assert len(ids) == 2
    before = snapshot(appointment)

    update(patient, email="")

    assert snapshot(appointment) == before
    # The worker re-reads the contact details at sending time and skips it itself.
    assert services.reminder_send(reminder_id=ids[0], token=token) == "skipped"


def test_a_row_claimed_between_the_read_and_the_write_is_left_to_the_worker():
    patient = PatientFactory()
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    appointment.reminders.update(send_after=timezone.now())
    claimed = {}
    channel_now = reminders._channel_now

    def claim_first(*args, **kwargs):
        # A worker's claim lands after the rows were read, before the first write.
        if not claimed:
            claimed["token"], claimed["ids"] = services.reminders_claim_due()
        return channel_now(*args, **kwargs)

    with mock.patch.object(reminders, "_channel_now", side_effect=claim_first):
        result = services.reminders_replan_for_patient(
            patient=Patient(pk=patient.pk, email="", remind_by_email=True)
        )

    assert result == {}
    assert len(claimed["ids"]) == 2
    assert set(appointment.reminders.values_list("status", "claim_token")) == {
        ("sending", claimed["token"])
    }


def test_changing_a_detail_reminders_do_not_use_changes_no_reminder():
    patient = patient_with(email="", remind_by_email=True)
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    before = snapshot(appointment)

    with mock.patch(
        "scheduling.services.reminders_replan_for_patient",
        side_effect=AssertionError("re-planned"),
    ):
        update(patient, referral_source="A friend", city="Ypsilanti")

    assert snapshot(appointment) == before


def test_archiving_a_patient_leaves_their_reminders_as_they_are():
    patient = PatientFactory()
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    before = snapshot(appointment)

    patient_services.patient_archive(patient=patient, by=UserFactory())

    assert snapshot(appointment) == before


# --- end to end ---------------------------------------------------------------------------------


def form_data(patient: Patient, **changes) -> dict[str, str]:
    data = {
        "legal_first_name": patient.legal_first_name,
        "legal_last_name": patient.legal_last_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex_assigned_at_birth": patient.sex_assigned_at_birth,
        "phone": str(patient.phone or ""),
        "email": patient.email,
    }
    if patient.remind_by_email:
        data["remind_by_email"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_front_desk_fixes_the_email_and_the_visits_reminder_shows_as_planned(as_front_desk):
    patient = patient_with(email="", remind_by_email=True, sex_assigned_at_birth="female")
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    board = reverse("scheduling:reminders")
    detail = reverse("scheduling:appointment_detail", args=[appointment.pk])
    assert services.NO_EMAIL in as_front_desk.get(detail).content.decode()

    response = as_front_desk.post(
        reverse("patients:update", args=[patient.pk]),
        form_data(patient, email="Fixed@Example.org"),
    )

    assert response.status_code == 302
    page = as_front_desk.get(detail).content.decode()
    assert services.NO_EMAIL not in page
    assert page.count("Planned") == 2 and "fixed@example.org" in page
    skipped = as_front_desk.get(board).context["skipped"]
    assert appointment.pk not in {r.appointment_id for r in skipped}
    assert {r.appointment_id for r in as_front_desk.get(board).context["next"]} == {appointment.pk}


def test_front_desk_turning_reminders_off_shows_the_reason_on_the_visit(as_front_desk):
    patient = patient_with(sex_assigned_at_birth="female")
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))

    response = as_front_desk.post(
        reverse("patients:update", args=[patient.pk]),
        form_data(patient, remind_by_email=None),
    )

    assert response.status_code == 302
    page = as_front_desk.get(
        reverse("scheduling:appointment_detail", args=[appointment.pk])
    ).content.decode()
    assert page.count(services.NO_REMINDERS) == 2
