"""The controlled-substance ledger: lots and their append-only entries (DEA Schedule III)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from kap_clinic.models import AppendOnlyModel
from sessions.models.treatment import MG

# --- controlled-substance ledger ------------------------------------------------------------


class Lot(AppendOnlyModel):
    """One received lot of ketamine. Immutable once received: changes are ledger entries. DEA
    Schedule III records are kept, never rewritten (21 CFR 1304.21; DESIGN.md)."""

    lot_number = models.CharField(max_length=60, unique=True)
    product = models.CharField(max_length=120, default="Ketamine hydrochloride injection")
    supplier = models.CharField(max_length=200)
    concentration_mg_per_ml = models.DecimalField(
        "concentration (mg/mL)", max_digits=6, decimal_places=2
    )
    vial_volume_ml = models.DecimalField("volume per vial (mL)", max_digits=6, decimal_places=2)
    vial_count = models.PositiveIntegerField()
    expires_on = models.DateField()
    received_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    append_only_message = "The controlled-substance ledger is append-only."
    append_only_save_message = "A received lot cannot be changed; record a correction entry."

    class Meta:
        ordering = ["expires_on", "lot_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(concentration_mg_per_ml__gt=0)
                & Q(vial_volume_ml__gt=0)
                & Q(vial_count__gt=0),
                name="lot_positive_quantities",
            )
        ]

    def __str__(self) -> str:
        return f"Lot {self.lot_number} ({self.concentration_mg_per_ml:g} mg/mL)"

    @property
    def mg_per_vial(self) -> Decimal:
        return (self.concentration_mg_per_ml * self.vial_volume_ml).quantize(Decimal("0.1"))

    @property
    def received_mg(self) -> Decimal:
        return self.mg_per_vial * self.vial_count

    def is_expired(self, on=None) -> bool:
        return self.expires_on < (on or timezone.localdate())


class LedgerEntry(AppendOnlyModel):
    """One movement (or count) of a lot. ``balance_after_mg`` is the lot's running balance; the
    database refuses a negative one. Corrections are new entries with a reason."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        ADMINISTRATION = "administration", "Administration"
        WASTE = "waste", "Waste"
        COUNT = "count", "Count"
        CORRECTION = "correction", "Correction"

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    # Signed change in mg: + receipt, - administration and waste, 0 for a count, either for a
    # correction.
    change_mg = models.DecimalField(**MG)
    balance_after_mg = models.DecimalField(**MG)
    counted_mg = models.DecimalField(**MG, null=True, blank=True)
    session = models.OneToOneField(
        "DosingSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entry",
    )
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    append_only_message = "The controlled-substance ledger is append-only."
    append_only_save_message = "Ledger entries are append-only; record a correction instead."

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["lot", "recorded_at", "id"], name="ledger_lot_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after_mg__gte=0), name="ledger_balance_never_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="waste")
                | (Q(witness__isnull=False) & ~Q(witness=F("recorded_by")) & Q(change_mg__lt=0)),
                name="ledger_waste_has_another_witness",
            ),
            models.CheckConstraint(
                condition=~Q(kind="administration")
                | (Q(session__isnull=False) & Q(change_mg__lt=0)),
                name="ledger_administration_from_session",
            ),
            models.CheckConstraint(
                condition=~Q(kind="receipt") | Q(change_mg__gt=0), name="ledger_receipt_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind="count") | (Q(change_mg=0) & Q(counted_mg__isnull=False)),
                name="ledger_count_has_counted",
            ),
            models.CheckConstraint(
                condition=~Q(kind="correction") | ~Q(reason=""), name="ledger_correction_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.change_mg} mg — lot {self.lot.lot_number}"

    @property
    def discrepancy_mg(self) -> Decimal | None:
        if self.counted_mg is None:
            return None
        return self.counted_mg - self.balance_after_mg
