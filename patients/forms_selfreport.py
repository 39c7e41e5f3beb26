"""Forms of the self-report pages (patient side) and of the staff pages around them."""

from __future__ import annotations

from django import forms

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
