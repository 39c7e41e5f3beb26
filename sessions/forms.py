"""Forms validate and normalise; the rules themselves live in dosing.py, vitals.py and services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from kap_clinic import roles
from kap_clinic.params import ClinicDateField
from patients import instruments
from patients.forms import MeasureForm
from scheduling import selectors as scheduling_selectors
from scheduling.models import Appointment, AppointmentType
from sessions import dosing
from sessions import vitals as vital_rules
from sessions.models import (
    CONTRAINDICATIONS_NEW_FOUND,
    NEW_CONTRAINDICATION_NEEDS_NOTE,
    AdverseEvent,
    DosingProtocol,
    DosingSession,
    Lot,
    Registrant,
)
from sessions.selectors import usable_lots, users_with_role


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class CourseForm(forms.Form):
    protocol = forms.ModelChoiceField(queryset=DosingProtocol.objects.all())
    planned_sessions = forms.IntegerField(min_value=1, max_value=30, initial=6)
    starts_on = ClinicDateField(
        initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )


class SessionPlanForm(forms.Form):
    appointment = forms.ModelChoiceField(
        queryset=Appointment.objects.none(),
        required=False,
        empty_label="No booked appointment",
        help_text="The booked dosing visit: the patient's fasting and escort answers from the "
        "reminder links fill in the checklist.",
    )
    scheduled_for = forms.DateTimeField(
        required=False,
        initial=timezone.now,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="When there is no booked appointment.",
    )

    def __init__(self, *args, patient_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appointment"].queryset = (
            Appointment.objects.filter(
                patient_id=patient_id,
                starts_at__gte=timezone.now() - timedelta(hours=12),
                status__in=(Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN),
                dosing_session__isnull=True,
            )
            .select_related("type", "clinician")
            .order_by("starts_at")
        )

    def clean(self):
        data = super().clean()
        if not data.get("appointment") and not data.get("scheduled_for"):
            raise forms.ValidationError("Choose the booked appointment or give a date and time.")
        return data


class VisitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Appointment) -> str:
        return f"{obj.local_label} · {obj.type.name} · {obj.clinician_name}"


class LinkVisitForm(forms.Form):
    """The patient's upcoming booked dosing visits that have no session yet."""

    appointment = VisitChoiceField(
        queryset=Appointment.objects.none(),
        label="Booked dosing visit",
        error_messages={
            "invalid_choice": "Choose one of this patient's upcoming booked dosing visits "
            "that has no session yet."
        },
    )

    def __init__(self, *args, patient, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        visits = scheduling_selectors.patient_upcoming(patient, kinds=[AppointmentType.Kind.DOSING])
        self.fields["appointment"].queryset = (
            Appointment.objects.filter(pk__in=[v.pk for v in visits], dosing_session__isnull=True)
            .select_related("type", "clinician")
            .order_by("starts_at", "id")
        )


class ChecklistForm(forms.ModelForm):
    class Meta:
        model = DosingSession
        fields = [
            "fasting_confirmed",
            "escort_name",
            "escort_phone",
            "medications_reviewed",
            "pregnancy_test",
            "intention_set",
            "contraindications_reconfirmed",
            "contraindications_note",
        ]
        widgets = {
            "contraindications_reconfirmed": forms.RadioSelect,
            "contraindications_note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A new contraindication, once recorded, stays (services.checklist_update): the answer
        # is shown but not offered for change, so saving the other items keeps it.
        if self.instance.contraindications_reconfirmed == CONTRAINDICATIONS_NEW_FOUND:
            self.fields["contraindications_reconfirmed"].disabled = True

    def clean(self):
        data = super().clean()
        # Said at the note itself, before the model's constraint says it for the whole form.
        answer = data.get("contraindications_reconfirmed")
        if answer == CONTRAINDICATIONS_NEW_FOUND and not data.get("contraindications_note"):
            self.add_error("contraindications_note", NEW_CONTRAINDICATION_NEEDS_NOTE)
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class VitalsForm(forms.Form):
    """Blood pressure, heart rate, SpO₂ and optional respiratory rate; impossible values are
    refused with ``vitals.classify``'s own message."""

    systolic = forms.IntegerField(label="Systolic (mmHg)")
    diastolic = forms.IntegerField(label="Diastolic (mmHg)")
    heart_rate = forms.IntegerField(label="Heart rate (bpm)")
    spo2 = forms.IntegerField(label="SpO₂ (%)")
    respiratory_rate = forms.IntegerField(label="Resp. rate (/min)", required=False)

    def __init__(self, *args, session: DosingSession, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        for field in self.fields.values():
            field.widget.attrs.update({"inputmode": "numeric", "class": "form-control"})

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.alerts = vital_rules.classify(
                phase=self.session.phase,
                systolic=data["systolic"],
                diastolic=data["diastolic"],
                heart_rate=data["heart_rate"],
                spo2=data["spo2"],
                respiratory_rate=data.get("respiratory_rate"),
                thresholds=self.session.course.protocol.thresholds,
            )
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
        return data


class DoseForm(forms.Form):
    weight_kg = forms.DecimalField(
        label="Weight today (kg)", max_digits=5, decimal_places=1, min_value=Decimal("0.1")
    )
    mg_per_kg = forms.DecimalField(
        label="Dose (mg/kg)", max_digits=5, decimal_places=3, min_value=Decimal("0.001")
    )
    lot = forms.ModelChoiceField(queryset=Lot.objects.none(), label="Lot / vial drawn from")
    administered_by = UserChoiceField(queryset=User.objects.none())
    supervising_provider = UserChoiceField(queryset=User.objects.none())
    override_reason = forms.CharField(
        label="Override reason (medical provider only)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, session: DosingSession, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        lots = usable_lots()
        self.fields["lot"].queryset = Lot.objects.filter(pk__in=[lot.pk for lot, _ in lots])
        balances = {lot.pk: bal for lot, bal in lots}
        self.fields["lot"].label_from_instance = lambda lot: (
            f"{lot.lot_number} — {lot.concentration_mg_per_ml:g} mg/mL, "
            f"{balances.get(lot.pk)} mg left, exp {lot.expires_on:%Y-%m-%d}"
        )
        self.fields["administered_by"].queryset = users_with_role(
            roles.CLINICIAN, roles.MEDICAL_PROVIDER
        )
        self.fields["supervising_provider"].queryset = users_with_role(roles.MEDICAL_PROVIDER)
        self.fields["mg_per_kg"].initial = session.course.protocol.default_mg_per_kg.normalize()

    def total_mg(self) -> Decimal | None:
        """The computed total, for the preview; None while the numbers are not usable."""
        weight = self.cleaned_data.get("weight_kg") if hasattr(self, "cleaned_data") else None
        rate = self.cleaned_data.get("mg_per_kg") if hasattr(self, "cleaned_data") else None
        try:
            return dosing.total_dose_mg(weight, rate)
        except ValueError:
            return None


class AdverseEventForm(forms.ModelForm):
    class Meta:
        model = AdverseEvent
        fields = ["kind", "severity", "onset_at", "description", "action_taken", "resolved_at"]
        widgets = {
            "onset_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "resolved_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "description": forms.Textarea(attrs={"rows": 2}),
            "action_taken": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        data = super().clean()
        onset, resolved = data.get("onset_at"), data.get("resolved_at")
        if onset and resolved and resolved < onset:
            self.add_error("resolved_at", "An event cannot resolve before it began.")
        return data


def measure_form(code: str, data: Any = None, **kwargs: Any) -> MeasureForm:
    """A measure inside a session page (CADSS-6 after the dose, the follow-up's PHQ-9): the
    one measure form of ``patients.forms``, without its own time (the record dates it)."""
    return MeasureForm(data, code=code, timed=False, buttons=False, **kwargs)


def CadssForm(data: Any = None, **kwargs: Any) -> MeasureForm:  # noqa: N802 (reads as a class)
    return measure_form(instruments.CADSS6, data, **kwargs)


class DischargeForm(forms.ModelForm):
    class Meta:
        model = DosingSession
        fields = [
            "vitals_near_baseline",
            "alert_and_oriented",
            "walking_steadily",
            "nausea_controlled",
            "escort_present",
            "instructions_given",
            "discharged_with",
        ]


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)


class AddendumForm(forms.Form):
    text = forms.CharField(label="Addendum", widget=forms.Textarea(attrs={"rows": 3}))


class FollowUpForm(forms.Form):
    held_at = forms.DateTimeField(
        initial=timezone.now, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    themes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    insights = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


# --- ledger ----------------------------------------------------------------------------------


class WitnessedForm(forms.Form):
    """A second person present, confirming with their own password (the service checks it)."""

    witness = UserChoiceField(queryset=User.objects.none())
    witness_password = forms.CharField(
        label="Witness's password", widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args, by: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("witness", "second_witness"):
            if name in self.fields:
                self.fields[name].queryset = users_with_role(
                    roles.CLINICIAN, roles.MEDICAL_PROVIDER
                ).exclude(pk=by.pk)


class LotReceiveForm(WitnessedForm):
    registrant = forms.ModelChoiceField(
        queryset=Registrant.objects.all(), label="DEA registrant", empty_label=None
    )
    lot_number = forms.CharField(max_length=60)
    ndc = forms.CharField(label="NDC", max_length=13, help_text="As printed, e.g. 0143-9508-10.")
    supplier = forms.CharField(max_length=200)
    supplier_dea_number = forms.CharField(label="Supplier's DEA number", max_length=9)
    invoice_number = forms.CharField(max_length=60)
    concentration_mg_per_ml = forms.DecimalField(
        label="Concentration (mg/mL)", max_digits=6, decimal_places=2, min_value=Decimal("0.01")
    )
    vial_volume_ml = forms.DecimalField(
        label="Volume per vial (mL)", max_digits=6, decimal_places=2, min_value=Decimal("0.01")
    )
    vial_count = forms.IntegerField(label="Number of vials", min_value=1, max_value=10000)
    expires_on = ClinicDateField(widget=forms.DateInput(attrs={"type": "date"}))

    field_order = [
        "registrant",
        "lot_number",
        "ndc",
        "supplier",
        "supplier_dea_number",
        "invoice_number",
        "concentration_mg_per_ml",
        "vial_volume_ml",
        "vial_count",
        "expires_on",
        "witness",
        "witness_password",
    ]


class WasteForm(WitnessedForm):
    quantity_mg = forms.DecimalField(
        label="Amount wasted (mg)", max_digits=9, decimal_places=1, min_value=Decimal("0.1")
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["quantity_mg", "reason", "witness", "witness_password"]


class CountForm(WitnessedForm):
    counted_mg = forms.DecimalField(
        label="Counted on hand (mg)", max_digits=9, decimal_places=1, min_value=Decimal("0")
    )
    note = forms.CharField(required=False)

    # Three witnessed forms share the lot page: prefixes keep their ids (and labels) apart.
    prefix = "count"
    field_order = ["counted_mg", "note", "witness", "witness_password"]


class CorrectionForm(WitnessedForm):
    change_mg = forms.DecimalField(
        label="Change (mg, negative to reduce)", max_digits=9, decimal_places=1
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    prefix = "correction"
    field_order = ["change_mg", "reason", "witness", "witness_password"]


class InventoryDateForm(forms.Form):
    on = ClinicDateField(
        label="Inventory at the end of", widget=forms.DateInput(attrs={"type": "date"})
    )
