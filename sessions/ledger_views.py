"""Views for the controlled-substance records beyond the ledger overview and the lot page:
discrepancies and their DEA reports, destruction, inventories, and the per-registrant reports.
Medical providers only. Thin: access (selectors) → form → service → redirect."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from kap_clinic import roles
from kap_clinic.audit import record_access
from kap_clinic.errors import service_errors
from sessions import ledger_forms, ledger_selectors, selectors, services

provider_only = roles.role_required(roles.MEDICAL_PROVIDER)


@provider_only
def discrepancy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    discrepancy = ledger_selectors.discrepancy_for_user(user=request.user, pk=pk)
    by = request.user
    resolve_form = ledger_forms.ResolveForm(by=by)
    notice_form = ledger_forms.NoticeForm(initial={"sent_on": timezone.localdate()})
    form_106_form = ledger_forms.Form106Form(initial={"filed_on": timezone.localdate()})
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "loss":
            with service_errors(request):
                services.discrepancy_report_loss(discrepancy=discrepancy, by=by)
                messages.warning(request, "Reported as theft or significant loss: DEA dates set.")
                return redirect("sessions:discrepancy_detail", pk=pk)
        elif action == "notice":
            notice_form = ledger_forms.NoticeForm(request.POST)
            if notice_form.is_valid():
                with service_errors(notice_form):
                    services.discrepancy_record_notice(
                        discrepancy=discrepancy, by=by, **notice_form.cleaned_data
                    )
                    return redirect("sessions:discrepancy_detail", pk=pk)
        elif action == "form106":
            form_106_form = ledger_forms.Form106Form(request.POST)
            if form_106_form.is_valid():
                with service_errors(form_106_form):
                    services.discrepancy_record_form_106(
                        discrepancy=discrepancy, by=by, **form_106_form.cleaned_data
                    )
                    return redirect("sessions:discrepancy_detail", pk=pk)
        elif action == "resolve":
            resolve_form = ledger_forms.ResolveForm(request.POST, by=by)
            if resolve_form.is_valid():
                with service_errors(resolve_form):
                    services.discrepancy_resolve(
                        discrepancy=discrepancy, by=by, **resolve_form.cleaned_data
                    )
                    messages.success(request, "Discrepancy resolved.")
                    return redirect("sessions:lot_detail", pk=discrepancy.lot_id)
        else:
            errors.append("Choose what to record.")
        status = 400
        discrepancy = ledger_selectors.discrepancy_for_user(user=request.user, pk=pk)
    return render(
        request,
        "sessions/ledger/discrepancy_detail.html",
        {
            "discrepancy": discrepancy,
            "errors": errors,
            "resolve_form": resolve_form,
            "notice_form": notice_form,
            "form_106_form": form_106_form,
        },
        status=status,
    )


@provider_only
def lot_destroy(request: HttpRequest, pk: int) -> HttpResponse:
    lot = selectors.lot_for_user(user=request.user, pk=pk)
    balance = selectors.lot_balance(lot)
    form = ledger_forms.DestructionForm(
        request.POST or None, by=request.user, initial={"quantity_mg": balance}
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.stock_destroy(lot=lot, by=request.user, **form.cleaned_data)
            messages.success(request, f"Destruction recorded for lot {lot.lot_number}.")
            return redirect("sessions:lot_detail", pk=lot.pk)
    return render(
        request,
        "sessions/ledger/lot_destroy.html",
        {
            "lot": lot,
            "balance": balance,
            "form": form,
            "destructions": ledger_selectors.lot_destructions(lot),
        },
        status=400 if form.errors else 200,
    )


@provider_only
def inventories(request: HttpRequest) -> HttpResponse:
    statuses = ledger_selectors.registrant_statuses()
    return render(
        request,
        "sessions/ledger/inventories.html",
        {
            "rows": [(s, list(ledger_selectors.inventories(s.registrant))) for s in statuses],
        },
    )


@provider_only
def inventory_take(request: HttpRequest) -> HttpResponse:
    """Pick the registrant, kind, date and opening/close; then count every lot on hand then."""
    source = request.POST if request.method == "POST" else request.GET
    header = ledger_forms.InventoryHeaderForm(source or None)
    lots: list = []
    if header.is_valid():
        data = header.cleaned_data
        at = services.inventory_moment(data["taken_on"], data["as_of"])
        lots = ledger_selectors.lots_on_hand(registrant=data["registrant"], at=at)
    form = ledger_forms.InventoryCountForm(
        request.POST if request.method == "POST" else None,
        lots=lots,
        initial=source.dict() if source else None,
    )
    if request.method == "POST" and header.is_valid() and form.is_valid():
        data = form.cleaned_data
        with service_errors(form):
            inventory = services.inventory_take(
                registrant=data["registrant"],
                kind=data["kind"],
                taken_on=data["taken_on"],
                as_of=data["as_of"],
                counts=form.counts(),
                note=data["note"],
                by=request.user,
            )
            messages.success(request, "Inventory signed.")
            return redirect("sessions:inventory_detail", pk=inventory.pk)
    return render(
        request,
        "sessions/ledger/inventory_take.html",
        {"header": header, "form": form, "counting": header.is_valid()},
        status=400 if request.method == "POST" and (form.errors or header.errors) else 200,
    )


@provider_only
def inventory_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inventory = ledger_selectors.inventory_for_user(user=request.user, pk=pk)
    lines = list(ledger_selectors.inventory_lines(inventory))
    return render(
        request,
        "sessions/ledger/inventory_detail.html",
        {
            "inventory": inventory,
            "lines": lines,
            "total": sum((line.on_hand_mg for line in lines), 0),
        },
    )


def _period(request: HttpRequest) -> ledger_forms.PeriodForm:
    first = ledger_selectors.registrants()[:1]
    return ledger_forms.PeriodForm(
        request.GET or ledger_forms.PeriodForm.initial_for(first[0] if first else None)
    )


def _audit_administrations(request: HttpRequest, entries: list) -> None:
    # The administrations list shows each patient's MRN: a look at their record.
    for patient_id in {e.session.course.patient_id for e in entries}:
        record_access(request=request, patient_id=patient_id, what="controlled-substance report")


@provider_only
def report(request: HttpRequest) -> HttpResponse:
    """Administrations and the reconciliation for a registrant and period: printable."""
    form = _period(request)
    context: dict = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        rows, totals = ledger_selectors.reconciliation(**data)
        entries = ledger_selectors.administrations(**data)
        _audit_administrations(request, entries)
        context.update(
            registrant=data["registrant"],
            start=data["start"],
            end=data["end"],
            rows=rows,
            totals=totals,
            administrations=entries,
            query=request.GET.urlencode() or _query(data),
        )
    return render(
        request, "sessions/ledger/report.html", context, status=200 if form.is_valid() else 400
    )


def _query(data: dict) -> str:
    return (
        f"registrant={data['registrant'].pk}&start={data['start'].isoformat()}"
        f"&end={data['end'].isoformat()}"
    )


RECONCILIATION_HEADER = [
    "lot",
    "ndc",
    "concentration_mg_per_ml",
    "opening_mg",
    "received_mg",
    "administered_mg",
    "wasted_mg",
    "destroyed_mg",
    "corrections_mg",
    "closing_mg",
    "closing_ml",
    "balances",
]


@provider_only
def report_csv(request: HttpRequest, part: str) -> HttpResponse:
    form = _period(request)
    if not form.is_valid():
        return HttpResponse("Choose a registrant and a period.", status=400)
    data = form.cleaned_data
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{part}-{data["start"]}-{data["end"]}.csv"'
    )
    writer = csv.writer(response)
    if part == "reconciliation":
        rows, totals = ledger_selectors.reconciliation(**data)
        writer.writerow(RECONCILIATION_HEADER)
        for row in [*rows, totals]:
            writer.writerow(
                [
                    row.lot.lot_number if row.lot else "Total",
                    row.lot.ndc if row.lot else "",
                    row.lot.concentration_mg_per_ml if row.lot else "",
                    row.opening,
                    row.received,
                    row.administered,
                    row.wasted,
                    row.destroyed,
                    row.corrections,
                    row.closing,
                    row.closing_ml if row.lot else "",
                    "yes" if row.balances else "NO",
                ]
            )
    else:
        entries = ledger_selectors.administrations(**data)
        _audit_administrations(request, entries)
        writer.writerow(
            ["date_time", "mrn", "session", "mg", "ml", "lot", "administered_by", "recorded_by"]
        )
        for e in entries:
            writer.writerow(
                [
                    timezone.localtime(e.recorded_at).strftime("%Y-%m-%d %H:%M"),
                    e.session.course.patient.mrn,
                    e.session.number,
                    -e.change_mg,
                    -e.change_ml,
                    e.lot.lot_number,
                    _name(e.session.administered_by),
                    _name(e.recorded_by),
                ]
            )
    return response


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""
