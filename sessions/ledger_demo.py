"""The demo clinic's controlled-substance records (part of ``manage.py seed_demo``, called by
``sessions.demo``): one DEA registrant (the clinic), its initial inventory (zero, the day before
the first receipt), the demo lot every dose is drawn from, and a second lot of 10 mg/mL that
expires within 30 days, whose count came out 2.5 mg short and was resolved with an explanation,
a witness and a correction. Witnessed entries are confirmed with the demo staff's password."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from sessions import services
from sessions.models import Lot, Registrant

LOT_NUMBER = "DEMO-KET-0426"
NEAR_EXPIRY_LOT_NUMBER = "DEMO-KET-0319"
# A well-formed practitioner DEA number (check digit: (1 + 3 + 5) + 2 × (2 + 4 + 6) = 33 → 3).
DEA_NUMBER = "FK1234563"
SUPPLIER_DEA_NUMBER = "RH1234563"


def seed_ledger(*, staff: dict[str, User], now: dt.datetime, received_at: dt.datetime) -> Lot:
    """The registrant, its initial inventory, the demo lot, and the near-expiry lot with its
    resolved count discrepancy."""
    provider, nurse = staff["provider"], staff["nurse"]
    witness = {"witness": nurse, "witness_password": nurse.demo_password}
    registrant = Registrant.objects.create(
        name=settings.CLINIC_NAME,
        dea_number=DEA_NUMBER,
        address=settings.CLINIC_ADDRESS,
        schedules="2, 2N, 3, 3N, 4, 5",
        expires_on=(now + dt.timedelta(days=500)).date(),
    )
    # 21 CFR 1304.11(b): the initial inventory, taken before any stock was on hand, is zero.
    services.inventory_take(
        registrant=registrant,
        kind="initial",
        taken_on=timezone.localdate(received_at) - dt.timedelta(days=1),
        as_of="close",
        counts={},
        by=provider,
        note="No controlled substances on hand before the first receipt.",
    )
    receipt = {
        "registrant": registrant,
        "ndc": "0143-9508-10",
        "supplier": "Hikma Pharmaceuticals",
        "supplier_dea_number": SUPPLIER_DEA_NUMBER,
        "by": provider,
        **witness,
    }
    near = services.lot_receive(
        lot_number=NEAR_EXPIRY_LOT_NUMBER,
        invoice_number="HK-2026-0311",
        concentration_mg_per_ml=Decimal("10"),
        vial_volume_ml=Decimal("20"),
        vial_count=5,
        expires_on=(now + dt.timedelta(days=20)).date(),
        received_at=received_at - dt.timedelta(minutes=30),
        **{**receipt, "ndc": "0143-9510-01"},
    )
    lot = services.lot_receive(
        lot_number=LOT_NUMBER,
        invoice_number="HK-2026-0426",
        concentration_mg_per_ml=Decimal("50"),
        vial_volume_ml=Decimal("10"),
        vial_count=10,
        expires_on=(now + dt.timedelta(days=400)).date(),
        received_at=received_at,
        **receipt,
    )
    count = services.ledger_count(
        lot=near,
        counted_mg=near.received_mg - Decimal("2.5"),
        note="Weekly count",
        at=received_at + dt.timedelta(days=7),
        by=provider,
        **witness,
    )
    services.discrepancy_resolve(
        discrepancy=count.discrepancy,
        explanation="A vial's stated 20 mL held 19.75 mL (fill tolerance); no loss.",
        adjust_book=True,
        by=provider,
        **witness,
    )
    return lot
