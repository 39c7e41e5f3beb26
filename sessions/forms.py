"""Forms validate and normalise; the rules themselves live in dosing.py, vitals.py and services."""

from __future__ import annotations

from datetime import datetime, time, timedelta
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


def time_field(label: str = "Time, if not now") -> forms.TimeField:
    """A back-charting time today, in minutes (no seconds, so a typed 08:40 is accepted)."""
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=["%H:%M"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": "60"}),
        help_text="Leave empty for now.",
    )


def today_at(value: time | None) -> datetime | None:
    """A time typed at the chair, on today's clinic-local date."""
    if value is None:
        return None
    return timezone.make_aware(datetime.combine(timezone.localdate(), value))


class VitalsForm(forms.Form):
    """Blood pressure, heart rate, SpO₂ and optional respiratory rate; impossible values are
    refused with ``vitals.classify``'s own message."""

    systolic = forms.IntegerField(label="Systolic (mmHg)")
    diastolic = forms.IntegerField(label="Diastolic (mmHg)")
    heart_rate = forms.IntegerField(label="Heart rate (bpm)")
    spo2 = forms.IntegerField(label="SpO₂ (%)")
    respiratory_rate = forms.IntegerField(label="Resp. rate (/min)", required=False)
    taken_at = time_field("Taken at, if not now")

    def __init__(self, *args, session: DosingSession, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        for name, field in self.fields.items():
            field.widget.attrs.update({"class": "form-control"})
            if name != "taken_at":
                field.widget.attrs["inputmode"] = "numeric"
        self.fields["taken_at"].help_text = ""

    def clean_taken_at(self):
        return today_at(self.cleaned_data.get("taken_at"))

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
    weight = forms.DecimalField(
        label="Weight today", max_digits=6, decimal_places=1, min_value=Decimal("0.1")
    )
    weight_unit = forms.ChoiceField(
        label="Unit", choices=[("kg", "kg"), ("lb", "lb")], initial="kg"
    )
    weight_confirmed = forms.BooleanField(
        label="Confirm weight (more than 10 % away from the last recorded weight)",
        required=False,
    )
    mg_per_kg = forms.DecimalField(
        label="Dose (mg/kg)", max_digits=5, decimal_places=3, min_value=Decimal("0.001")
    )
    lot = forms.ModelChoiceField(queryset=Lot.objects.none(), label="Lot / vial drawn from")
    administered_by = UserChoiceField(queryset=User.objects.none())
    supervising_provider = UserChoiceField(queryset=User.objects.none())
    started_at = time_field("Dose started at, if not now")
    override_reason = forms.CharField(
        label="Override reason (medical provider only)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, session: DosingSession, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
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

    def clean_started_at(self):
        return today_at(self.cleaned_data.get("started_at"))

    def clean(self):
        data = super().clean()
        weight, unit = data.get("weight"), data.get("weight_unit")
        if weight is not None and unit:
            data["weight_kg"] = dosing.lb_to_kg(weight) if unit == "lb" else weight
        return data

    def weight_kg(self) -> Decimal | None:
        data = getattr(self, "cleaned_data", {})
        return data.get("weight_kg")

    def total_mg(self) -> Decimal | None:
        """The computed total on the plain weight, for the preview; None while the numbers are
        not usable. The dose service computes the recorded total on the dosing weight."""
        data = getattr(self, "cleaned_data", {})
        try:
            return dosing.total_dose_mg(data.get("weight_kg"), data.get("mg_per_kg"))
        except ValueError:
            return None


class DoseEndForm(forms.Form):
    ended_at = time_field("Ended at, if not now")
    early_reason = forms.CharField(
        label="Reason, if it ended early",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_ended_at(self):
        return today_at(self.cleaned_data.get("ended_at"))


class ItemOverrideForm(forms.Form):
    item = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Override reason", widget=forms.Textarea(attrs={"rows": 2}))


class AcknowledgeForm(forms.Form):
    """A provider's decision on a hold, or a clinician's action on an alert."""

    reason = forms.CharField(label="Action taken", widget=forms.Textarea(attrs={"rows": 2}))


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Back-charting: the onset may be given; empty means now (services.adverse_event_record).
        self.fields["onset_at"].required = False
        self.fields["onset_at"].help_text = "Leave empty for now."

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


def _aldrete_choice(label: str, options: list[tuple[int, str]]) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        coerce=int,
        choices=[("", "—")] + [(v, f"{v} · {text}") for v, text in options],
    )


class DischargeForm(forms.Form):
    """The modified Aldrete items the nurse assesses (Aldrete 1995); circulation and
    oxygenation come from the last reading and the pre-dose value."""

    activity = _aldrete_choice(
        "Activity",
        [(2, "moves all four limbs, walks steadily"), (1, "moves two limbs"), (0, "none")],
    )
    respiration = _aldrete_choice(
        "Respiration",
        [(2, "breathes deeply, coughs freely"), (1, "dyspnoea or shallow"), (0, "apnoeic")],
    )
    consciousness = _aldrete_choice(
        "Consciousness",
        [(2, "fully awake, oriented"), (1, "arousable on calling"), (0, "not responding")],
    )
    on_oxygen = forms.BooleanField(label="On supplemental oxygen", required=False)
    nausea_controlled = forms.BooleanField(label="Nausea controlled", required=False)
    escort_present = forms.BooleanField(label="Responsible adult escort present", required=False)
    instructions_given = forms.BooleanField(label="Written instructions given", required=False)
    discharged_with = forms.CharField(label="Escort at discharge", max_length=200, required=False)
    at = time_field("Discharged at, if not now")

    def clean_at(self):
        return today_at(self.cleaned_data.get("at"))


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
