"""A witness's password on the controlled-substance ledger is throttled like sign-in: five wrong
passwords lock that witness for 15 minutes, each failure is logged without PHI."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, make_user
from kap_clinic import roles
from sessions.models import LedgerEntry
from sessions.tests.factories import make_lot

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot_url(provider):
    lot = make_lot(by=provider, number="KET-W1")
    return reverse("sessions:lot_detail", args=[lot.pk])


def waste(client, url, witness, password):
    return client.post(
        url,
        {
            "action": "waste",
            "quantity_mg": "5",
            "reason": "Drawn up, not given",
            "witness": witness.pk,
            "witness_password": password,
        },
    )


def test_five_wrong_passwords_lock_the_witness_for_15_minutes(
    as_provider, clinician, lot_url, caplog
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        caplog.set_level(logging.WARNING, logger="kap_clinic.witness")
        for attempt in range(5):
            response = waste(as_provider, lot_url, clinician, f"guess-{attempt}")
            assert response.status_code == 400
            assert "password is not correct" in response.content.decode()
        failures = [r for r in caplog.records if "password failure" in r.getMessage()]
        assert len(failures) == 5
        for record in failures:
            line = record.getMessage()
            assert "guess" not in line and clinician.username not in line
            assert clinician.last_name not in line and "KET-W1" not in line

        # Locked: even the right password is refused now, and nothing is written.
        locked = waste(as_provider, lot_url, clinician, PASSWORD)
        assert locked.status_code == 400
        assert "locked for 15 minutes" in locked.content.decode()
        assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.WASTE).exists()

    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert "locked" in waste(as_provider, lot_url, clinician, PASSWORD).content.decode()

    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert waste(as_provider, lot_url, clinician, PASSWORD).status_code == 302
        assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.WASTE).count() == 1


def test_four_failures_then_the_right_password_resets_the_count(
    as_provider, clinician, lot_url
) -> None:
    for attempt in range(4):
        waste(as_provider, lot_url, clinician, f"guess-{attempt}")
    assert waste(as_provider, lot_url, clinician, PASSWORD).status_code == 302
    for attempt in range(4):
        waste(as_provider, lot_url, clinician, f"guess-{attempt}")
    assert waste(as_provider, lot_url, clinician, PASSWORD).status_code == 302


def test_the_lock_is_per_witness(as_provider, clinician, lot_url) -> None:
    other = make_user("nurse_two", roles.CLINICIAN)
    for attempt in range(5):
        waste(as_provider, lot_url, clinician, f"guess-{attempt}")
    assert waste(as_provider, lot_url, other, PASSWORD).status_code == 302
