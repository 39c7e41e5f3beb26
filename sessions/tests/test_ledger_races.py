from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from conftest import PASSWORD, make_user
from kap_clinic import roles
from sessions import selectors, services
from sessions.models import LedgerEntry
from sessions.tests.factories import make_lot


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_wastes_cannot_overdraw_a_lot() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks (select_for_update) need PostgreSQL")
    provider = make_user("race_prov", roles.MEDICAL_PROVIDER)
    witness = make_user("race_wit", roles.CLINICIAN)
    lot = make_lot(by=provider, vials=1)  # 500 mg
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def waste() -> None:
        try:
            barrier.wait()
            services.ledger_waste(
                lot=lot,
                quantity_mg=Decimal("300"),
                reason="race",
                witness=witness,
                witness_password=PASSWORD,
                by=provider,
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=waste) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert selectors.lot_balance(lot) == Decimal("200.0")
    assert LedgerEntry.objects.filter(kind="waste").count() == 1
