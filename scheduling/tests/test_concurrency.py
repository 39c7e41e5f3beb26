"""Double booking under real concurrency (PostgreSQL): the row locks and the exclusion
constraints each make an overlap impossible."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, connection, connections, transaction

from patients.models import Patient
from patients.tests.factories import PatientFactory, UserFactory
from scheduling import services
from scheduling.models import Appointment
from scheduling.services import booking, checks, reminders
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    clinician_user,
    full_week_hours,
    tomorrow_at,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite serialises every write anyway")


# serialized_rollback: the flush after this test must not take the role groups with it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_bookings_of_one_clinician_slot_give_exactly_one(on_postgres):
    roomless = AppointmentTypeFactory(name="Telehealth follow-up", room_kind="")
    clinician = clinician_user()
    full_week_hours(clinician)
    desk = UserFactory()
    patients = [PatientFactory() for _ in range(20)]
    start = tomorrow_at(10)
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(patient) -> None:
        try:
            barrier.wait()
            services.appointment_book(
                patient=patient, type=roomless, clinician=clinician, starts_at=start, by=desk
            )
            result = "booked"
        except services.BookingConflict as error:
            result = error.messages[0]
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 20
    assert outcomes.count("booked") == 1
    refused = [o for o in outcomes if o != "booked"]
    assert all("is already booked" in message for message in refused)
    assert Appointment.objects.filter(clinician=clinician).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_an_overlap_that_skips_the_service(on_postgres):
    type_ = AppointmentTypeFactory(room_kind="")
    clinician = clinician_user()
    desk = UserFactory()
    start = tomorrow_at(10)
    first = services.appointment_book(
        patient=PatientFactory(),
        type=type_,
        clinician=clinician,
        starts_at=start,
        by=desk,
        allow_outside_hours=True,
    )
    with (
        pytest.raises(IntegrityError, match="appointment_no_clinician_overlap"),
        transaction.atomic(),
    ):
        Appointment.objects.create(
            patient=PatientFactory(),
            type=type_,
            clinician=clinician,
            starts_at=start + timedelta(minutes=30),
            ends_at=start + timedelta(minutes=90),
            booked_by=desk,
        )
    # A cancelled appointment does not hold its slot.
    services.appointment_cancel(appointment=first, reason="Moved", by=desk)
    Appointment.objects.create(
        patient=PatientFactory(),
        type=type_,
        clinician=clinician,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        booked_by=desk,
    )


# --- a change of the patient's reminder details against the appointment lifecycle -------------


def _in_thread(target, errors: list) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _hold_after(module, name: str, held: threading.Event):
    """Wrap ``module.<name>`` so the thread calling it signals, then keeps its locks a while."""
    real = getattr(module, name)

    def slow(*args, **kwargs):
        held.set()
        time.sleep(0.7)
        return real(*args, **kwargs)

    return slow


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_contact_change_and_a_reschedule_of_the_same_patient_do_not_deadlock(on_postgres):
    from patients import services as patient_services

    patient = PatientFactory(email="")
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    desk = UserFactory()
    held, errors = threading.Event(), []

    # The reschedule holds the appointment and only then asks for the patient row; the contact
    # change must take them in that order too, or each waits for the other.
    with mock.patch.object(checks, "_lock", _hold_after(checks, "_lock", held)):
        moving = _in_thread(
            lambda: services.appointment_reschedule(
                appointment=appointment,
                starts_at=tomorrow_at(12, days=5),
                by=desk,
                allow_outside_hours=True,
            ),
            errors,
        )
        assert held.wait(10)
        editing = _in_thread(
            lambda: patient_services.patient_update(
                patient=Patient.objects.get(pk=patient.pk), by=desk, email="new@example.org"
            ),
            errors,
        )
        moving.join(30)
        editing.join(30)

    assert errors == []
    appointment.refresh_from_db()
    assert appointment.starts_at == tomorrow_at(12, days=5)
    for reminder in appointment.reminders.all():
        assert (reminder.status, reminder.recipient) == ("pending", "new@example.org")
        assert reminder.due_at == appointment.starts_at - timedelta(hours=reminder.offset_hours)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_contact_fix_racing_a_cancellation_plans_nothing_on_the_cancelled_visit(on_postgres):
    from patients import services as patient_services

    patient = PatientFactory(email="")
    appointment = AppointmentFactory(patient=patient, starts_at=tomorrow_at(10, days=5))
    desk = UserFactory()
    held, errors = threading.Event(), []

    real_channels = reminders._reminder_channels

    def slow_channels(patient):
        # The contact change has read which visits are booked; it writes only after the
        # cancellation committed. Without the appointment lock it would plan a reminder for a
        # visit cancelled meanwhile.
        time.sleep(1.5)
        return real_channels(patient)

    with (
        mock.patch.object(
            booking, "_require_status", _hold_after(booking, "_require_status", held)
        ),
        mock.patch.object(reminders, "_reminder_channels", slow_channels),
    ):
        cancelling = _in_thread(
            lambda: services.appointment_cancel(appointment=appointment, reason="Ill", by=desk),
            errors,
        )
        assert held.wait(10)
        editing = _in_thread(
            lambda: patient_services.patient_update(
                patient=Patient.objects.get(pk=patient.pk), by=desk, email="new@example.org"
            ),
            errors,
        )
        cancelling.join(30)
        editing.join(30)

    assert errors == []
    assert Patient.objects.get(pk=patient.pk).email == "new@example.org"
    # The sender does not look at the appointment's status: a planned row here would go out.
    assert not appointment.reminders.filter(status="pending").exists()
