"""Inventories of controlled substances (21 CFR 1304.11): an initial one when the registrant
starts, then at least every two years, of every lot on hand as of the opening or close of
business, signed by the provider who takes it."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sessions.models import Inventory, InventoryLine, Registrant
from sessions.selectors import lot_balances
from sessions.services.common import _require_provider

# What the clinic's day is taken to be for "opening" and "close of business".
OPENING, CLOSE = time(0, 0), time.max


def inventory_moment(taken_on: date, as_of: str) -> datetime:
    """The instant whose book balances an inventory records."""
    when = OPENING if as_of == Inventory.AsOf.OPENING else CLOSE
    return timezone.make_aware(datetime.combine(taken_on, when))


@transaction.atomic
def inventory_take(
    *,
    registrant: Registrant,
    kind: str,
    taken_on: date,
    as_of: str,
    counts: dict[int, tuple[Decimal, bool]],
    by: User,
    note: str = "",
) -> Inventory:
    """Record and sign an inventory. ``counts`` maps each lot on hand (by pk) to the amount
    found and whether it was estimated (an opened container, 21 CFR 1304.11(e)(3)); every lot
    the book shows on hand must be counted."""
    _require_provider(by, "sign an inventory")
    if kind not in Inventory.Kind.values or as_of not in Inventory.AsOf.values:
        raise ValidationError("Choose the kind of inventory and opening or close of business.")
    if taken_on > timezone.localdate():
        raise ValidationError("An inventory cannot be dated in the future.")
    has_initial = Inventory.objects.filter(registrant=registrant, kind="initial").exists()
    if kind == Inventory.Kind.INITIAL and has_initial:
        raise ValidationError("This registrant already has its initial inventory.")
    if kind == Inventory.Kind.BIENNIAL and not has_initial:
        raise ValidationError("Take the initial inventory first.")
    at = inventory_moment(taken_on, as_of)
    on_hand = [(lot, bal) for lot, bal in lot_balances(before=at, registrant=registrant) if bal]
    missing = [lot.lot_number for lot, _bal in on_hand if lot.pk not in counts]
    if missing:
        raise ValidationError("Count every lot on hand: " + ", ".join(missing) + ".")
    known = {lot.pk for lot, _bal in on_hand}
    if set(counts) - known:
        raise ValidationError("A counted lot is not on hand for this registrant on that date.")
    problems = []
    for lot, _bal in on_hand:
        amount, _estimated = counts[lot.pk]
        if amount is None or amount < 0:
            problems.append(f"Enter the amount on hand for lot {lot.lot_number}.")
    if problems:
        raise ValidationError(problems)
    inventory = Inventory.objects.create(
        registrant=registrant,
        kind=kind,
        taken_on=taken_on,
        as_of=as_of,
        taken_at=at,
        signed_by=by,
        signed_at=timezone.now(),
        note=note.strip(),
    )
    InventoryLine.objects.bulk_create(
        InventoryLine(
            inventory=inventory,
            lot=lot,
            book_mg=bal,
            on_hand_mg=Decimal(counts[lot.pk][0]).quantize(Decimal("0.1")),
            estimated=counts[lot.pk][1],
        )
        for lot, bal in on_hand
    )
    return inventory
