"""Forms validate and normalise only; the services decide."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.functional import cached_property
from phonenumber_field.formfields import PhoneNumberField

from kap_clinic.params import ClinicDateField
from patients.models import Patient
from patients.selectors import patients_pick, patients_search
from scheduling import selectors
from scheduling.models import AppointmentType, Room
from scheduling.services import series_starts

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
TIME_INPUT = forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")


class ClinicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


class _StartMixin(forms.Form):
    date = ClinicDateField(widget=DATE_INPUT)
    time = forms.TimeField(widget=TIME_INPUT)
    allow_outside_hours = forms.BooleanField(
        required=False, label="Book even outside the clinician's working hours"
    )

    def starts_at(self) -> datetime:
        return _aware(self.cleaned_data["date"], self.cleaned_data["time"])


class PatientPickerForm(forms.Form):
    """The patient to book for, chosen with the patient picker.

    ``patient`` is the primary key the picker puts in a hidden input; ``patient_search`` is what
    the user typed in the picker's search box. Typed text, when there is any, wins: the picker
    empties the box when a patient is chosen, so text is only left over when the user typed and
    did not pick (or has no JavaScript). Then it is resolved here by the rules of
    ``patients_search``: an MRN, or a name, date of birth or phone that matches exactly one
    current patient. Archived patients cannot be booked until they are restored.
    ``cleaned_data["patient"]`` is the Patient, or None when nothing was given.
    """

    patient = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "Choose the patient again.",
            "min_value": "Choose the patient again.",
        },
    )
    patient_search = forms.CharField(label="Patient", required=False, max_length=100)

    patient_required = True
    patient_help = "Part of the name, the date of birth, the phone number or the MRN."

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["patient_search"].help_text = self.patient_help
        # Shown under the search box when what was typed matches several patients.
        self.patient_candidates: list[Patient] = []
        self.patient_candidates_more = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "patient" in self.errors or "patient_search" in self.errors:
            data.pop("patient", None)
            return data
        text = " ".join(data.get("patient_search", "").split())
        try:
            if text:
                data["patient"] = self._patient_from_text(text)
            elif data.get("patient") is not None:
                data["patient"] = self._patient_from_pk(data["patient"])
            else:
                data["patient"] = None
        except forms.ValidationError as error:
            self.add_error("patient_search", error)
            data["patient"] = None
            return data
        if self.patient_required and data["patient"] is None:
            self.add_error("patient_search", "Choose the patient.")
        return data

    def _patient_from_pk(self, pk: int) -> Patient:
        patient = Patient.objects.filter(pk=pk).first()
        if patient is None:
            raise forms.ValidationError(
                "That patient could not be found: search again.", code="unknown"
            )
        if patient.is_archived:
            raise _archived(patient)
        return patient

    def _patient_from_text(self, text: str) -> Patient:
        matches, more = patients_pick(query=text)
        if len(matches) == 1 and not more:
            return matches[0]
        if not matches:
            archived = list(patients_search(query=text, include_archived=True)[:2])
            if len(archived) == 1:
                raise _archived(archived[0])
            raise forms.ValidationError(
                f"No patient matches “{text}”. Check the spelling, or search by date of birth, "
                "phone or MRN.",
                code="unknown",
            )
        self.patient_candidates, self.patient_candidates_more = matches, more
        if more:
            raise forms.ValidationError(
                f"More than {len(matches)} patients match “{text}”: type more of the name, or "
                "the date of birth, phone or MRN.",
                code="ambiguous",
            )
        raise forms.ValidationError(
            f"{len(matches)} patients match “{text}”: choose one below, or type their MRN.",
            code="ambiguous",
        )

    @property
    def chosen_patient(self) -> Patient | None:
        """The patient to show as chosen: the one the submitted form resolved to, or the one
        the page was opened for (``initial["patient"]``, a primary key)."""
        if self.is_bound:
            chosen = getattr(self, "cleaned_data", {}).get("patient")
            return chosen if isinstance(chosen, Patient) else None
        return self._initial_patient

    @cached_property
    def _initial_patient(self) -> Patient | None:
        pk = self.initial.get("patient")
        return Patient.objects.filter(pk=pk).first() if pk else None


def _archived(patient: Patient) -> forms.ValidationError:
    return forms.ValidationError(
        f"{patient.display_name} ({patient.mrn}) is archived: restore them on their page "
        "before booking.",
        code="archived",
    )


class BookingForm(PatientPickerForm, _StartMixin, forms.Form):
    patient_required = False
    patient_help = (
        "Part of the name, the date of birth, the phone number or the MRN. Leave empty to "
        "register a new inquiry (consultations only)."
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
    new_date_of_birth = ClinicDateField(label="Date of birth", required=False, widget=DATE_INPUT)
    new_phone = PhoneNumberField(label="Phone", required=False)
    new_email = forms.EmailField(label="E-mail", required=False)

    field_order = ["patient", "patient_search", "type", "clinician", "date", "time", "room"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = selectors.clinicians()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        if data.get("patient") is None:
            type_ = data.get("type")
            if type_ is not None and type_.kind != AppointmentType.Kind.CONSULTATION:
                self.add_error(
                    "patient_search",
                    "Choose the patient; only a consultation can register a new one.",
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


class SeriesForm(PatientPickerForm, forms.Form):
    type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.filter(active=True), label="Visit type"
    )
    clinician = ClinicianChoiceField(queryset=User.objects.none())
    first_day = ClinicDateField(widget=DATE_INPUT, label="From")
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

    def starts(self) -> list[datetime]:
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


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
