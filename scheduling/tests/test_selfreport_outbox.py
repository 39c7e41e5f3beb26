"""The self-report outbox: questionnaire links before visits and from the chart, the next-day
check-in after a dose (planned across a daylight-saving change), the safety plan; sent exactly
once like reminders; every kind of message names no instrument, drug, diagnosis or score."""

from __future__ import annotations

import re
import threading
from datetime import datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from patients import services as patient_services
from patients.models import Patient, SelfReportLink
from patients.selfreport import tokens
from patients.tests.factories import PatientFactory, UserFactory
from scheduling import selfreport_messages, services, tasks
from scheduling.models import AppointmentType, PatientMessage, Room, forbidden_words_in
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    RoomFactory,
    tomorrow_at,
)

pytestmark = pytest.mark.django_db
URL = re.compile(r"https?://\S+")
DETROIT = ZoneInfo("America/Detroit")
UTC = ZoneInfo("UTC")


def sms_patient(**kwargs) -> Patient:
    patient = PatientFactory(remind_by_email=True, **kwargs)
    Patient.objects.filter(pk=patient.pk).update(remind_by_sms=True, sms_consent=True)
    patient.refresh_from_db()
    return patient


def dosing_type(**kw) -> AppointmentType:
    RoomFactory(name="Infusion 1", kind=Room.Kind.INFUSION)
    return AppointmentTypeFactory(
        name="Dosing session",
        kind=AppointmentType.Kind.DOSING,
        room_kind=Room.Kind.INFUSION,
        questionnaires="phq9, cssrs",
        questionnaire_hours=24,
        **kw,
    )


def test_a_dosing_visit_plans_a_questionnaire_24h_before_and_a_check_in_next_morning():
    starts = tomorrow_at(10, days=5)
    appointment = AppointmentFactory(type=dosing_type(), patient=sms_patient(), starts_at=starts)
    rows = {(m.kind, m.channel): m for m in appointment.patient_messages.all()}
    assert set(rows) == {
        ("questionnaire", "email"),
        ("questionnaire", "sms"),
        ("checkin", "email"),
        ("checkin", "sms"),
    }
    assert rows["questionnaire", "email"].due_at == starts - timedelta(hours=24)
    assert rows["questionnaire", "email"].instruments == ["phq9", "cssrs"]
    local = timezone.localtime(rows["checkin", "email"].due_at)
    assert local.date() == timezone.localdate(starts) + timedelta(days=1)
    assert local.time() == time(9, 0)


def test_a_reschedule_moves_them_and_switching_off_cancels_them(clinician):
    appointment = AppointmentFactory(type=dosing_type(), starts_at=tomorrow_at(10, days=5))
    moved = services.appointment_reschedule(
        appointment=appointment,
        starts_at=tomorrow_at(10, days=7),
        by=clinician,
        allow_outside_hours=True,
    )
    q = moved.patient_messages.get(kind="questionnaire")
    assert q.due_at == moved.starts_at - timedelta(hours=24)
    services.selfreport_preference_update(
        patient=moved.patient, before_visits=False, on_schedule=True, checkins=True
    )
    statuses = dict(moved.patient_messages.values_list("kind", "status"))
    assert statuses == {"questionnaire": "cancelled", "checkin": "pending"}


