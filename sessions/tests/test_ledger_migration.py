"""``migrate`` on a database with lots from before registrants: each gets the carried-over
registrant, whose DEA number is left for the clinic to record (receipts wait for it)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("clinic_sessions", "0008_record_exports")]
AFTER = [("clinic_sessions", "0011_lot_registrant_required")]


# serialized_rollback: the flush after this test then leaves the content types for the next
# transactional test to restore with their original ids (see test_ledger_races).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_lots_get_a_registrant_when_migrating() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="old_provider")
    old.get_model("clinic_sessions", "Lot").objects.create(
        lot_number="OLD-1",
        supplier="Hospira",
        concentration_mg_per_ml=Decimal("50"),
        vial_volume_ml=Decimal("10"),
        vial_count=2,
        expires_on=timezone.localdate(),
        received_by_id=user.pk,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    lot = new.get_model("clinic_sessions", "Lot").objects.get(lot_number="OLD-1")
    registrant = new.get_model("clinic_sessions", "Registrant").objects.get()
    assert lot.registrant_id == registrant.pk
    assert registrant.dea_number == "" and registrant.expires_on is None
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
