"""Forms of the self-report pages (patient side) and of the staff pages around them."""

from __future__ import annotations

from django import forms

from patients import contraindications
from patients.models import SafetyPlan


class CheckInForm(forms.Form):
    wellbeing = forms.TypedChoiceField(
        label="How are you today? (0 = very bad, 10 = very good)",
        choices=[(n, str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a number from 0 to 10."},
    )
    nausea = forms.BooleanField(label="Nausea", required=False)
    headache = forms.BooleanField(label="Headache", required=False)
    dizziness = forms.BooleanField(label="Dizziness", required=False)
    unusual_distress = forms.BooleanField(label="Unusual distress", required=False)
    thoughts_of_self_harm = forms.BooleanField(label="Thoughts of harming yourself", required=False)
    please_call = forms.BooleanField(label="Please call me", required=False)


class SafetyPlanForm(forms.ModelForm):
    class Meta:
        model = SafetyPlan
        fields = [
            "warning_signs",
            "coping_strategies",
            "distraction",
            "people_to_ask",
            "professionals",
            "safe_environment",
            "reasons_for_living",
        ]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields}


class ReviewForm(forms.Form):
    note = forms.CharField(label="What was done", widget=forms.Textarea(attrs={"rows": 2}))


_LABELS = {
    "diagnoses": "Mental health diagnoses you have been given",
    "prior_treatments": "Treatments you have tried (medications, therapy, other) and how they went",
    "hospitalisations": "Hospital stays for mental health (when, why)",
    "medical_history": "Medical conditions (for example heart, blood pressure, liver, thyroid)",
    "medications": "Medications and supplements you take now, with doses",
    "allergies": "Allergies (to medicines, foods, latex…), or “none”",
    "substance_use": "Alcohol, cannabis and other substances: what, how much, how often",
}
_CONTACT_LABELS = {
    "phone": "Mobile phone",
    "email": "E-mail",
    "address_line1": "Street address",
    "address_line2": "Address line 2",
    "city": "City",
    "state": "State",
    "postal_code": "ZIP code",
    "emergency_contact_name": "Emergency contact's name",
    "emergency_contact_phone": "Emergency contact's phone",
}


class IntakeByLinkForm(forms.Form):
    """The intake forms on the patient's phone. Contact boxes start empty (the page shows no
    personal details): the patient fills in only what changed."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, label in _LABELS.items():
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        for item in contraindications.CONTRAINDICATIONS:
            self.fields[f"screen_{item.code}"] = forms.ChoiceField(
                label=item.label,
                choices=[("yes", "Yes"), ("no", "No"), ("unknown", "I don't know")],
                widget=forms.RadioSelect,
                error_messages={"required": "Answer yes, no or “I don't know”."},
            )
        for name, label in _CONTACT_LABELS.items():
            self.fields[f"contact_{name}"] = forms.CharField(
                label=label, required=False, max_length=200
            )

    def history_fields(self):
        return [self[name] for name in _LABELS]

    def screen_fields(self):
        return [self[f"screen_{i.code}"] for i in contraindications.CONTRAINDICATIONS]

    def contact_fields(self):
        return [self[f"contact_{name}"] for name in _CONTACT_LABELS]

    def split(self) -> tuple[dict, dict, dict]:
        data = self.cleaned_data
        fields = {name: data[name] for name in _LABELS}
        screen = {i.code: data[f"screen_{i.code}"] for i in contraindications.CONTRAINDICATIONS}
        contact = {name: data[f"contact_{name}"] for name in _CONTACT_LABELS}
        return fields, screen, contact


class ConsentByLinkForm(forms.Form):
    have_read = forms.BooleanField(
        label="I have read the consent above and agree to it.",
        error_messages={"required": "Tick to say you have read the consent and agree to it."},
    )
    typed_name = forms.CharField(
        label="Type your full legal name to sign",
        max_length=200,
        error_messages={"required": "Type your full legal name to sign."},
    )
    sms_consent = forms.BooleanField(label="", required=False)
