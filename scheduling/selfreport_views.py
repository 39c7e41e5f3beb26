"""Staff side of the self-report outbox: "Send questionnaire" and the per-patient switches on
the chart, sending a signed safety plan by link. Clinical roles only (what is sent, and when,
says something clinical); every action is in the access log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kap_clinic import roles
from kap_clinic.audit import record_access
from kap_clinic.errors import service_errors
from patients import instruments
from patients import selectors as patient_selectors
from patients.models import SafetyPlan
from patients.selfreport import questions
from patients.selfreport import selectors as selfreport_selectors
from scheduling import services
from scheduling.models import PatientMessage
from scheduling.selfreport_selectors import checkin_call_list
from scheduling.services.selfreport import preference


class SendQuestionnaireForm(forms.Form):
    instruments = forms.MultipleChoiceField(
        label="Questionnaires",
        choices=[(c, instruments.INSTRUMENTS[c].name) for c in questions.SELF_REPORT_CODES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one questionnaire."},
    )


class SwitchesForm(forms.Form):
    before_visits = forms.BooleanField(label="Questionnaires before visits", required=False)
    on_schedule = forms.BooleanField(label="Questionnaires on the schedule", required=False)
    checkins = forms.BooleanField(label="Next-day check-in after each dose", required=False)


def section_context(request: HttpRequest, patient: Any) -> dict[str, Any]:
    """The chart's "Self-report" section: send, switches, what was sent and answered."""
    prefs = preference(patient)
    recent = list(
        PatientMessage.objects.filter(patient_id=patient.pk)
        .select_related("link")
        .order_by("-due_at", "-id")[:8]
    )
    return {
        "send_form": SendQuestionnaireForm(initial={"instruments": [instruments.PHQ9]}),
        "switches": SwitchesForm(
            initial={
                "before_visits": prefs.before_visits,
                "on_schedule": prefs.on_schedule,
                "checkins": prefs.checkins,
            }
        ),
        "outbox": recent,
        "completion": selfreport_selectors.completion(patient),
        "checkins": selfreport_selectors.recent_checkins(patient),
        "now": timezone.now(),
    }


@roles.role_required(roles.CLINICAL)
@require_POST
def questionnaire_send(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_selectors.patient_for_user(user=request.user, pk=pk, clinical=True)
    record_access(request=request, patient_id=patient.pk, what="send questionnaire")
    form = SendQuestionnaireForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    else:
        with service_errors(request):
            services.questionnaire_send(
                patient=patient, instruments=form.cleaned_data["instruments"], by=request.user
            )
            messages.success(request, "The questionnaire link will be sent within a minute.")
    return redirect(f"{_chart(patient.pk)}#self_report")


@roles.role_required(roles.CLINICAL)
@require_POST
def intake_forms_send(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_selectors.patient_for_user(user=request.user, pk=pk, clinical=True)
    record_access(request=request, patient_id=patient.pk, what="send intake forms")
    with service_errors(request):
        services.intake_forms_send(patient=patient, by=request.user)
        messages.success(request, "The intake forms will be sent within a minute.")
    return redirect(f"{_chart(patient.pk)}#self_report")


@roles.role_required(roles.CLINICAL)
@require_POST
def selfreport_switches(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_selectors.patient_for_user(user=request.user, pk=pk, clinical=True)
    record_access(request=request, patient_id=patient.pk, what="self-report switches")
    form = SwitchesForm(request.POST)
    form.is_valid()  # booleans: always valid
    services.selfreport_preference_update(patient=patient, **form.cleaned_data)
    messages.success(request, "Self-report settings saved; upcoming visits re-planned.")
    return redirect(f"{_chart(patient.pk)}#self_report")


@roles.role_required(roles.CLINICAL)
@require_POST
def safety_plan_send(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(SafetyPlan.objects.select_related("patient"), pk=pk)
    record_access(request=request, patient_id=plan.patient_id, what="send safety plan")
    with service_errors(request):
        services.safety_plan_send(plan=plan, by=request.user)
        messages.success(request, "The safety plan link will be sent within a minute.")
    return redirect("patients:safety_plan", pk=plan.patient_id)


def _chart(pk: int) -> str:
    return reverse("patients:chart", args=[pk])


def call_list_panel(request: HttpRequest) -> dict[str, Any] | None:
    rows = checkin_call_list()
    return {"rows": rows} if rows else None


@roles.role_required(roles.FRONT_OFFICE)
def call_list(request: HttpRequest) -> HttpResponse:
    return render(request, "scheduling/call_list.html", {"rows": checkin_call_list()})
