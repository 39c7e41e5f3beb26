"""The controlled-substance ledger: receipts, waste, counts and corrections, appended under a
lock on the lot (entries are never edited; a correction is a new entry)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kap_clinic import roles
from kap_clinic.witness import witness_verify
from sessions.models import (
    DosingSession,
    LedgerEntry,
    Lot,
)
from sessions.selectors import lot_balance
from sessions.services.common import _require_provider

Status = DosingSession.Status
Kind = LedgerEntry.Kind


# --- controlled-substance ledger -------------------------------------------------------------


def _ledger_append(
    *,
    lot: Lot,
    kind: str,
    change_mg: Decimal,
    by: User,
    session: DosingSession | None = None,
    witness: User | None = None,
    reason: str = "",
    counted_mg: Decimal | None = None,
    corrects: LedgerEntry | None = None,
    at: datetime | None = None,
    for_dose: bool = False,
) -> LedgerEntry:
    """Append one entry, computing the running balance under a lock on the lot, so two
    entries at once cannot both read the same balance."""
    locked = Lot.objects.select_for_update().get(pk=lot.pk)
    balance = lot_balance(locked)
    after = balance + change_mg
    if for_dose:
        if locked.is_expired():
            raise ValidationError(f"Lot {locked.lot_number} expired on {locked.expires_on}.")
        if balance <= 0:
            raise ValidationError(f"Lot {locked.lot_number} is exhausted.")
    if after < 0:
        raise ValidationError(
            f"Lot {locked.lot_number} holds {balance} mg; {-change_mg} mg would take it below zero."
        )
    return LedgerEntry.objects.create(
        lot=locked,
        kind=kind,
        change_mg=change_mg,
        balance_after_mg=after,
        counted_mg=counted_mg,
        session=session,
        witness=witness,
        corrects=corrects,
        reason=reason,
        recorded_by=by,
        recorded_at=at or timezone.now(),
    )


def _mg(value: Decimal, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError(f"{what} must be a number of mg.")
    return value.quantize(Decimal("0.1"))


@transaction.atomic
def lot_receive(
    *,
    lot_number: str,
    supplier: str,
    concentration_mg_per_ml: Decimal,
    vial_volume_ml: Decimal,
    vial_count: int,
    expires_on,
    by: User,
    product: str = "Ketamine hydrochloride injection",
    received_at: datetime | None = None,
) -> Lot:
    """Receive a lot: the lot row and its receipt entry (DEA: receipt of each lot)."""
    _require_provider(by, "receive controlled substances")
    if Lot.objects.filter(lot_number=lot_number.strip()).exists():
        raise ValidationError(f"Lot {lot_number} is already in the ledger.")
    if concentration_mg_per_ml <= 0 or vial_volume_ml <= 0 or vial_count <= 0:
        raise ValidationError("Concentration, volume and vial count must be more than zero.")
    received_at = received_at or timezone.now()
    lot = Lot.objects.create(
        lot_number=lot_number.strip(),
        product=product,
        supplier=supplier.strip(),
        concentration_mg_per_ml=concentration_mg_per_ml,
        vial_volume_ml=vial_volume_ml,
        vial_count=vial_count,
        expires_on=expires_on,
        received_at=received_at,
        received_by=by,
    )
    _ledger_append(
        lot=lot,
        kind=Kind.RECEIPT,
        change_mg=lot.received_mg,
        by=by,
        reason=f"{vial_count} × {lot.mg_per_vial} mg vials from {lot.supplier}",
        at=received_at,
    )
    return lot


@transaction.atomic
def ledger_waste(
    *,
    lot: Lot,
    quantity_mg: Decimal,
    reason: str,
    witness: User | None,
    witness_password: str,
    by: User,
) -> LedgerEntry:
    """Waste with a second person as witness, who confirms with their own password (DEA)."""
    _require_provider(by, "record waste")
    quantity = _mg(quantity_mg, "The wasted amount")
    if quantity <= 0:
        raise ValidationError("The wasted amount must be more than 0 mg.")
    if witness is None:
        raise ValidationError("Waste needs a witness.")
    if witness.pk == by.pk:
        raise ValidationError("The witness must be another person, not you.")
    if (
        not witness.is_active
        or not roles.has_role(witness, roles.CLINICAL)
        or not witness_verify(witness=witness, password=witness_password, by=by)
    ):
        raise ValidationError("The witness's password is not correct.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say what was wasted and why.")
    return _ledger_append(
        lot=lot, kind=Kind.WASTE, change_mg=-quantity, by=by, witness=witness, reason=reason
    )


@transaction.atomic
def ledger_count(*, lot: Lot, counted_mg: Decimal, by: User, note: str = "") -> LedgerEntry:
    """A physical count. A discrepancy is recorded, not silently absorbed: resolving it is a
    correction entry with a reason."""
    _require_provider(by, "record a count")
    counted = _mg(counted_mg, "The counted amount")
    if counted < 0:
        raise ValidationError("A count cannot be negative.")
    return _ledger_append(
        lot=lot,
        kind=Kind.COUNT,
        change_mg=Decimal("0.0"),
        by=by,
        counted_mg=counted,
        reason=note.strip(),
    )


@transaction.atomic
def ledger_correct(
    *,
    lot: Lot,
    change_mg: Decimal,
    reason: str,
    by: User,
    corrects: LedgerEntry | None = None,
) -> LedgerEntry:
    _require_provider(by, "record a correction")
    change = _mg(change_mg, "The correction")
    if change == 0:
        raise ValidationError("A correction must change the balance.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("A correction needs a reason.")
    if corrects is not None and corrects.lot_id != lot.pk:
        raise ValidationError("That entry belongs to another lot.")
    return _ledger_append(
        lot=lot, kind=Kind.CORRECTION, change_mg=change, by=by, reason=reason, corrects=corrects
    )
