"""Forms validate and normalise only; the services decide."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField

from scheduling import selectors
from scheduling.models import AppointmentType, Room

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
TIME_INPUT = forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")


class ClinicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


class _StartMixin(forms.Form):
    date = forms.DateField(widget=DATE_INPUT)
    time = forms.TimeField(widget=TIME_INPUT)
    allow_outside_hours = forms.BooleanField(
        required=False, label="Book even outside the clinician's working hours"
    )

    def starts_at(self) -> datetime:
        return _aware(self.cleaned_data["date"], self.cleaned_data["time"])


class BookingForm(_StartMixin, forms.Form):
    patient = forms.CharField(
        label="Patient MRN",
        required=False,
        help_text="Leave empty to register a new inquiry (consultations only).",
    )
    type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.filter(active=True), label="Visit type"
    )
    clinician = ClinicianChoiceField(queryset=User.objects.none())
    room = forms.ModelChoiceField(
        queryset=Room.objects.filter(active=True),
        required=False,
        empty_label="First free room of the right kind",
    )
    new_first_name = forms.CharField(label="First name", max_length=100, required=False)
    new_last_name = forms.CharField(label="Last name", max_length=100, required=False)
    new_date_of_birth = forms.DateField(label="Date of birth", required=False, widget=DATE_INPUT)
    new_phone = PhoneNumberField(label="Phone", required=False)
    new_email = forms.EmailField(label="E-mail", required=False)

    field_order = ["patient", "type", "clinician", "date", "time", "room"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = selectors.clinicians()

    def clean_patient(self):
        from patients.models import Patient

        mrn = self.cleaned_data["patient"].strip().upper()
        if not mrn:
            return None
        patient = Patient.objects.filter(mrn__iexact=mrn).first()
        if patient is None:
            raise forms.ValidationError(f"No patient has the MRN {mrn}.")
        return patient

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        if data.get("patient") is None:
            type_ = data.get("type")
            if type_ is not None and type_.kind != AppointmentType.Kind.CONSULTATION:
                self.add_error(
                    "patient", "Choose the patient; only a consultation can register a new one."
                )
                return data
            for name in ("new_first_name", "new_last_name", "new_date_of_birth"):
                if not data.get(name):
                    self.add_error(name, "Needed to register the new inquiry.")
            if not (data.get("new_phone") or data.get("new_email")):
                self.add_error("new_phone", "Give a phone number or an e-mail to reach them.")
        return data

    def new_patient_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "legal_first_name": data["new_first_name"].strip(),
            "legal_last_name": data["new_last_name"].strip(),
            "date_of_birth": data["new_date_of_birth"],
            "phone": data.get("new_phone") or "",
            "email": data.get("new_email") or "",
            "remind_by_email": bool(data.get("new_email")),
        }


class RescheduleForm(_StartMixin, forms.Form):
    clinician = ClinicianChoiceField(queryset=User.objects.none())
    room = forms.ModelChoiceField(
        queryset=Room.objects.filter(active=True),
        required=False,
        empty_label="First free room of the right kind",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = selectors.clinicians()


class CancelForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Kept on the appointment.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give a reason for the cancellation.")
        return reason


class SeriesForm(forms.Form):
    patient = forms.CharField(label="Patient MRN")
    type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.filter(active=True), label="Visit type"
    )
    clinician = ClinicianChoiceField(queryset=User.objects.none())
    first_day = forms.DateField(widget=DATE_INPUT, label="From")
    weekdays = forms.TypedMultipleChoiceField(
        choices=[
            (0, "Mon"),
            (1, "Tue"),
            (2, "Wed"),
            (3, "Thu"),
            (4, "Fri"),
            (5, "Sat"),
            (6, "Sun"),
        ],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=[0, 2, 4],
    )
    time = forms.TimeField(widget=TIME_INPUT, initial=time(9, 0))
    weeks = forms.IntegerField(min_value=1, max_value=8, initial=2)
    allow_outside_hours = forms.BooleanField(
        required=False, label="Book even outside the clinician's working hours"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = selectors.clinicians()

    clean_patient = BookingForm.clean_patient

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and data.get("patient") is None:
            self.add_error("patient", "Choose the patient.")
        return data

    def starts(self) -> list[datetime]:
        from scheduling.services import series_starts

        data = self.cleaned_data
        return series_starts(
            first_day=data["first_day"],
            weekdays=data["weekdays"],
            at=data["time"],
            weeks=data["weeks"],
        )


class PreparationForm(forms.Form):
    """The patient's answers for a dosing visit (signed link, no login)."""

    fasting = forms.BooleanField(
        required=False,
        label="I will have no solid food for 6 hours before, and only clear liquids until 2 "
        "hours before.",
    )
    escort_name = forms.CharField(label="Escort's name", max_length=120, required=False)
    escort_phone = PhoneNumberField(label="Escort's phone", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        name, phone = data.get("escort_name", "").strip(), data.get("escort_phone")
        if bool(name) != bool(phone) and "escort_phone" not in self.errors:
            self.add_error(
                "escort_phone" if name else "escort_name",
                "Give both the name and the phone number of the person taking you home.",
            )
        if not data.get("fasting") and not name and not self.errors:
            raise forms.ValidationError("Tick the fasting box or give your escort's details.")
        return data


class PublicCancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        error_messages={"required": "Please tell us why, in a few words."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Please tell us why, in a few words.")
        return reason


def default_day(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
