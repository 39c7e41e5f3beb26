"""The controlled-substance ledger: receipts, waste, counts, corrections and destruction,
appended under a lock on the lot (entries are never edited; a correction is a new entry).

Every write here that needs a second person goes through ``_check_witness``: the witness is
another active clinical user who confirms with their own password."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kap_clinic import roles
from kap_clinic.witness import witness_verify
from sessions import dea
from sessions.models import (
    Destruction,
    Discrepancy,
    DosingSession,
    LedgerEntry,
    Lot,
    Registrant,
)
from sessions.selectors import lot_balance
from sessions.services.common import _require_provider

Status = DosingSession.Status
Kind = LedgerEntry.Kind


# --- controlled-substance ledger -------------------------------------------------------------


def _check_witness(*, witness: User | None, password: str, by: User, what: str = "Waste") -> None:
    """A second person, present, who confirms with their own password (DEA: waste, counts,
    corrections and destruction are witnessed)."""
    if witness is None:
        raise ValidationError(f"{what} needs a witness.")
    if witness.pk == by.pk:
        raise ValidationError("The witness must be another person, not you.")
    if (
        not witness.is_active
        or not roles.has_role(witness, roles.CLINICAL)
        or not witness_verify(witness=witness, password=password, by=by)
    ):
        raise ValidationError("The witness's password is not correct.")


def registrant_problem(registrant: Registrant, *, on: date | None = None) -> str:
    """Why the registration cannot be used for a receipt or a dose today ("" when it can)."""
    if registrant.is_expired(on):
        return (
            f"The DEA registration {registrant.dea_number} expired on {registrant.expires_on}: "
            "no controlled substance can be received or administered under it."
        )
    return ""


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
    """Append one entry under a lock on the lot, so two entries at once cannot both read the
    same balance. The balance is the sum of the lot's entries, whatever their stamps, and never
    goes below zero. A dose (``for_dose``) is refused from an expired lot, an exhausted one, or
    under an expired DEA registration (21 CFR 1301.13: no handling without a current one)."""
    locked = Lot.objects.select_for_update().select_related("registrant").get(pk=lot.pk)
    balance = lot_balance(locked)
    after = balance + change_mg
    if for_dose:
        if problem := registrant_problem(locked.registrant):
            raise ValidationError(problem)
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
    registrant: Registrant,
    lot_number: str,
    ndc: str,
    supplier: str,
    supplier_dea_number: str,
    invoice_number: str,
    concentration_mg_per_ml: Decimal,
    vial_volume_ml: Decimal,
    vial_count: int,
    expires_on: date,
    by: User,
    witness: User | None,
    witness_password: str,
    product: str = "Ketamine hydrochloride injection",
    received_at: datetime | None = None,
) -> Lot:
    """Receive a lot: the lot row and its receipt entry, with what 21 CFR 1304.22(c) asks of a
    receipt (NDC, strength, containers and their size, supplier and its DEA number, date), the
    invoice, and who received and witnessed it. An expired lot is refused."""
    _require_provider(by, "receive controlled substances")
    received_at = received_at or timezone.now()
    problems = []
    if not registrant.is_complete:
        problems.append(
            f"Record the DEA number and expiry of {registrant.name} (admin › Registrants) "
            "before receiving stock under it."
        )
    elif problem := registrant_problem(registrant, on=timezone.localdate(received_at)):
        problems.append(problem)
    lot_number = lot_number.strip()
    if not lot_number:
        problems.append("Enter the lot number printed on the vials.")
    elif Lot.objects.filter(lot_number=lot_number).exists():
        problems.append(f"Lot {lot_number} is already in the ledger.")
    ndc = ndc.strip()
    if problem := dea.ndc_problem(ndc):
        problems.append(problem)
    supplier_dea_number = supplier_dea_number.strip().upper()
    if problem := dea.dea_number_problem(supplier_dea_number):
        problems.append(f"Supplier's DEA number: {problem}")
    if not supplier.strip():
        problems.append("Enter the supplier's name.")
    if not invoice_number.strip():
        problems.append("Enter the invoice (or DEA Form 222 / packing slip) number.")
    if concentration_mg_per_ml <= 0 or vial_volume_ml <= 0 or vial_count <= 0:
        problems.append("Concentration, volume and vial count must be more than zero.")
    if expires_on < timezone.localdate(received_at):
        problems.append(f"Lot {lot_number} expired on {expires_on}: an expired lot is refused.")
    if problems:
        raise ValidationError(problems)
    _check_witness(witness=witness, password=witness_password, by=by, what="A receipt")
    lot = Lot.objects.create(
        registrant=registrant,
        lot_number=lot_number,
        ndc=ndc,
        product=product,
        supplier=supplier.strip(),
        supplier_dea_number=supplier_dea_number,
        invoice_number=invoice_number.strip(),
        concentration_mg_per_ml=concentration_mg_per_ml,
        vial_volume_ml=vial_volume_ml,
        vial_count=vial_count,
        expires_on=expires_on,
        received_at=received_at,
        received_by=by,
        witnessed_by=witness,
    )
    _ledger_append(
        lot=lot,
        kind=Kind.RECEIPT,
        change_mg=lot.received_mg,
        by=by,
        witness=witness,
        reason=f"{vial_count} × {lot.mg_per_vial} mg vials from {lot.supplier}, "
        f"invoice {lot.invoice_number}",
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
    session: DosingSession | None = None,
) -> LedgerEntry:
    """Waste after a dose (the unused remainder), with a second person as witness who confirms
    with their own password (DEA). Not destruction of stock: see ``stock_destroy``."""
    _require_provider(by, "record waste")
    quantity = _mg(quantity_mg, "The wasted amount")
    if quantity <= 0:
        raise ValidationError("The wasted amount must be more than 0 mg.")
    _check_witness(witness=witness, password=witness_password, by=by)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say what was wasted and why.")
    return _ledger_append(
        lot=lot, kind=Kind.WASTE, change_mg=-quantity, by=by, witness=witness, reason=reason
    )


@transaction.atomic
def ledger_count(
    *,
    lot: Lot,
    counted_mg: Decimal,
    by: User,
    witness: User | None,
    witness_password: str,
    note: str = "",
    at: datetime | None = None,
) -> LedgerEntry:
    """A physical count by a provider with a witness. A count that differs from the book opens
    a ``Discrepancy``: on the providers' home page and the ledger until it is resolved."""
    _require_provider(by, "record a count")
    counted = _mg(counted_mg, "The counted amount")
    if counted < 0:
        raise ValidationError("A count cannot be negative.")
    _check_witness(witness=witness, password=witness_password, by=by, what="A count")
    entry = _ledger_append(
        lot=lot,
        kind=Kind.COUNT,
        change_mg=Decimal("0.0"),
        by=by,
        witness=witness,
        counted_mg=counted,
        reason=note.strip(),
        at=at,
    )
    if entry.discrepancy_mg:
        Discrepancy.objects.create(
            count=entry,
            lot=entry.lot,
            difference_mg=entry.discrepancy_mg,
            discovered_at=entry.recorded_at,
        )
    return entry


