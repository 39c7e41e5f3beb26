"""The clinic's DEA registration: every lot, inventory and report belongs to one registrant (a
clinic with two sites keeps two registrations, 21 CFR 1301.12(a))."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from sessions import dea


class Registrant(models.Model):
    name = models.CharField(max_length=200, help_text="As printed on the DEA certificate.")
    dea_number = models.CharField(
        "DEA registration number",
        max_length=9,
        blank=True,
        help_text="Two letters and seven digits. Blank only for a registration carried over "
        "from before registrants were recorded: receipts are refused until it is filled in.",
    )
    address = models.TextField(help_text="The registered location, as on the certificate.")
    schedules = models.CharField(
        max_length=40, default="3, 3N", help_text="Schedules registered, as on the certificate."
    )
    expires_on = models.DateField("registration expires on", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # Renewals and address changes are kept: an inspector may ask what was registered when.
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "dea_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["dea_number"], condition=~Q(dea_number=""), name="registrant_dea_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.dea_number or 'DEA number not recorded'})"

    def clean(self) -> None:
        self.dea_number = self.dea_number.strip().upper()
        if self.dea_number and (problem := dea.dea_number_problem(self.dea_number)):
            raise ValidationError({"dea_number": problem})

    @property
    def is_complete(self) -> bool:
        return bool(self.dea_number and self.expires_on)

    def is_expired(self, on: date | None = None) -> bool:
        return self.expires_on is not None and self.expires_on < (on or timezone.localdate())

    def expires_soon(self, on: date | None = None) -> bool:
        on = on or timezone.localdate()
        return (
            self.expires_on is not None
            and not self.is_expired(on)
            and self.expires_on <= on + timedelta(days=dea.REGISTRATION_WARNING_DAYS)
        )
