from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from kap_clinic import demo as staff_demo
from sessions import demo, selectors, services
from sessions.models import DosingSession, IntegrationFollowUp, LedgerEntry, Lot, VitalReading

pytestmark = pytest.mark.django_db


def test_demo_seeds_a_course_with_sessions_vitals_and_ledger_idempotently() -> None:
    staff = staff_demo.seed_staff(password="demo-password-for-tests")
    now = timezone.now()
    demo.seed(staff=staff, now=now)
    counts = (
        DosingSession.objects.count(),
        VitalReading.objects.count(),
        LedgerEntry.objects.count(),
        IntegrationFollowUp.objects.count(),
    )
    demo.seed(staff=staff, now=now)
    assert counts == (
        DosingSession.objects.count(),
        VitalReading.objects.count(),
        LedgerEntry.objects.count(),
        IntegrationFollowUp.objects.count(),
    )
    assert counts == (4, 18, 4, 2)
    completed = DosingSession.objects.filter(status="completed", signed_at__isnull=False)
    assert completed.count() == 3
    assert all(s.total_mg == Decimal("36.2") for s in completed)  # 72.4 kg × 0.5 mg/kg
    assert services.lot_balance(Lot.objects.get()) == Decimal("5000.0") - 3 * Decimal("36.2")
    assert [state for _s, state in selectors.integration_worklist(now=now)] == ["overdue"]
