from __future__ import annotations

from datetime import date, datetime, time

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from kap_clinic import demo as staff_demo
from patients import demo, selectors
from patients.models import Consent, EligibilityDecision, Intake, MeasureResult, Patient, RiskFlag

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.combine(date(2026, 11, 25), time(7, 40)))  # a Wednesday


@pytest.fixture(scope="module")
def staff(django_db_setup, django_db_blocker):
    """The patients' demo, seeded once for the module's tests (each runs in its own transaction
    inside this one), then rolled back."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=False),
        transaction.atomic(),
    ):
        staff = staff_demo.seed_staff(password="demo-password-for-tests")
        demo.seed(staff=staff, now=NOW)
        yield staff
        transaction.set_rollback(True)


def test_demo_seed_covers_every_stage_up_to_consent_and_is_idempotent(staff) -> None:
    with time_machine.travel(NOW, tick=False):
        counts = (Patient.objects.count(), Intake.objects.count(), MeasureResult.objects.count())
        assert counts[0] == len(demo.PEOPLE)
        # A course (sessions' demo) takes people on from "eligible": none is "in treatment" yet.
        statuses = set(Patient.objects.values_list("status", flat=True))
        assert statuses == set(Patient.Status.values) - {
            Patient.Status.IN_TREATMENT,
            Patient.Status.MAINTENANCE,
            Patient.Status.DISCHARGED,
        }
        assert Intake.objects.filter(status="signed").exists()
        assert Intake.objects.filter(status="draft").exists()
        assert RiskFlag.objects.filter(acknowledged_at__isnull=True).exists()
        for first, last, *_rest, stage in demo.PEOPLE:
            if stage in demo.COURSE_STAGES:
                patient = Patient.objects.get(legal_first_name=first, legal_last_name=last)
                assert selectors.eligibility_is_signed(patient), first
                assert selectors.consent_is_current(patient), first

        demo.seed(staff=staff, now=NOW)
        assert (
            Patient.objects.count(),
            Intake.objects.count(),
            MeasureResult.objects.count(),
        ) == counts


def test_demo_records_are_dated_in_the_order_of_the_path_on_clinic_days(staff) -> None:
    for patient in Patient.objects.all():
        path = [patient.created_at]
        for intake in Intake.objects.filter(patient=patient):
            path.append(intake.created_at)
            path += sorted(intake.measures.values_list("taken_at", flat=True))
            path += [intake.signed_at] if intake.signed_at else []
        path += EligibilityDecision.objects.filter(patient=patient).values_list(
            "signed_at", flat=True
        )
        path += Consent.objects.filter(patient=patient).values_list("signed_at", flat=True)
        assert path == sorted(path), patient.legal_name
        assert path[-1] < NOW, patient.legal_name
        days = {timezone.localdate(moment).weekday() for moment in path}
        assert days <= {0, 1, 2, 3, 4}, patient.legal_name  # the clinic is open Monday to Friday
