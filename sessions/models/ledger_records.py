"""The ledger's other DEA records: discrepancies found by a count (and theft or significant loss
reports), inventories (initial and biennial) and destruction of stock (DEA Form 41).

Inventories and destructions are append-only like the ledger. A discrepancy is a worklist item:
its resolution and its DEA dates are each written once, by the services in
``sessions.services.discrepancies``, and never changed or cleared."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from kap_clinic.models import AppendOnlyModel
from sessions.models.ledger import LedgerEntry, Lot
from sessions.models.registrant import Registrant
from sessions.models.treatment import MG

_USER = {"to": settings.AUTH_USER_MODEL, "on_delete": models.PROTECT, "related_name": "+"}


class Discrepancy(models.Model):
    """A count that differs from the book. Open until resolved with an explanation and a
    witness; theft or significant loss also needs its DEA notice and Form 106 dates."""

    count = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="discrepancy")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="discrepancies")
    difference_mg = models.DecimalField(**MG, help_text="Counted minus book: negative is short.")
    discovered_at = models.DateTimeField()
    # 21 CFR 1301.76(b): theft or significant loss starts the DEA clock.
    theft_or_loss = models.BooleanField("theft or significant loss", default=False)
    theft_or_loss_marked_by = models.ForeignKey(**_USER, null=True, blank=True)
    notice_due_on = models.DateField("written notice due", null=True, blank=True)
    form_106_due_on = models.DateField("DEA Form 106 due", null=True, blank=True)
    notice_sent_on = models.DateField("written notice sent", null=True, blank=True)
    form_106_filed_on = models.DateField("DEA Form 106 filed", null=True, blank=True)
    form_106_reference = models.CharField(max_length=60, blank=True)
    explanation = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(**_USER, null=True, blank=True)
    resolution_witness = models.ForeignKey(**_USER, null=True, blank=True)
    correction = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="resolves"
    )

    # Each set-once write (loss reported, notice, Form 106, resolution) is kept with who and when.
    history = HistoricalRecords()

    class Meta:
        ordering = ["discovered_at", "id"]
        verbose_name_plural = "discrepancies"
        constraints = [
            models.CheckConstraint(
                condition=~Q(difference_mg=0), name="discrepancy_has_a_difference"
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | (
                    Q(resolution_witness__isnull=False)
                    & ~Q(resolution_witness=models.F("resolved_by"))
                    & ~Q(explanation="")
                ),
                name="discrepancy_resolved_with_witness_and_explanation",
            ),
            models.CheckConstraint(
                condition=Q(theft_or_loss=False)
                | (Q(notice_due_on__isnull=False) & Q(form_106_due_on__isnull=False)),
                name="discrepancy_loss_has_due_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.difference_mg} mg on lot {self.lot.lot_number}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def dea_reports_done(self) -> bool:
        return not self.theft_or_loss or bool(self.notice_sent_on and self.form_106_filed_on)

    @property
    def needs_action(self) -> bool:
        return not self.is_resolved or not self.dea_reports_done

    @property
    def difference_ml(self) -> Decimal:
        return self.lot.ml(self.difference_mg)


class Inventory(AppendOnlyModel):
    """21 CFR 1304.11: an initial inventory, then a biennial one, of every lot on hand, as of the
    opening or close of business, signed by the provider who took it."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial"
        BIENNIAL = "biennial", "Biennial"

    class AsOf(models.TextChoices):
        OPENING = "opening", "Opening of business"
        CLOSE = "close", "Close of business"

    registrant = models.ForeignKey(Registrant, on_delete=models.PROTECT, related_name="inventories")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    taken_on = models.DateField()
    as_of = models.CharField(max_length=10, choices=AsOf.choices)
    taken_at = models.DateTimeField(help_text="The moment the book balances are taken at.")
    signed_by = models.ForeignKey(**_USER)
    signed_at = models.DateTimeField()
    note = models.TextField(blank=True)

    append_only_message = "Inventories are kept (21 CFR 1304.04)."
    append_only_save_message = "A signed inventory cannot be changed; take a new one."

    class Meta:
        ordering = ["-taken_on", "-id"]
        verbose_name_plural = "inventories"
        constraints = [
            models.UniqueConstraint(
                fields=["registrant"],
                condition=Q(kind="initial"),
                name="inventory_one_initial_per_registrant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} inventory {self.taken_on}"


class InventoryLine(AppendOnlyModel):
    inventory = models.ForeignKey(Inventory, on_delete=models.PROTECT, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    book_mg = models.DecimalField(**MG)
    on_hand_mg = models.DecimalField(**MG)
    # 21 CFR 1304.11(e)(3): an opened Schedule III container may be estimated.
    estimated = models.BooleanField("opened container, estimated", default=False)

    append_only_message = "Inventories are kept (21 CFR 1304.04)."
    append_only_save_message = "A signed inventory cannot be changed; take a new one."

    class Meta:
        ordering = ["lot__expires_on", "lot__lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["inventory", "lot"], name="inventory_line_per_lot"),
            models.CheckConstraint(
                condition=Q(on_hand_mg__gte=0), name="inventory_line_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot.lot_number}: {self.on_hand_mg} mg"

    @property
    def difference_mg(self) -> Decimal:
        return self.on_hand_mg - self.book_mg


class Destruction(AppendOnlyModel):
    """Stock destroyed (expired, damaged, recalled): the registrant's DEA Form 41 record —
    drug, NDC, lot, quantity, method, date, and two witnesses besides the person destroying."""

    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="destruction")
    method = models.CharField(max_length=200)
    reason = models.TextField()
    second_witness = models.ForeignKey(**_USER)

    append_only_message = "Destruction records are kept (21 CFR 1304.04)."
    append_only_save_message = "A destruction record cannot be changed."

    class Meta:
        ordering = ["entry__recorded_at"]

    def __str__(self) -> str:
        return f"Destruction of {-self.entry.change_mg} mg, lot {self.entry.lot.lot_number}"
