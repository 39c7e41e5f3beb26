"""Reads for the controlled-substance records: registrants, discrepancies and their DEA dates,
inventories, expired stock, and the per-registrant reports (administrations, reconciliation).
Functions taking ``user`` check the role in the same call: these are for medical providers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from kap_clinic import roles
from sessions import dea
from sessions.models import (
    Destruction,
    Discrepancy,
    Inventory,
    LedgerEntry,
    Lot,
    Registrant,
)
from sessions.selectors import lot_balances

TENTH = Decimal("0.1")
ZERO = Decimal("0.0")
Kind = LedgerEntry.Kind

# --- access ----------------------------------------------------------------------------------


def registrant_for_user(*, user: User | AnonymousUser, pk: int) -> Registrant:
    roles.check_role(user, roles.MEDICAL_PROVIDER)
    return get_object_or_404(Registrant, pk=pk)


def discrepancy_for_user(*, user: User | AnonymousUser, pk: int) -> Discrepancy:
    roles.check_role(user, roles.MEDICAL_PROVIDER)
    return get_object_or_404(
        Discrepancy.objects.select_related(
            "lot__registrant",
            "count__recorded_by",
            "count__witness",
            "resolved_by",
            "resolution_witness",
            "theft_or_loss_marked_by",
        ),
        pk=pk,
    )


def inventory_for_user(*, user: User | AnonymousUser, pk: int) -> Inventory:
    roles.check_role(user, roles.MEDICAL_PROVIDER)
    return get_object_or_404(Inventory.objects.select_related("registrant", "signed_by"), pk=pk)


def registrants() -> list[Registrant]:
    return list(Registrant.objects.all())


# --- discrepancies, expiry, inventories: the worklist -----------------------------------------


def discrepancies_needing_action(*, registrant: Registrant | None = None) -> list[Discrepancy]:
    """Unresolved discrepancies, and theft or loss still missing a DEA date."""
    open_ = Q(resolved_at__isnull=True) | (
        Q(theft_or_loss=True) & (Q(notice_sent_on__isnull=True) | Q(form_106_filed_on__isnull=True))
    )
    qs = Discrepancy.objects.filter(open_).select_related("lot__registrant", "count")
    if registrant is not None:
        qs = qs.filter(lot__registrant=registrant)
    return list(qs)


def lot_discrepancies(lot: Lot) -> QuerySet[Discrepancy]:
    return Discrepancy.objects.filter(lot=lot).select_related(
        "resolved_by", "resolution_witness", "count"
    )


def expired_stock(*, on: date | None = None) -> list[tuple[Lot, Decimal]]:
    """Expired lots with stock on hand: to be destroyed (DEA Form 41) or returned."""
    on = on or timezone.localdate()
    return [(lot, bal) for lot, bal in lot_balances() if bal > 0 and lot.is_expired(on)]


def next_inventory(registrant: Registrant) -> tuple[str, date | None]:
    """("initial", None) while the registrant has no initial inventory; else ("biennial", the
    date the next one is due: two years from the latest, 21 CFR 1304.11(c))."""
    latest = Inventory.objects.filter(registrant=registrant).order_by("-taken_on").first()
    if latest is None:
        return "initial", None
    return "biennial", dea.next_inventory_due(latest.taken_on)


@dataclass
class RegistrantStatus:
    registrant: Registrant
    problem: str = ""  # expired or incomplete: blocks receipts (and doses when expired)
    warning: str = ""
    inventory_kind: str = ""
    inventory_due: date | None = None
    inventory_overdue: bool = False


def registrant_statuses(*, on: date | None = None) -> list[RegistrantStatus]:
    on = on or timezone.localdate()
    latest: dict[int, date] = {}
    for inv in Inventory.objects.order_by("taken_on").values("registrant_id", "taken_on"):
        latest[inv["registrant_id"]] = inv["taken_on"]
    out = []
    for registrant in Registrant.objects.all():
        status = RegistrantStatus(registrant)
        if not registrant.is_complete:
            status.problem = (
                f"{registrant.name}: the DEA number or its expiry is not recorded "
                "(admin › Registrants); receipts are refused until it is."
            )
        elif registrant.is_expired(on):
            status.problem = (
                f"{registrant.name}: DEA registration {registrant.dea_number} expired on "
                f"{registrant.expires_on}; receipts and doses are refused."
            )
        elif registrant.expires_soon(on):
            status.warning = (
                f"{registrant.name}: DEA registration {registrant.dea_number} expires on "
                f"{registrant.expires_on}; renew it."
            )
        if registrant.pk in latest:
            status.inventory_kind = "biennial"
            status.inventory_due = dea.next_inventory_due(latest[registrant.pk])
            status.inventory_overdue = status.inventory_due < on
        else:
            status.inventory_kind = "initial"
        out.append(status)
    return out


@dataclass
class LedgerWorklist:
    statuses: list[RegistrantStatus]
    discrepancies: list[Discrepancy]
    expired: list[tuple[Lot, Decimal]]
    near_expiry: list[tuple[Lot, Decimal]] = field(default_factory=list)

    @property
    def urgent(self) -> bool:
        return bool(
            self.discrepancies
            or self.expired
            or any(s.problem or s.warning or s.inventory_overdue for s in self.statuses)
        )


def ledger_worklist(*, on: date | None = None) -> LedgerWorklist:
    on = on or timezone.localdate()
    balances = [(lot, bal) for lot, bal in lot_balances() if bal > 0]
    return LedgerWorklist(
        statuses=registrant_statuses(on=on),
        discrepancies=discrepancies_needing_action(),
        expired=[(lot, bal) for lot, bal in balances if lot.is_expired(on)],
        near_expiry=[(lot, bal) for lot, bal in balances if lot.expires_soon(on)],
    )


def lots_on_hand(*, registrant: Registrant, at: datetime) -> list[tuple[Lot, Decimal]]:
    return [(lot, bal) for lot, bal in lot_balances(before=at, registrant=registrant) if bal]


def inventories(registrant: Registrant) -> QuerySet[Inventory]:
    return Inventory.objects.filter(registrant=registrant).select_related("signed_by")


def inventory_lines(inventory: Inventory):
    return inventory.lines.select_related("lot")


def lot_destructions(lot: Lot) -> QuerySet[Destruction]:
    return Destruction.objects.filter(entry__lot=lot).select_related(
        "entry__recorded_by", "entry__witness", "second_witness"
    )


# --- reports ---------------------------------------------------------------------------------


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From the start of ``start`` to the end of ``end`` in the clinic's zone."""
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


