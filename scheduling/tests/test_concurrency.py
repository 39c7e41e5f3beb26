"""Double booking under real concurrency (PostgreSQL): the row locks and the exclusion
constraints each make an overlap impossible."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction

from patients.tests.factories import PatientFactory, UserFactory
from scheduling import services
from scheduling.models import Appointment
from scheduling.tests.factories import (
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
