"""Staff pages of the self-report: the safety plan (edit, sign, print) and the review of a
concerning next-day check-in. Clinical roles only; every look is in the access log."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from kap_clinic import roles
from kap_clinic.audit import record_access
from kap_clinic.errors import service_errors
from patients import services
from patients.forms_selfreport import ReviewForm, SafetyPlanForm
from patients.models import CheckIn, Consent, SafetyPlan
from patients.selfreport import selectors as selfreport_selectors
from patients.views import _patient, patient_view


@patient_view(roles.CLINICAL, what="safety plan")
def safety_plan(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, what="safety plan", clinical=True)
    versions = selfreport_selectors.safety_plans(patient)
    draft = next((v for v in versions if not v.is_signed), None)
    signed = next((v for v in versions if v.is_signed), None)
    start = draft or signed
    initial = {f: getattr(start, f) for f in services.SAFETY_PLAN_FIELDS} if start else {}
    form = SafetyPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            saved = services.safety_plan_save(patient=patient, by=request.user, **form.cleaned_data)
            messages.success(request, f"Version {saved.version} saved as a draft: sign it below.")
            return redirect("patients:safety_plan", pk=patient.pk)
    return render(
        request,
        "patients/safety_plan_detail.html",
        {
            "patient": patient,
            "form": form,
            "draft": draft,
            "signed": signed,
            "versions": versions,
        },
        status=400 if form.errors else 200,
    )


@patient_view(roles.CLINICAL, what="safety plan", model=SafetyPlan)
@require_POST
def safety_plan_sign(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(SafetyPlan.objects.select_related("patient"), pk=pk)
    record_access(request=request, patient_id=plan.patient_id, what="safety plan")
    with service_errors(request):
        services.safety_plan_sign(plan=plan, by=request.user)
        messages.success(request, f"Safety plan version {plan.version} signed.")
    return redirect("patients:safety_plan", pk=plan.patient_id)


@patient_view(roles.CLINICAL, what="safety plan", model=SafetyPlan)
def safety_plan_print(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(
        SafetyPlan.objects.select_related("patient", "signed_by", "created_by"), pk=pk
    )
    record_access(request=request, patient_id=plan.patient_id, what="safety plan")
    return render(
        request, "patients/safety_plan_print.html", {"plan": plan, "patient": plan.patient}
    )


@patient_view(roles.CLINICAL, what="check-in", model=CheckIn)
def checkin_review(request: HttpRequest, pk: int) -> HttpResponse:
    checkin = get_object_or_404(CheckIn.objects.select_related("patient", "reviewed_by"), pk=pk)
    record_access(request=request, patient_id=checkin.patient_id, what="check-in")
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.checkin_review(
                checkin=checkin, note=form.cleaned_data["note"], by=request.user
            )
            messages.success(request, "Check-in reviewed.")
            return redirect("patients:chart", pk=checkin.patient_id)
    return render(
        request,
        "patients/checkin_review.html",
        {"checkin": checkin, "patient": checkin.patient, "form": form},
        status=400 if form.errors else 200,
    )


@patient_view(roles.CLINICAL, what="consent", model=Consent)
@require_POST
def consent_countersign(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_object_or_404(Consent.objects.select_related("patient"), pk=pk)
    record_access(request=request, patient_id=consent.patient_id, what="consent")
    with service_errors(request):
        services.consent_countersign(consent=consent, by=request.user)
        messages.success(request, "Consent countersigned: it is now current.")
    return redirect(f"{reverse('patients:chart', args=[consent.patient_id])}#consent")
