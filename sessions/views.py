"""Thin views: access (selectors) → form → service → redirect. Clinical roles only; the ledger's
writes and entries are for medical providers, clinicians see balances."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kap_clinic import roles
from kap_clinic.audit import record_access
from kap_clinic.errors import service_errors
from patients.selectors import patient_for_user
from sessions import dosing, forms, ledger_selectors, selectors, services
from sessions import vitals as vital_rules
from sessions.models import DosingSession

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


def _session_context(request: HttpRequest, session: DosingSession, **bound: Any) -> dict:
    readings = list(session.vitals.select_related("recorded_by", "acknowledged_by"))
    checklist = selectors.checklist_items(session)
    protocol = session.course.protocol
    context = {
        "session": session,
        "patient": session.course.patient,
        "protocol": protocol,
        "readings": readings,
        "next_due": selectors.next_reading_due(session, readings),
        "open_alerts": _open_alerts(session, readings),
        "checklist": checklist,
        # Forms on other pages opened from here ("Record now") come back to the checklist.
        "checklist_return": _session_url(session, "checklist"),
        "checklist_complete": all(item.done for item in checklist),
        "holds": [r for r in readings if r.needs_acknowledgement],
        "events": session.adverse_events.select_related("recorded_by"),
        "addenda": session.addenda.select_related("author"),
        "follow_ups": session.follow_ups.select_related("signed_by"),
        "is_provider": roles.has_role(request.user, roles.MEDICAL_PROVIDER),
        "locked": session.is_signed,
        "checklist_form": forms.ChecklistForm(instance=session),
        "override_form": forms.ReasonForm(),
        "vitals_form": forms.VitalsForm(session=session),
        "dose_form": forms.DoseForm(session=session),
        "event_form": forms.AdverseEventForm(),
        "cadss_form": forms.CadssForm(),
        "discharge_form": forms.DischargeForm(initial={"discharged_with": session.escort_name}),
        "note_form": forms.NoteForm(initial={"note": session.note}),
        "addendum_form": forms.AddendumForm(),
        "abort_form": forms.ReasonForm(),
        "link_form": (
            forms.LinkVisitForm(patient=session.course.patient) if session.needs_visit else None
        ),
        "ack_form": forms.ReasonForm(),
    }
    context.update(bound)
    context["integration"] = selectors.integration_status(session, list(context["follow_ups"]))
    return context


def _open_alerts(session: DosingSession, readings: list) -> list[str]:
    """Alerts of the latest reading: what the room must act on now."""
    if not readings:
        return []
    latest = readings[-1]
    thresholds = session.course.protocol.thresholds
    return [
        vital_rules.alert_label(code, thresholds)
        for code in latest.alerts
        if code != vital_rules.HOLD_PRE_DOSE_BP
    ]


def _show(request: HttpRequest, session: DosingSession, status: int = 200, **bound: Any):
    return render(
        request,
        "sessions/session_detail.html",
        _session_context(request, session, **bound),
        status=status,
    )


def _session(request: HttpRequest, pk: int) -> DosingSession:
    session = selectors.session_for_user(user=request.user, pk=pk)
    record_access(request=request, patient_id=session.course.patient_id, what="dosing session")
    return session


def _session_url(session: DosingSession, anchor: str = "") -> str:
    url = reverse("sessions:session_detail", kwargs={"pk": session.pk})
    return f"{url}#{anchor}" if anchor else url


def _back(session: DosingSession, anchor: str = "") -> HttpResponse:
    return redirect(_session_url(session, anchor))


@clinical
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _show(request, _session(request, pk))


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
def checklist_update(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.ChecklistForm(request.POST, instance=DosingSession.objects.get(pk=session.pk))
    if form.is_valid():
        with service_errors(form):
            services.checklist_update(session=session, by=request.user, **form.cleaned_data)
            return _back(session, "checklist")
    return _show(request, session, 400, checklist_form=form)


@clinical
@require_POST
def checklist_override(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.checklist_override(
                session=session, reason=form.cleaned_data["reason"], by=request.user
            )
            return _back(session, "checklist")
    status = 403 if not roles.has_role(request.user, roles.MEDICAL_PROVIDER) else 400
    return _show(request, session, status, override_form=form)


@clinical
@require_POST
def vitals_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Fast entry at the chair: htmx swaps the flowsheet in place; without htmx, a redirect."""
    session = _session(request, pk)
    form = forms.VitalsForm(request.POST, session=session)
    if form.is_valid():
        with service_errors(form, also=(ValueError,)):
            services.vitals_record(session=session, by=request.user, **form.cleaned_data)
            if not request.headers.get("HX-Request"):
                return _back(session, "vitals")
            session = selectors.session_for_user(user=request.user, pk=pk)
            form = forms.VitalsForm(session=session)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "sessions/snippets/vitals.html",
            _session_context(request, session, vitals_form=form),
        )
    return _show(request, session, 400, vitals_form=form)


@provider_only
@require_POST
def hold_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    reading = selectors.reading_for_user(user=request.user, pk=pk)
    session = _session(request, reading.session_id)
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.hold_acknowledge(
                reading=reading, note=form.cleaned_data["reason"], by=request.user
            )
            return _back(session, "vitals")
    return _show(request, session, 400, ack_form=form)


@clinical
@require_POST
def dose_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The total in mg, computed on the server as the numbers are typed (htmx)."""
    session = _session(request, pk)
    form = forms.DoseForm(request.POST, session=session)
    form.is_valid()
    total = form.total_mg()
    problems = []
    if total is not None:
        problems = dosing.dose_problems(
            protocol=session.course.protocol,
            mg_per_kg=form.cleaned_data["mg_per_kg"],
            total_mg=total,
        )
    return render(
        request,
        "sessions/snippets/dose_preview.html",
        {"total": total, "problems": problems, "protocol": session.course.protocol},
    )


@clinical
@require_POST
def dose_record(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.DoseForm(request.POST, session=session)
    if form.is_valid():
        data = form.cleaned_data
        with service_errors(form, also=(ValueError,)):
            services.dose_record(
                session=session,
                weight_kg=data["weight_kg"],
                mg_per_kg=data["mg_per_kg"],
                lot=data["lot"],
                administered_by=data["administered_by"],
                supervising_provider=data["supervising_provider"],
                override_reason=data["override_reason"],
                by=request.user,
            )
            messages.success(request, "Dose recorded.")
            return _back(session, "dose")
    return _show(request, session, 400, dose_form=form)


@clinical
@require_POST
def dose_end(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    with service_errors(request):
        services.dose_end(session=session, by=request.user)
    return _back(session, "dose")


@clinical
@require_POST
def adverse_event_add(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.AdverseEventForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.adverse_event_record(session=session, by=request.user, **form.cleaned_data)
            return _back(session, "events")
    return _show(request, session, 400, event_form=form)


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
def discharge(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.DischargeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with service_errors(form):
            services.session_discharge(
                session=session,
                criteria={name: data[name] for name in services.DISCHARGE_CRITERIA},
                escort_name=data["discharged_with"],
                by=request.user,
            )
            messages.success(request, "Patient discharged; the session is complete.")
            return _back(session, "note")
    return _show(request, session, 400, discharge_form=form)


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
    phq9_form = forms.measure_form("phq9", request.POST if with_phq9 else None, prefix="phq9")
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