@transaction.atomic
def ledger_correct(
    *,
    lot: Lot,
    change_mg: Decimal,
    reason: str,
    by: User,
    witness: User | None,
    witness_password: str,
    corrects: LedgerEntry | None = None,
) -> LedgerEntry:
    """A correction is a new entry, never an edit, with a reason and a witness: one person
    alone cannot move the balance."""
    _require_provider(by, "record a correction")
    change = _mg(change_mg, "The correction")
    if change == 0:
        raise ValidationError("A correction must change the balance.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("A correction needs a reason.")
    if corrects is not None and corrects.lot_id != lot.pk:
        raise ValidationError("That entry belongs to another lot.")
    _check_witness(witness=witness, password=witness_password, by=by, what="A correction")
    return _ledger_append(
        lot=lot,
        kind=Kind.CORRECTION,
        change_mg=change,
        by=by,
        witness=witness,
        reason=reason,
        corrects=corrects,
    )


@transaction.atomic
def stock_destroy(
    *,
    lot: Lot,
    quantity_mg: Decimal,
    method: str,
    reason: str,
    by: User,
    witness: User | None,
    witness_password: str,
    second_witness: User | None,
    second_witness_password: str,
) -> Destruction:
    """Destruction of expired or unusable stock: the DEA Form 41 record (drug, NDC, lot,
    quantity, method, date) with two witnesses besides the person destroying it."""
    _require_provider(by, "record destruction of stock")
    quantity = _mg(quantity_mg, "The destroyed amount")
    if quantity <= 0:
        raise ValidationError("The destroyed amount must be more than 0 mg.")
    method, reason = method.strip(), reason.strip()
    if not method:
        raise ValidationError("Say how the stock was destroyed (e.g. a denaturing kit).")
    if not reason:
        raise ValidationError("Say why the stock was destroyed (e.g. expired).")
    _check_witness(witness=witness, password=witness_password, by=by, what="Destruction")
    _check_witness(
        witness=second_witness, password=second_witness_password, by=by, what="Destruction"
    )
    if witness.pk == second_witness.pk:
        raise ValidationError("Destruction needs two different witnesses.")
    entry = _ledger_append(
        lot=lot,
        kind=Kind.DESTRUCTION,
        change_mg=-quantity,
        by=by,
        witness=witness,
        reason=f"{reason} — {method}",
    )
    return Destruction.objects.create(
        entry=entry, method=method, reason=reason, second_witness=second_witness
    )
