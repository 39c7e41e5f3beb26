"""On PostgreSQL the database itself refuses to rewrite the controlled-substance ledger and the
PHI access log: raw SQL cannot UPDATE or DELETE their rows (kap_clinic.append_only)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from kap_clinic.models import AccessEvent
from sessions.models import LedgerEntry, Lot
from sessions.tests.factories import make_lot

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only triggers are PostgreSQL-only; the models guard elsewhere")


def raw(sql: str, params: list) -> None:
    # A savepoint, so the test's own transaction survives the refusal.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_raw_update_of_a_ledger_row_fails(provider) -> None:
    lot = make_lot(by=provider)
    entry = LedgerEntry.objects.get(lot=lot)
    with pytest.raises(DatabaseError, match="append-only"):
        raw(
            "UPDATE clinic_sessions_ledgerentry SET change_mg = 1, balance_after_mg = 1 "
            "WHERE id = %s",
            [entry.pk],
        )
    entry.refresh_from_db()
    assert entry.change_mg == lot.received_mg


def test_a_raw_delete_of_a_ledger_row_or_a_lot_fails(provider) -> None:
    lot = make_lot(by=provider)
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM clinic_sessions_ledgerentry WHERE lot_id = %s", [lot.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE clinic_sessions_lot SET vial_count = 99 WHERE id = %s", [lot.pk])
    assert LedgerEntry.objects.filter(lot=lot).count() == 1
    assert Lot.objects.get(pk=lot.pk).vial_count == lot.vial_count


def test_a_raw_update_or_delete_of_an_access_log_row_fails(clinician) -> None:
    event = AccessEvent.objects.create(user=clinician, patient_id=7, what="chart", path="/")
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE kap_clinic_accessevent SET patient_id = 8 WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM kap_clinic_accessevent WHERE id = %s", [event.pk])
    assert AccessEvent.objects.get(pk=event.pk).patient_id == 7


def test_new_rows_are_still_written(provider) -> None:
    make_lot(by=provider, number="KET-NEW")
    assert LedgerEntry.objects.filter(lot__lot_number="KET-NEW").exists()
