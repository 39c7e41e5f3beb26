"""Forms for the controlled-substance records beyond the lot page's entries: destruction,
discrepancies, inventories and reports. They validate and normalise; the rules are in the
services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from kap_clinic.params import ClinicDateField
from sessions.forms import UserChoiceField, WitnessedForm
from sessions.models import Inventory, Lot, Registrant


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class DestructionForm(WitnessedForm):
    quantity_mg = forms.DecimalField(
        label="Amount destroyed (mg)", max_digits=9, decimal_places=1, min_value=Decimal("0.1")
    )
    method = forms.CharField(
        max_length=200, help_text="e.g. chemical denaturing kit (Rx Destroyer), reverse distributor"
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="e.g. expired")
    second_witness = UserChoiceField(queryset=User.objects.none())
    second_witness_password = forms.CharField(
        label="Second witness's password",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    field_order = ["quantity_mg", "method", "reason", "witness", "witness_password"]


class ResolveForm(WitnessedForm):
    explanation = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    adjust_book = forms.BooleanField(
        label="Bring the book to the count (a correction entry for the difference)",
        required=False,
    )

    field_order = ["explanation", "adjust_book", "witness", "witness_password"]


class NoticeForm(forms.Form):
    sent_on = ClinicDateField(label="Written notice sent to DEA on", widget=_date_input())


class Form106Form(forms.Form):
    filed_on = ClinicDateField(label="DEA Form 106 filed on", widget=_date_input())
    reference = forms.CharField(label="Form 106 confirmation number", max_length=60, required=False)


class PeriodForm(forms.Form):
    registrant = forms.ModelChoiceField(
        queryset=Registrant.objects.all(), label="DEA registrant", empty_label=None
    )
    start = ClinicDateField(label="From", widget=_date_input())
    end = ClinicDateField(label="To", widget=_date_input())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The period must start before it ends.")
        if (
            data.get("start")
            and data.get("end")
            and data["end"] - data["start"] > timedelta(days=3 * 366)
        ):
            raise forms.ValidationError("Choose a period of at most three years.")
        return data

    @staticmethod
    def initial_for(registrant: Registrant | None) -> dict:
        today = timezone.localdate()
        return {
            "registrant": registrant.pk if registrant else None,
            "start": today.replace(day=1).isoformat(),
            "end": today.isoformat(),
        }


class InventoryHeaderForm(forms.Form):
    registrant = forms.ModelChoiceField(
        queryset=Registrant.objects.all(), label="DEA registrant", empty_label=None
    )
    kind = forms.ChoiceField(choices=Inventory.Kind.choices)
    taken_on = ClinicDateField(label="Inventory date", widget=_date_input())
    as_of = forms.ChoiceField(label="As of", choices=Inventory.AsOf.choices)

    def clean_taken_on(self) -> date:
        value = self.cleaned_data["taken_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("An inventory cannot be dated in the future.")
        return value


class InventoryCountForm(InventoryHeaderForm):
    """The header plus, for each lot on hand, the amount found and whether it was estimated."""

    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, lots: list[tuple[Lot, Decimal]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lots = lots
        for lot, balance in lots:
            self.fields[f"lot_{lot.pk}_mg"] = forms.DecimalField(
                label=f"Lot {lot.lot_number} on hand (mg)",
                max_digits=9,
                decimal_places=1,
                min_value=Decimal("0"),
                initial=balance,
            )
            self.fields[f"lot_{lot.pk}_estimated"] = forms.BooleanField(
                label="Opened container, estimated", required=False
            )

    def counts(self) -> dict[int, tuple[Decimal, bool]]:
        return {
            lot.pk: (
                self.cleaned_data[f"lot_{lot.pk}_mg"],
                self.cleaned_data[f"lot_{lot.pk}_estimated"],
            )
            for lot, _balance in self.lots
        }

    def lot_rows(self):
        return [
            (lot, balance, self[f"lot_{lot.pk}_mg"], self[f"lot_{lot.pk}_estimated"])
            for lot, balance in self.lots
        ]
