"""The whole demo clinic (``seed_demo``) tells one story: what the calendar, the charts, the
session worklist and the ledger say about a patient agrees, and every record is dated in the
order it happened."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from patients import demo as patients_demo
from patients.models import Consent, EligibilityDecision, Intake, MeasureResult, Patient
from scheduling.models import Appointment, AppointmentType, Reminder
from sessions import demo as sessions_demo
from sessions import selectors
from sessions.models import (
    DosingSession,
    IntegrationFollowUp,
    LedgerEntry,
    Lot,
    TreatmentCourse,
    VitalReading,
)

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 25)  # a Wednesday
Kind = AppointmentType.Kind


@pytest.fixture(scope="module", params=["07:40", "11:35", "13:20"])
def now(request, django_db_setup, django_db_blocker):
    """The clinic right after ``seed_demo`` ran at a time of day ``make run`` may start: seeded
    once for the module's tests (each runs in its own transaction inside this one), then rolled
    back."""
    moment = timezone.make_aware(datetime.combine(DAY, time.fromisoformat(request.param)))
    with (
        django_db_blocker.unblock(),
        time_machine.travel(moment, tick=False),
        transaction.atomic(),
    ):
        call_command("seed_demo", "--force", verbosity=0)
        yield moment
        transaction.set_rollback(True)


def test_every_dosing_visit_has_its_session_and_every_past_one_its_record(now) -> None:
    dosing = Appointment.objects.filter(type__kind=Kind.DOSING).select_related("dosing_session")
    assert dosing.count() >= 50
    for visit in dosing:
        session = DosingSession.objects.filter(appointment=visit).first()
        assert session is not None, visit
        assert session.course.patient_id == visit.patient_id
        if visit.status == Appointment.Status.COMPLETED:
            assert session.status == DosingSession.Status.COMPLETED, visit
            assert session.total_mg and session.lot_id and session.cadss_id
            assert session.vitals.filter(phase="pre").exists()
            assert session.vitals.filter(phase="post").exists()
            assert visit.starts_at < session.dose_started_at < session.discharged_at
            assert session.discharged_at < session.signed_at <= visit.ends_at
        else:
            assert visit.status == Appointment.Status.BOOKED and visit.starts_at > now, visit
            assert session.status == DosingSession.Status.PLANNED
    assert not DosingSession.objects.filter(appointment__isnull=True).exists()


def test_patients_are_in_treatment_only_with_a_course_that_started_after_their_consent(
    now,
) -> None:
    course_stages = {
        (first, last) for first, last, *_rest, stage in patients_demo.PEOPLE if stage != "inquiry"
    }
    for patient in Patient.objects.all():
        courses = TreatmentCourse.objects.filter(patient=patient)
        expected = {
            Patient.Status.IN_TREATMENT: {TreatmentCourse.Status.ACTIVE},
            Patient.Status.MAINTENANCE: {TreatmentCourse.Status.COMPLETED},
            Patient.Status.DISCHARGED: {TreatmentCourse.Status.COMPLETED},
        }.get(patient.status, set())
        assert set(courses.values_list("status", flat=True)) == expected, patient.legal_name
        if (patient.legal_first_name, patient.legal_last_name) in course_stages and expected:
            assert courses.exists()
        first = DosingSession.objects.filter(course__patient=patient).order_by("number").first()
        if first is None:
            continue
        path = [
            patient.created_at,
            *Intake.objects.filter(patient=patient).values_list("created_at", flat=True),
            *Intake.objects.filter(patient=patient).values_list("signed_at", flat=True),
            *MeasureResult.objects.filter(patient=patient, intake__isnull=False).values_list(
                "taken_at", flat=True
            ),
            *EligibilityDecision.objects.filter(patient=patient).values_list(
                "signed_at", flat=True
            ),
            *Consent.objects.filter(patient=patient).values_list("signed_at", flat=True),
        ]
        # Nothing of the path to the course is dated after its first session.
        assert max(path) < first.scheduled_for, patient.legal_name
        assert not MeasureResult.objects.filter(patient=patient, taken_at__gt=now).exists(), (
            patient.legal_name
        )


def test_integration_visits_that_took_place_have_their_follow_up(now) -> None:
    # Individual visits; a group's places count through its signed note (sessions.demo_groups).
    integration = Appointment.objects.filter(
        type__kind=Kind.INTEGRATION, group_meeting__isnull=True
    )
    follow_ups = IntegrationFollowUp.objects.filter(group__isnull=True).select_related(
        "session__course"
    )
    assert integration.filter(status=Appointment.Status.COMPLETED).count() == follow_ups.count()
    for follow_up in follow_ups:
        patient_id = follow_up.session.course.patient_id
        visit = integration.get(patient_id=patient_id, starts_at=follow_up.held_at)
        assert visit.status == Appointment.Status.COMPLETED
        assert follow_up.session.dose_started_at < follow_up.held_at
    # The missed one is the overdue follow-up on the worklist.
    missed = integration.get(status=Appointment.Status.NO_SHOW)
    overdue = [s for s, state in selectors.integration_worklist(now=now) if state == "overdue"]
    assert [s.course.patient_id for s in overdue] == [missed.patient_id]


def test_the_worklist_calendar_and_chart_show_todays_planned_sessions(now) -> None:
    today = list(
        DosingSession.objects.filter(
            scheduled_for__date=DAY, status=DosingSession.Status.PLANNED
        ).select_related("course__patient", "appointment")
    )
    assert len(today) >= 3
    worklist = client_for(User.objects.get(username="clinician")).get(reverse("sessions:worklist"))
    front_desk = client_for(User.objects.get(username="frontdesk"))
    calendar = front_desk.get(reverse("scheduling:day"), {"date": DAY.isoformat()})
    for session in today:
        name = session.course.patient.display_name
        assert name in worklist.content.decode()
        assert name in calendar.content.decode()
        assert session.appointment.status == Appointment.Status.BOOKED
    robin = Patient.objects.get(legal_first_name="Robin", legal_last_name="Ellery")
    page = front_desk.get(reverse("patients:detail", args=[robin.pk])).content.decode()
    assert "No appointments." not in page
    assert page.count("Dosing session") == 6


def test_the_ledger_balances_in_time_order_and_the_inventory_agrees(now) -> None:
    lot = Lot.objects.get(lot_number=sessions_demo.LOT_NUMBER)  # the lot every dose comes from
    balance = Decimal("0.0")
    for entry in LedgerEntry.objects.filter(lot=lot).order_by("recorded_at", "id"):
        balance += entry.change_mg
        assert entry.balance_after_mg == balance
        assert entry.recorded_at <= now
    doses = DosingSession.objects.filter(lot=lot).values_list("total_mg", flat=True)
    assert balance == lot.received_mg - sum(doses) == selectors.lot_balance(lot)
    assert balance > lot.received_mg / 2  # room for the planned sessions still to come
    assert dict(selectors.inventory_on(DAY)[1])[lot] == balance
    assert lot.received_at < DosingSession.objects.order_by("dose_started_at").first().scheduled_for


def test_seed_demo_leaves_one_reminder_due_right_away_and_changes_nothing_the_second_time(
    now,
) -> None:
    soon = Reminder.objects.filter(
        status=Reminder.Status.PENDING,
        send_after__gt=now,
        send_after__lte=now + timedelta(minutes=2),
    )
    assert soon.count() == 1
    models = (Appointment, Reminder, DosingSession, VitalReading, LedgerEntry, MeasureResult)
    counts = [model.objects.count() for model in models]
    with time_machine.travel(now + timedelta(seconds=30), tick=False):
        call_command("seed_demo", "--force", verbosity=0)
    assert [model.objects.count() for model in models] == counts
