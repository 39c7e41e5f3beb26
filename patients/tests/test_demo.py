from __future__ import annotations

import pytest
from django.utils import timezone

from kap_clinic import demo as staff_demo
from patients import demo
from patients.models import Intake, MeasureResult, Patient, RiskFlag

pytestmark = pytest.mark.django_db


def test_demo_seed_covers_every_stage_and_is_idempotent() -> None:
    staff = staff_demo.seed_staff(password="demo-password-for-tests")
    demo.seed(staff=staff, now=timezone.now())
    counts = (Patient.objects.count(), Intake.objects.count(), MeasureResult.objects.count())
    assert counts[0] == len(demo.PEOPLE)
    statuses = set(Patient.objects.values_list("status", flat=True))
    assert statuses == set(Patient.Status.values)
    assert Intake.objects.filter(status="signed").exists()
    assert Intake.objects.filter(status="draft").exists()
    assert RiskFlag.objects.filter(acknowledged_at__isnull=True).exists()

    demo.seed(staff=staff, now=timezone.now())
    assert (
        Patient.objects.count(),
        Intake.objects.count(),
        MeasureResult.objects.count(),
    ) == counts