@pytest.mark.parametrize(
    ("dose_local", "expected_utc"),
    [
        # Spring forward: Sunday 8 March 2026, 02:00 EST -> 03:00 EDT. 09:00 EDT = 13:00 UTC.
        (datetime(2026, 3, 7, 10, 0, tzinfo=DETROIT), datetime(2026, 3, 8, 13, 0, tzinfo=UTC)),
        # Fall back: Sunday 1 November 2026, 02:00 EDT -> 01:00 EST. 09:00 EST = 14:00 UTC.
        (datetime(2026, 10, 31, 10, 0, tzinfo=DETROIT), datetime(2026, 11, 1, 14, 0, tzinfo=UTC)),
        # The day before the change keeps the old offset.
        (datetime(2026, 3, 6, 10, 0, tzinfo=DETROIT), datetime(2026, 3, 7, 14, 0, tzinfo=UTC)),
        # A late dose still gets its check-in the next calendar morning.
        (datetime(2026, 10, 31, 23, 30, tzinfo=DETROIT), datetime(2026, 11, 1, 14, 0, tzinfo=UTC)),
    ],
)
def test_next_day_check_in_is_9am_local_across_daylight_saving(settings, dose_local, expected_utc):
    settings.TIME_ZONE = "America/Detroit"
    due = services.checkin_due_at(dose_local)
    assert due == expected_utc
    assert due.astimezone(UTC) == expected_utc
    assert due.astimezone(DETROIT).time() == time(9, 0)


def make_due() -> None:
    PatientMessage.objects.update(send_after=timezone.now() - timedelta(seconds=1))


def test_due_messages_are_sent_once_even_when_the_task_runs_twice(clinician):
    patient = PatientFactory(remind_by_email=True)
    services.questionnaire_send(patient=patient, instruments=["phq9"], by=clinician)
    assert tasks.send_due_patient_messages() == {"sent": 1}
    assert tasks.send_due_patient_messages() == {}
    assert len(mail.outbox) == 1
    message = PatientMessage.objects.get()
    assert message.status == "sent" and message.link is not None
    assert mail.outbox[0].extra_headers["X-KAP-Patient-Message"] == str(message.pk)
    token = re.search(r"/patients/r/([^/\s]+)/", mail.outbox[0].body).group(1)
    assert tokens.link_for_token(token) == message.link


def test_a_claimed_message_cannot_be_claimed_or_sent_by_another_worker(clinician):
    services.questionnaire_send(patient=sms_patient(), instruments=["gad7"], by=clinician)
    token_a, ids_a = services.patient_messages_claim_due()
    token_b, ids_b = services.patient_messages_claim_due()
    assert len(ids_a) == 2 and ids_b == []
    assert services.patient_message_send(message_id=ids_a[0], token=token_b) == "not-claimed"
    assert services.patient_message_send(message_id=ids_a[0], token=token_a) == "sent"
    assert services.patient_message_send(message_id=ids_a[0], token=token_a) == "not-claimed"


def test_a_dead_workers_claim_is_released_after_the_lease(settings, clinician):
    settings.REMINDER_CLAIM_LEASE_SECONDS = 60
    services.questionnaire_send(patient=PatientFactory(), instruments=["phq9"], by=clinician)
    _dead, ids = services.patient_messages_claim_due()
    assert services.patient_messages_claim_due()[1] == []
    _token, again = services.patient_messages_claim_due(now=timezone.now() + timedelta(seconds=61))
    assert again == ids


def test_a_failed_send_is_retried_with_the_same_link(clinician):
    services.questionnaire_send(patient=PatientFactory(), instruments=["phq9"], by=clinician)
    with mock.patch.object(selfreport_messages, "deliver", side_effect=OSError("smtp down")):
        assert tasks.send_due_patient_messages() == {"pending": 1}
    first = PatientMessage.objects.get()
    assert first.attempts == 1 and first.link is not None and "smtp down" in first.last_error
    make_due()
    assert tasks.send_due_patient_messages() == {"sent": 1}
    assert PatientMessage.objects.get().link_id == first.link_id
    assert SelfReportLink.objects.count() == 1


def test_cancelled_visit_skips_its_questionnaire_and_check_in(clinician):
    appointment = AppointmentFactory(type=dosing_type(), starts_at=tomorrow_at(10, days=5))
    services.appointment_cancel(appointment=appointment, reason="ill", by=clinician)
    make_due()
    tasks.send_due_patient_messages()
    assert set(appointment.patient_messages.values_list("status", flat=True)) == {"skipped"}
    assert mail.outbox == []


