"""The session page at the infusion chair and its writes: access (selectors) → form → service →
redirect. Every refusal re-shows the page with what was typed and the service's reasons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kap_clinic import roles
from kap_clinic.audit import record_access
from kap_clinic.errors import service_errors
from patients import selectors as patient_selectors
from sessions import dosing, forms, selectors, services
from sessions.models import DosingSession

clinical = roles.role_required(roles.CLINICAL)
provider_only = roles.role_required(roles.MEDICAL_PROVIDER)


def _live_context(session: DosingSession) -> dict[str, Any]:
    """What the vitals panel shows and refreshes by itself (htmx polling)."""
    readings = list(session.vitals.select_related("recorded_by", "acknowledged_by", "recheck_of"))
    next_due = selectors.next_reading_due(session, readings)
    now = timezone.now()
    return {
        "readings": readings,
        "next_due": next_due,
        "overdue_minutes": int((now - next_due).total_seconds() // 60)
        if next_due is not None and next_due < now - timedelta(minutes=1)
        else 0,
        "open_alerts": [r for r in readings if r.is_open_alert],
        "holds": [r for r in readings if r.needs_acknowledgement],
    }


def _session_context(request: HttpRequest, session: DosingSession, **bound: Any) -> dict:
    checklist = selectors.checklist_items(session)
    protocol = session.course.protocol
    patient = session.course.patient
    intake = patient_selectors.latest_signed_intake(patient)
    is_provider = roles.has_role(request.user, roles.MEDICAL_PROVIDER)
    context = {
        "session": session,
        "patient": patient,
        "protocol": protocol,
        "allergies": intake.allergies if intake is not None else None,
        "flags": patient_selectors.active_flags(patient),
        "checklist": checklist,
        # Forms on other pages opened from here ("Record now") come back to the checklist.
        "checklist_return": _session_url(session, "checklist"),
        "checklist_complete": all(item.done for item in checklist),
        "checklist_blocks": [i for i in checklist if i.blocks],
        "hard_stops": [i for i in checklist if i.hard_stop],
        "item_overrides": session.item_overrides.select_related("by"),
        "events": session.adverse_events.select_related("recorded_by"),
        "addenda": session.addenda.select_related("author"),
        "follow_ups": session.follow_ups.select_related("signed_by"),
        "is_provider": is_provider,
        "locked": session.is_signed,
        "vitals_first": session.status == DosingSession.Status.IN_PROGRESS,
        "checklist_form": forms.ChecklistForm(instance=session),
        "override_form": forms.ItemOverrideForm(),
        "override_item": "",
        "review_form": forms.ReasonForm(),
        "vitals_form": forms.VitalsForm(session=session),
        "dose_form": forms.DoseForm(session=session),
        "dose_end_form": forms.DoseEndForm(),
        "event_form": forms.AdverseEventForm(),
        "cadss_form": forms.CadssForm(),
        "discharge_form": forms.DischargeForm(initial={"discharged_with": session.escort_name}),
        "note_form": forms.NoteForm(initial={"note": session.note}),
        "addendum_form": forms.AddendumForm(),
        "abort_form": forms.ReasonForm(),
        "link_form": (
            forms.LinkVisitForm(patient=session.course.patient) if session.needs_visit else None
        ),
        "ack_form": forms.AcknowledgeForm(),
        "ack_reading": None,
    }
    context.update(_live_context(session))
    context.update(bound)
    context["integration"] = selectors.integration_status(session, list(context["follow_ups"]))
    return context


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
@require_GET
def vitals_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The vitals panel's live part, polled by htmx: new readings, open alerts, the due time."""
    session = _session(request, pk)
    context = {
        "session": session,
        "protocol": session.course.protocol,
        "is_provider": roles.has_role(request.user, roles.MEDICAL_PROVIDER),
        "locked": session.is_signed,
        "ack_form": forms.AcknowledgeForm(),
        "ack_reading": None,
    }
    context.update(_live_context(session))
    return render(request, "sessions/snippets/vitals_live.html", context)


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
    """A provider overrides one checklist item with a reason; hard stops refuse."""
    session = _session(request, pk)
    form = forms.ItemOverrideForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.checklist_override(
                session=session,
                item=form.cleaned_data["item"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
            return _back(session, "checklist")
    status = 403 if not roles.has_role(request.user, roles.MEDICAL_PROVIDER) else 400
    return _show(
        request, session, status, override_form=form, override_item=request.POST.get("item", "")
    )


@clinical
@require_POST
def screens_review(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.screens_review_record(
                session=session, note=form.cleaned_data["reason"], by=request.user
            )
            return _back(session, "checklist")
    return _show(request, session, 400, review_form=form)


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
    form = forms.AcknowledgeForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.hold_acknowledge(
                reading=reading, note=form.cleaned_data["reason"], by=request.user
            )
            return _back(session, "vitals")
    return _show(request, session, 400, ack_form=form, ack_reading=reading.pk)


@clinical
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    reading = selectors.reading_for_user(user=request.user, pk=pk)
    session = _session(request, reading.session_id)
    form = forms.AcknowledgeForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.alert_acknowledge(
                reading=reading, action=form.cleaned_data["reason"], by=request.user
            )
            return _back(session, "vitals")
    return _show(request, session, 400, ack_form=form, ack_reading=reading.pk)


@clinical
@require_POST
def dose_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The total in mg and the volume to draw, computed on the server as the numbers are typed
    (htmx)."""
    session = _session(request, pk)
    form = forms.DoseForm(request.POST, session=session)
    form.is_valid()
    weight = form.weight_kg()
    total = form.total_mg()
    problems: list[str] = []
    volume = None
    lot = form.cleaned_data.get("lot")
    if weight is not None:
        problem = dosing.weight_problem(weight)
        if problem:
            problems.append(problem)
            total = None
    if total is not None:
        problems += dosing.dose_problems(
            protocol=session.course.protocol,
            mg_per_kg=form.cleaned_data["mg_per_kg"],
            total_mg=total,
        )
        if lot is not None:
            volume = dosing.volume_to_draw_ml(total, lot.concentration_mg_per_ml)
    last = selectors.last_recorded_weight(session)
    return render(
        request,
        "sessions/snippets/dose_preview.html",
        {
            "total": total,
            "problems": problems,
            "protocol": session.course.protocol,
            "weight_kg": weight if total is not None else None,
            "weight_lb": dosing.kg_to_lb(weight) if total is not None else None,
            "lot": lot,
            "volume": volume,
            "last_weight": last,
            "confirm_weight": weight is not None
            and total is not None
            and dosing.weight_change_needs_confirming(weight, last),
            "rate": (total / session.course.protocol.infusion_minutes).quantize(Decimal("0.01"))
            if total is not None and session.course.protocol.infusion_minutes
            else None,
        },
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
                weight_unit=data["weight_unit"],
                weight_confirmed=data["weight_confirmed"],
                mg_per_kg=data["mg_per_kg"],
                lot=data["lot"],
                administered_by=data["administered_by"],
                supervising_provider=data["supervising_provider"],
                override_reason=data["override_reason"],
                started_at=data["started_at"],
                by=request.user,
            )
            messages.success(request, "Dose recorded.")
            return _back(session, "dose")
    return _show(request, session, 400, dose_form=form)


@clinical
@require_POST
def dose_end(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = forms.DoseEndForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.dose_end(
                session=session,
                by=request.user,
                ended_at=form.cleaned_data["ended_at"],
                early_reason=form.cleaned_data["early_reason"],
            )
            return _back(session, "dose")
    return _show(request, session, 400, dose_end_form=form)


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
                activity=data["activity"],
                respiration=data["respiration"],
                consciousness=data["consciousness"],
                on_oxygen=data["on_oxygen"],
                at=data["at"],
                by=request.user,
            )
            messages.success(request, "Patient discharged; the session is complete.")
            return _back(session, "note")
    return _show(request, session, 400, discharge_form=form)
