"""Forms validate and normalise; the services decide. Service refusals (ValidationError, or the
ValueError from ``instruments.score``) are added to the form by the view, so nothing typed is
lost."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from phonenumber_field.formfields import PhoneNumberField

from kap_clinic import roles
from patients import contraindications, instruments, services
from patients.models import EligibilityDecision, Intake, Patient

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ClinicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


def clinicians() -> Any:
    return roles.users_in_roles(roles.CLINICAL)


class PatientForm(forms.ModelForm):
    phone = PhoneNumberField(required=False, help_text="Any format; stored as +1…")
    emergency_contact_phone = PhoneNumberField(required=False)
    primary_clinician = ClinicianChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = Patient
        fields = services.PATIENT_FIELDS
        widgets = {"date_of_birth": DATE_INPUT}
        help_texts = {
            "remind_by_sms": "Needs the patient's SMS consent, recorded with the consent form.",
            "referral_source": "How they heard of the clinic, or who referred them.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["primary_clinician"].queryset = clinicians()

    def clean_legal_first_name(self) -> str:
        return " ".join(self.cleaned_data["legal_first_name"].split())

    def clean_legal_last_name(self) -> str:
        return " ".join(self.cleaned_data["legal_last_name"].split())

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_remind_by_sms(self) -> bool:
        wants = self.cleaned_data["remind_by_sms"]
        if wants and not self.instance.sms_consent:
            raise forms.ValidationError(
                "Text-message reminders need the patient's SMS consent, recorded with the "
                "consent form by a clinician."
            )
        return wants

    def service_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k in services.PATIENT_FIELDS}


class PatientCreateForm(PatientForm):
    # Shown only once a likely duplicate was found: the user confirms it is someone else.
    confirm_not_duplicate = forms.BooleanField(
        required=False,
        label="I checked the patients listed above: this is a different person.",
    )


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Find a patient",
        widget=forms.TextInput(
            attrs={
                "placeholder": "Name, MRN, date of birth or phone",
                "autofocus": True,
                "type": "search",
            }
        ),
    )
    archived = forms.BooleanField(required=False, label="Include archived")


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=())

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Eligible / not eligible come only with a provider's signed decision.
        self.fields["status"].choices = [
            (value, Patient.Status(value).label)
            for value in services.allowed_next_statuses(patient)
            if value not in services.ELIGIBILITY_STATUSES
        ]


# --- intake ---------------------------------------------------------------------------------

VITAL_RANGES = {
    # Physiologically impossible values are typing errors (DESIGN.md, "Vitals").
    "bp_systolic": (50, 260),
    "bp_diastolic": (30, 160),
    "heart_rate": (20, 250),
    "spo2": (50, 100),
    "weight_kg": (20, 350),
    "height_cm": (100, 250),
}


def screen_field_name(code: str) -> str:
    return f"screen_{code}"


def screen_note_name(code: str) -> str:
    return f"screen_note_{code}"


class IntakeForm(forms.ModelForm):
    """The draft intake: every field optional until signing (``selectors.intake_missing``)."""

    class Meta:
        model = Intake
        fields = tuple(
            name
            for name in (
                "diagnoses",
                "prior_treatments",
                "failed_antidepressant_trials",
                "hospitalisations",
                "substance_use",
                "medical_history",
                "medications",
                "allergies",
                "bp_systolic",
                "bp_diastolic",
                "heart_rate",
                "spo2",
                "weight_kg",
                "height_cm",
                "notes",
            )
        )
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in (
                "diagnoses",
                "prior_treatments",
                "hospitalisations",
                "substance_use",
                "medical_history",
                "medications",
                "allergies",
                "notes",
            )
        }
        help_texts = {
            "allergies": 'Write "None known" when there are none.',
            "hospitalisations": 'Write "None" when there were none.',
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing = {}
        if self.instance.pk:
            existing = {a.item: a for a in self.instance.screen.all()}
        for item in contraindications.CONTRAINDICATIONS:
            answer = existing.get(item.code)
            self.fields[screen_field_name(item.code)] = forms.ChoiceField(
                label=item.label,
                choices=contraindications.ANSWERS,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                initial=answer.answer if answer else None,
            )
            self.fields[screen_note_name(item.code)] = forms.CharField(
                label="Note",
                required=False,
                max_length=300,
                initial=answer.note if answer else "",
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, (low, high) in VITAL_RANGES.items():
            value = cleaned.get(name)
            if value is not None and not low <= value <= high:
                label = self.fields[name].label
                self.add_error(name, f"{label} must be between {low} and {high}.")
        return cleaned

    @property
    def screen_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "item": item,
                "field": self[screen_field_name(item.code)],
                "note": self[screen_note_name(item.code)],
            }
            for item in contraindications.CONTRAINDICATIONS
        ]

    def service_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k in services.INTAKE_FIELDS}

    def screen_answers(self) -> dict[str, str]:
        return {
            item.code: self.cleaned_data.get(screen_field_name(item.code)) or ""
            for item in contraindications.CONTRAINDICATIONS
        }

    def screen_notes(self) -> dict[str, str]:
        return {
            item.code: self.cleaned_data.get(screen_note_name(item.code)) or ""
            for item in contraindications.CONTRAINDICATIONS
        }


class AddendumForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Addendum")


# --- measures -------------------------------------------------------------------------------

_YES_NO = (("yes", "Yes"), ("no", "No"))
# C-SSRS questions 3-5 are asked only after a yes to Q2, and the recency follow-up only after
# a yes to Q6 (Columbia screener); leaving them blank means "not asked".
_CSSRS_CONDITIONAL = ("q3", "q4", "q5", "q6_recent")


class MeasureForm(forms.Form):
    """One measure, item by item, with its published response options. No total field:
    the score is computed by ``instruments.score`` in ``services.measure_record``."""

    taken_at = forms.DateTimeField(
        required=False,
        label="Taken at",
        help_text="Leave empty for now.",
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
        ),
    )

    def __init__(
        self, *args: Any, code: str, timed: bool = True, buttons: bool = True, **kwargs: Any
    ) -> None:
        """``timed=False`` drops "Taken at" (a form inside a dated record, e.g. the CADSS-6 of
        a dosing session); ``buttons=False`` renders plain radios (crispy layouts) instead of
        the button group of the measure page."""
        super().__init__(*args, **kwargs)
        self.code = code
        self.instrument = instruments.INSTRUMENTS[code]
        if not timed:
            del self.fields["taken_at"]
        radio_attrs = {"class": "btn-check"} if buttons else {}
        if code == instruments.CSSRS:
            for key, text in zip(self.instrument.keys, self.instrument.items, strict=True):
                conditional = key in _CSSRS_CONDITIONAL
                self.fields[key] = forms.ChoiceField(
                    label=text,
                    choices=((("", "Not asked"),) if conditional else ()) + _YES_NO,
                    initial="" if conditional else None,
                    required=not conditional,
                    widget=forms.RadioSelect(attrs=radio_attrs),
                    help_text=(
                        "Ask only if question 2 is yes."
                        if key in ("q3", "q4", "q5")
                        else "Ask only if question 6 is yes."
                        if key == "q6_recent"
                        else ""
                    ),
                )
        else:
            for number, text in enumerate(self.instrument.items, start=1):
                self.fields[f"item_{number}"] = forms.TypedChoiceField(
                    label=f"{number}. {text}",
                    choices=[(str(v), label) for v, label in self.instrument.options],
                    coerce=int,
                    widget=forms.RadioSelect(attrs=radio_attrs),
                    error_messages={"required": "Answer this item."},
                )

    @property
    def item_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "taken_at"]

    def answers(self) -> list[int] | dict[str, bool]:
        """The answers in the shape ``instruments.score`` takes."""
        if self.code == instruments.CSSRS:
            out = {}
            for key in self.instrument.keys:
                value = self.cleaned_data.get(key)
                if value:
                    out[key] = value == "yes"
            return out
        return [self.cleaned_data[f"item_{n}"] for n in range(1, len(self.instrument.items) + 1)]


class AcknowledgeFlagForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What was done",
        help_text="For example: safety plan reviewed with the patient; crisis line given.",
    )


# --- eligibility and consent ----------------------------------------------------------------


class EligibilityForm(forms.Form):
    decision = forms.ChoiceField(
        choices=EligibilityDecision.Decision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Override reason",
        help_text="Required to mark eligible while an absolute contraindication is answered yes.",
    )


class ConsentForm(forms.Form):
    typed_name = forms.CharField(
        label="Patient's full legal name, typed by the patient",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    sms_consent = forms.BooleanField(required=False, label="I agree to receive text messages")


class RevokeConsentForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="How and why consent was withdrawn",
    )
