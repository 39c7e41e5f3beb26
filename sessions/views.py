"""Thin views: access (selectors) → form → service → redirect. Clinical roles only; the ledger's
writes and entries are for medical providers, clinicians see balances."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kap_clinic import roles
from kap_clinic.audit import record_access
from kap_clinic.errors import service_errors
from patients.selectors import patient_for_user
from sessions import forms, ledger_selectors, selectors, services
from sessions.chair_views import _back, _session, _show

clinical = roles.role_required(roles.CLINICAL)
provider_only = roles.role_required(roles.MEDICAL_PROVIDER)


# --- courses ---------------------------------------------------------------------------------


@clinical
def worklist(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sessions/session_list.html",
        {
            "sessions": selectors.sessions_worklist(),
            "integration": selectors.integration_worklist(),
        },
    )


@clinical
def course_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = patient_for_user(user=request.user, pk=patient_pk, clinical=True)
    record_access(request=request, patient_id=patient.pk, what="treatment course")
    form = forms.CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            course = services.course_start(patient=patient, by=request.user, **form.cleaned_data)
            messages.success(request, "Treatment course started.")
            return redirect("sessions:course_detail", pk=course.pk)
    return render(request, "sessions/course_create.html", {"patient": patient, "form": form})


@clinical
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_for_user(user=request.user, pk=pk)
    record_access(request=request, patient_id=course.patient_id, what="treatment course")
    form = forms.SessionPlanForm(request.POST or None, patient_id=course.patient_id)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            session = services.session_plan(course=course, by=request.user, **form.cleaned_data)
            return redirect("sessions:session_detail", pk=session.pk)
    return _course_page(request, course, form=form)


def _course_page(request: HttpRequest, course, status: int = 200, **bound: Any) -> HttpResponse:
    courses = selectors.treatment_for_chart(course.patient, course_pk=course.pk)
    context = {"course": courses[0], "patient": course.patient, "stop_form": forms.ReasonForm()}
    context.update(bound)
    return render(request, "sessions/course_detail.html", context, status=status)


@clinical
@require_POST
def course_stop(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_for_user(user=request.user, pk=pk)
    record_access(request=request, patient_id=course.patient_id, what="treatment course")
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.course_stop(course=course, reason=form.cleaned_data["reason"], by=request.user)
            messages.success(
                request,
                "Course stopped; its planned sessions are aborted. Any booked dosing visits "
                "are still on the schedule.",
            )
            return redirect("sessions:course_detail", pk=course.pk)
    plan_form = forms.SessionPlanForm(patient_id=course.patient_id)
    return _course_page(request, course, 400, form=plan_form, stop_form=form)


# --- the session screen ----------------------------------------------------------------------


@clinical
@require_POST
def session_link_appointment(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.LinkVisitForm(request.POST, patient=session.course.patient)
    if form.is_valid():
        with service_errors(form):
            services.session_link_appointment(
                session=session, appointment=form.cleaned_data["appointment"], by=request.user
            )
            messages.success(request, "Session linked to the booked visit.")
            return _back(session)
    return _show(request, session, 400, link_form=form)


@clinical
@require_POST
def cadss_record(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.CadssForm(request.POST)
    if form.is_valid():
        with service_errors(form, also=(ValueError,)):
            services.cadss_record(session=session, answers=form.answers(), by=request.user)
            return _back(session, "cadss")
    return _show(request, session, 400, cadss_form=form)


@clinical
@require_POST
def session_abort(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.session_abort(
                session=session, reason=form.cleaned_data["reason"], by=request.user
            )
            return _back(session)
    return _show(request, session, 400, abort_form=form)


@clinical
@require_POST
def note_save(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.NoteForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.note_save(session=session, text=form.cleaned_data["note"], by=request.user)
            if "sign" in request.POST:
                services.session_sign(session=session, by=request.user)
                messages.success(request, "Note signed; the session record is locked.")
            return _back(session, "note")
        # The note may have been saved before signing failed: show the session as it is now.
        session = selectors.session_for_user(user=request.user, pk=pk)
    return _show(request, session, 400, note_form=form)


@clinical
@require_POST
def addendum_add(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.AddendumForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.addendum_add(session=session, text=form.cleaned_data["text"], by=request.user)
            return _back(session, "addenda")
    return _show(request, session, 400, addendum_form=form)


@clinical
def follow_up_create(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.FollowUpForm(request.POST or None)
    with_phq9 = request.method == "POST" and request.POST.get("with_phq9") == "on"
    # Bound only when the repeat PHQ-9 was ticked, so an unticked one shows no errors.
    # Never ``required`` in the browser, since it is optional and hidden until ticked (a hidden
    # required radio blocks signing).
    phq9_form = forms.measure_form(
        "phq9", request.POST if with_phq9 else None, prefix="phq9", use_required_attribute=False
    )
    if request.method == "POST" and form.is_valid() and (not with_phq9 or phq9_form.is_valid()):
        with service_errors(form, also=(ValueError,)):
            services.follow_up_record(
                session=session,
                by=request.user,
                phq9=phq9_form.answers() if with_phq9 else None,
                **form.cleaned_data,
            )
            messages.success(request, "Integration follow-up signed.")
            return _back(session, "integration")
    return render(
        request,
        "sessions/followup_create.html",
        {
            "session": session,
            "patient": session.course.patient,
            "form": form,
            "phq9_form": phq9_form,
            "with_phq9": with_phq9,
        },
    )


# --- controlled-substance ledger -------------------------------------------------------------


@clinical
def ledger(request: HttpRequest) -> HttpResponse:
    """Balances for clinical roles; the receipt form and entry links for providers only."""
    is_provider = roles.has_role(request.user, roles.MEDICAL_PROVIDER)
    form = forms.LotReceiveForm(request.POST or None, by=request.user) if is_provider else None
    if request.method == "POST":
        roles.check_role(request.user, roles.MEDICAL_PROVIDER)
        if form.is_valid():
            with service_errors(form):
                lot = services.lot_receive(by=request.user, **form.cleaned_data)
                messages.success(request, f"Lot {lot.lot_number} received.")
                return redirect("sessions:lot_detail", pk=lot.pk)
    today = timezone.localdate()
    return render(
        request,
        "sessions/ledger.html",
        {
            "balances": selectors.lot_balances(),
            "today": today,
            "is_provider": is_provider,
            "worklist": ledger_selectors.ledger_worklist(on=today) if is_provider else None,
            "form": form,
        },
        status=400 if form is not None and form.errors else 200,
    )


@provider_only
def lot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lot = selectors.lot_for_user(user=request.user, pk=pk)
    waste_form = forms.WasteForm(by=request.user)
    count_form = forms.CountForm(by=request.user)
    correction_form = forms.CorrectionForm(by=request.user)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "waste":
            waste_form = forms.WasteForm(request.POST, by=request.user)
            if waste_form.is_valid():
                with service_errors(waste_form):
                    services.ledger_waste(lot=lot, by=request.user, **waste_form.cleaned_data)
                    return redirect("sessions:lot_detail", pk=lot.pk)
        elif action == "count":
            count_form = forms.CountForm(request.POST, by=request.user)
            if count_form.is_valid():
                with service_errors(count_form):
                    services.ledger_count(lot=lot, by=request.user, **count_form.cleaned_data)
                    return redirect("sessions:lot_detail", pk=lot.pk)
        elif action == "correction":
            correction_form = forms.CorrectionForm(request.POST, by=request.user)
            if correction_form.is_valid():
                with service_errors(correction_form):
                    services.ledger_correct(
                        lot=lot, by=request.user, **correction_form.cleaned_data
                    )
                    return redirect("sessions:lot_detail", pk=lot.pk)
        status = 400
    entries = ledger_selectors.lot_running_entries(lot)
    return render(
        request,
        "sessions/lot_detail.html",
        {
            "lot": lot,
            "entries": entries,
            "balance": selectors.lot_balance(lot),
            "discrepancies": ledger_selectors.lot_discrepancies(lot),
            "today": timezone.localdate(),
            "waste_form": waste_form,
            "count_form": count_form,
            "correction_form": correction_form,
        },
        status=status,
    )


@provider_only
def inventory(request: HttpRequest) -> HttpResponse:
    """A printable inventory of every lot's balance at the end of a date."""
    form = forms.InventoryDateForm(request.GET or {"on": timezone.localdate().isoformat()})
    rows: list = []
    at: datetime | None = None
    if form.is_valid():
        at, rows = selectors.inventory_on(form.cleaned_data["on"])
    return render(
        request,
        "sessions/inventory.html",
        {
            "form": form,
            "rows": rows,
            "at": at,
            "total": sum(b for _l, b in rows),
            "today": timezone.localdate(),
        },
    )
