"""The sessions' demo on its own: Robin Ellery's IV course, told in order."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from kap_clinic import demo as staff_demo
from patients import selectors as patient_selectors
from patients.models import Consent, EligibilityDecision, Intake, MeasureResult, Patient
from scheduling.models import Appointment
from sessions import demo, selectors
from sessions.models import DosingSession, IntegrationFollowUp, LedgerEntry, Lot, VitalReading

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.combine(date(2026, 11, 25), time(11, 35)))  # a Wednesday


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo, seeded once for the module's tests (each runs in its own transaction inside
    this one), then rolled back."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=False),
        transaction.atomic(),
    ):
        staff = staff_demo.seed_staff(password="demo-password-for-tests")
        demo.seed(staff=staff, now=NOW)
        yield staff
        transaction.set_rollback(True)


def test_demo_seeds_robins_course_with_sessions_vitals_and_ledger_idempotently(seeded) -> None:
    counts = (
        DosingSession.objects.count(),
        VitalReading.objects.count(),
        LedgerEntry.objects.count(),
        IntegrationFollowUp.objects.count(),
        Appointment.objects.count(),
    )
    demo.seed(staff=seeded, now=NOW + timedelta(seconds=30))
    assert counts == (
        DosingSession.objects.count(),
        VitalReading.objects.count(),
        LedgerEntry.objects.count(),
        IntegrationFollowUp.objects.count(),
        Appointment.objects.count(),
    )
    # Six sessions (three done, one today, two later); 7 readings each; receipt and 3 doses; the
    # follow-ups of sessions 1 and 2; a preparation, 6 dosing and 6 integration visits.
    assert counts == (6, 21, 4, 2, 13)
    completed = DosingSession.objects.filter(status="completed", signed_at__isnull=False)
    assert completed.count() == 3
    assert all(s.total_mg == Decimal("36.2") for s in completed)  # 72.4 kg × 0.5 mg/kg
    assert selectors.lot_balance(Lot.objects.get()) == Decimal("5000.0") - 3 * Decimal("36.2")
    # The integration visit after session 3 was missed: its follow-up is overdue.
    assert [(s.number, state) for s, state in selectors.integration_worklist(now=NOW)] == [
        (3, "overdue")
    ]
    missed = Appointment.objects.get(dosing_session__isnull=True, status="no_show")
    assert missed.type.kind == "integration"


def test_every_record_before_the_first_dose_is_dated_before_it(seeded) -> None:
    robin = Patient.objects.get(legal_first_name="Robin", legal_last_name="Ellery")
    first_dose = DosingSession.objects.get(course__patient=robin, number=1).dose_started_at
    intake = Intake.objects.get(patient=robin)
    path = [
        robin.created_at,
        intake.created_at,
        *MeasureResult.objects.filter(intake=intake).values_list("taken_at", flat=True),
        intake.signed_at,
        EligibilityDecision.objects.get(patient=robin).signed_at,
        Consent.objects.get(patient=robin).signed_at,
    ]
    assert path == sorted(path)
    assert path[-1] < first_dose - timedelta(weeks=2)  # consent weeks before the course
    # The chart's latest PHQ-9 is the last session's, not the intake's.
    latest = patient_selectors.latest_measure(robin, "phq9")
    assert latest.intake is None
    assert latest.taken_at.date() == DosingSession.objects.get(number=3).scheduled_for.date()


def test_each_session_has_its_visit_and_is_signed_on_its_day(seeded) -> None:
    today = timezone.localdate(NOW)
    for session in DosingSession.objects.select_related("appointment"):
        visit = session.appointment
        assert visit is not None and visit.type.kind == "dosing"
        assert session.scheduled_for == visit.starts_at
        if session.status == DosingSession.Status.COMPLETED:
            assert visit.status == Appointment.Status.COMPLETED
            assert visit.starts_at < session.dose_started_at < session.discharged_at
            assert session.discharged_at < session.signed_at < visit.ends_at
            assert timezone.localdate(session.signed_at) == timezone.localdate(visit.starts_at)
            assert session.cadss is not None and session.vitals.count() == 7
        else:
            assert session.status == DosingSession.Status.PLANNED
            assert visit.status == Appointment.Status.BOOKED and visit.starts_at > NOW
    todays = DosingSession.objects.get(number=4)
    assert timezone.localdate(todays.scheduled_for) == today
    # Robin answered the reminder's links: the checklist shows fasting and the escort.
    checklist = {item.key: item for item in selectors.checklist_items(todays)}
    assert checklist["fasting"].done and checklist["escort"].done
    assert "Sam Ellery" in checklist["escort"].detail
    with time_machine.travel(NOW, tick=False):
        assert list(selectors.sessions_worklist()) == [todays]