def test_unreachable_patient_cannot_be_sent_a_questionnaire(clinician):
    from django.core.exceptions import ValidationError

    patient = PatientFactory(email="", remind_by_email=True)
    with pytest.raises(ValidationError, match="No e-mail"):
        services.questionnaire_send(patient=patient, instruments=["phq9"], by=clinician)
    assert not PatientMessage.objects.exists()


def test_scheduled_questionnaires_weekly_in_treatment_and_safe_to_run_twice(clinician):
    in_course = PatientFactory(status=Patient.Status.IN_TREATMENT)
    PatientFactory(status=Patient.Status.INQUIRY)
    switched_off = PatientFactory(status=Patient.Status.MAINTENANCE)
    services.selfreport_preference_update(
        patient=switched_off, before_visits=True, on_schedule=False, checkins=True
    )
    assert services.plan_scheduled_questionnaires() == 1
    assert services.plan_scheduled_questionnaires() == 0
    row = PatientMessage.objects.get()
    assert row.patient == in_course and row.instruments == ["phq9"]
    later = timezone.now() + timedelta(days=8)
    assert services.plan_scheduled_questionnaires(now=later) == 1


def _signed_plan(patient, by):
    plan = patient_services.safety_plan_save(
        patient=patient, by=by, warning_signs="Not sleeping", people_to_ask="Sam 555 0101"
    )
    return patient_services.safety_plan_sign(plan=plan, by=by)


@pytest.mark.parametrize("kind", PatientMessage.Kind.values)
def test_rendered_messages_of_every_kind_name_no_instrument_drug_diagnosis_or_score(
    kind, clinician
):
    patient = sms_patient(legal_first_name="Robin")
    if kind == "questionnaire":
        services.questionnaire_send(
            patient=patient, instruments=["phq9", "gad7", "pcl5", "cssrs"], by=clinician
        )
    elif kind == "checkin":
        AppointmentFactory(type=dosing_type(), patient=patient, starts_at=tomorrow_at(10, days=2))
        PatientMessage.objects.exclude(kind="checkin").delete()
    elif kind == "intake":
        services.intake_forms_send(patient=patient, by=clinician)
    else:
        services.safety_plan_send(plan=_signed_plan(patient, clinician), by=clinician)
    make_due()
    token, ids = services.patient_messages_claim_due()
    for message_id in ids:
        assert services.patient_message_send(message_id=message_id, token=token) == "sent"
    for message in PatientMessage.objects.filter(kind=kind).select_related("patient", "link"):
        subject, text, html = selfreport_messages.render_email(message, message.link)
        sms = selfreport_messages.render_sms(message, message.link)
        for rendered in (subject, text, html, sms):
            plain = URL.sub("", rendered).lower()
            assert not forbidden_words_in(plain), (kind, forbidden_words_in(plain))
            for word in ("safety", "plan", "risk", "check-in after", "treatment", "mood"):
                assert word not in plain, (kind, word)
        for rendered in (text, html, sms):
            assert "robin" in rendered.lower()
            assert "/patients/r/" in rendered
        assert selfreport_messages.WHAT[kind] in subject.lower()
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_claiming_at_once_take_each_message_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite serialises every write anyway")
    by = UserFactory()
    for _ in range(20):
        services.questionnaire_send(patient=PatientFactory(), instruments=["phq9"], by=by)
    claimed: list[list[int]] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            claimed.append(services.patient_messages_claim_due(limit=8)[1])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [pk for ids in claimed for pk in ids]
    assert len(every) == len(set(every)) == 20


def test_a_contact_fix_replans_the_visits_messages(clinician):
    from patients import services as registry

    patient = PatientFactory(email="", remind_by_email=True)
    visit = AppointmentFactory(
        type=dosing_type(), patient=patient, starts_at=tomorrow_at(10, days=5)
    )
    assert set(visit.patient_messages.values_list("status", "skip_reason")) == {
        ("skipped", "No e-mail.")
    }
    registry.patient_update(patient=patient, by=clinician, email="found@example.org")
    rows = visit.patient_messages.all()
    assert {(r.status, r.recipient) for r in rows} == {("pending", "found@example.org")}
