"""Group capacity under real concurrency (PostgreSQL): enrolment locks the meeting's row, so
ten patients racing for the last two places give exactly two places."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from patients.tests.factories import PatientFactory, UserFactory
from scheduling import services
from scheduling.models import Appointment
from scheduling.tests.factories import AppointmentTypeFactory, clinician_user
from scheduling.tests.group_factories import group_type, meeting

pytestmark = pytest.mark.postgres


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite serialises every write anyway")


# serialized_rollback: the flush after this test must not take the role groups with it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_concurrent_enrolments_for_the_last_two_places_give_exactly_two(on_postgres):
    m = meeting(kind=group_type(capacity=8))
    desk = UserFactory()
    for _ in range(6):
        services.group_enrol(meeting=m, patient=PatientFactory(), by=desk)
    racers = [PatientFactory() for _ in range(10)]
    barrier = threading.Barrier(10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(patient) -> None:
        try:
            barrier.wait()
            services.group_enrol(meeting=m, patient=patient, by=desk)
            result = "enrolled"
        except services.GroupFull as error:
            result = error.messages[0]
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(p,)) for p in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 10
    assert outcomes.count("enrolled") == 2
    assert all("is full (8 of 8)" in o for o in outcomes if o != "enrolled")
    assert services.seats_taken(m) == 8
    assert (
        Appointment.objects.filter(group_meeting=m, patient__in=racers)
        .exclude(status=Appointment.Status.CANCELLED)
        .count()
        == 2
    )


@pytest.mark.django_db
def test_members_share_the_facilitator_and_room_but_an_individual_visit_cannot(on_postgres):
    """The exclusion constraints let the places of one meeting overlap (same facilitator and
    room) and still refuse any other visit of that clinician then, even past the service."""
    m = meeting()
    desk = UserFactory()
    for _ in range(3):
        services.group_enrol(meeting=m, patient=PatientFactory(), by=desk)
    with (
        pytest.raises(IntegrityError, match="appointment_no_clinician_overlap"),
        transaction.atomic(),
    ):
        Appointment.objects.create(
            patient=PatientFactory(),
            type=AppointmentTypeFactory(room_kind=""),
            clinician=m.facilitator,
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            booked_by=desk,
        )
    with (
        pytest.raises(IntegrityError, match="appointment_no_room_overlap"),
        transaction.atomic(),
    ):
        Appointment.objects.create(
            patient=PatientFactory(),
            type=AppointmentTypeFactory(room_kind=""),
            clinician=clinician_user(),
            room=m.room,
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            booked_by=desk,
        )
