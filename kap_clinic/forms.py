from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from kap_clinic.params import ClinicDateField


class AccessLogFilterForm(forms.Form):
    """Filters of the PHI access log review page; dates are days in the clinic's time zone."""

    user = forms.ModelChoiceField(
        queryset=User.objects.order_by("last_name", "first_name", "username"),
        required=False,
        empty_label="Any user",
    )
    patient = forms.IntegerField(
        label="Patient ID", required=False, min_value=1, max_value=2**63 - 1
    )
    date_from = ClinicDateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = ClinicDateField(
        label="To (inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise ValidationError("“From” must be on or before “To”.")
        return data

    def filters(self) -> dict:
        """Keyword arguments for ``kap_clinic.audit.access_events``."""
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        start, end = data.get("date_from"), data.get("date_to")
        return {
            "user_id": data["user"].pk if data.get("user") else None,
            "patient_id": data.get("patient"),
            "since": datetime.combine(start, time.min, tzinfo=zone) if start else None,
            "until": (
                datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) if end else None
            ),
        }


class TokenForm(forms.Form):
    """A six-digit code from the authenticator app."""

    token = forms.CharField(
        label="6-digit code",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "").replace("-", "")
        if not (token.isascii() and token.isdigit() and len(token) == 6):
            raise ValidationError("Enter the 6 digits your authenticator app shows.")
        return token