def administrations(*, registrant: Registrant, start: date, end: date) -> list[LedgerEntry]:
    """Each dose drawn from the registrant's stock in the period: date, MRN, session, mg, mL,
    lot, and who administered it."""
    since, until = period_bounds(start, end)
    return list(
        LedgerEntry.objects.filter(
            kind=Kind.ADMINISTRATION,
            lot__registrant=registrant,
            recorded_at__gte=since,
            recorded_at__lt=until,
        )
        .select_related(
            "lot",
            "recorded_by",
            "session__course__patient",
            "session__administered_by",
        )
        .order_by("recorded_at", "id")
    )


@dataclass
class ReconciliationRow:
    lot: Lot
    opening: Decimal = ZERO
    received: Decimal = ZERO
    administered: Decimal = ZERO
    wasted: Decimal = ZERO
    destroyed: Decimal = ZERO
    corrections: Decimal = ZERO
    closing: Decimal = ZERO

    @property
    def computed(self) -> Decimal:
        """Opening + received − administered − wasted − destroyed ± corrections."""
        return (
            self.opening
            + self.received
            - self.administered
            - self.wasted
            - self.destroyed
            + self.corrections
        )

    @property
    def balances(self) -> bool:
        return abs(self.computed - self.closing) < TENTH

    @property
    def closing_ml(self) -> Decimal:
        return self.lot.ml(self.closing)

    @property
    def closing_vials(self) -> tuple[int, Decimal]:
        return self.lot.vials(self.closing)


COLUMNS = ("opening", "received", "administered", "wasted", "destroyed", "corrections", "closing")


def reconciliation(
    *, registrant: Registrant, start: date, end: date
) -> tuple[list[ReconciliationRow], ReconciliationRow]:
    """Per lot: the book at the start, what came in and went out in the period, and the book at
    the end, each summed from the entries in one query; plus the totals."""
    since, until = period_bounds(start, end)
    in_period = Q(recorded_at__gte=since, recorded_at__lt=until)

    def total(condition: Q) -> Sum:
        return Sum("change_mg", filter=condition, default=ZERO)

    sums = (
        LedgerEntry.objects.filter(lot__registrant=registrant, lot__received_at__lt=until)
        .values("lot")
        .annotate(
            opening=total(Q(recorded_at__lt=since)),
            received=total(in_period & Q(kind=Kind.RECEIPT)),
            administered=total(in_period & Q(kind=Kind.ADMINISTRATION)),
            wasted=total(in_period & Q(kind=Kind.WASTE)),
            destroyed=total(in_period & Q(kind=Kind.DESTRUCTION)),
            corrections=total(in_period & Q(kind=Kind.CORRECTION)),
            closing=total(Q(recorded_at__lt=until)),
        )
        .order_by()
    )
    by_lot = {row["lot"]: row for row in sums}
    lots = Lot.objects.filter(pk__in=by_lot).order_by("expires_on", "lot_number")
    rows = []
    for lot in lots:
        raw = by_lot[lot.pk]

        def mg(key: str, raw: dict = raw) -> Decimal:
            return Decimal(raw[key] or 0).quantize(TENTH)

        rows.append(
            ReconciliationRow(
                lot=lot,
                opening=mg("opening"),
                received=mg("received"),
                # Shown as amounts taken out: positive numbers.
                administered=-mg("administered"),
                wasted=-mg("wasted"),
                destroyed=-mg("destroyed"),
                corrections=mg("corrections"),
                closing=mg("closing"),
            )
        )
    totals = ReconciliationRow(lot=None)  # type: ignore[arg-type]
    for name in COLUMNS:
        setattr(totals, name, sum((getattr(r, name) for r in rows), ZERO))
    return rows, totals


def lot_running_entries(lot: Lot) -> list[tuple[LedgerEntry, Decimal]]:
    """The lot's entries in stamped order with the running sum, for reading the lot page; the
    balance is the last running sum whatever order the entries were written in."""
    running = ZERO
    out = []
    for entry in (
        LedgerEntry.objects.filter(lot=lot)
        .select_related("recorded_by", "witness", "session__course__patient", "corrects", "lot")
        .order_by("recorded_at", "id")
    ):
        running += entry.change_mg
        out.append((entry, running))
    return out
