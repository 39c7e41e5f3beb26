"""Records out: export a patient's record from the chart (clinical roles), follow its build,
download it for seven days; the clinic outcomes report and the de-identified research export
(medical providers and the clinic admin). Front desk gets none of these pages or files."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from kap_clinic import roles
from kap_clinic.audit import client_ip, record_access
from kap_clinic.errors import service_errors
from kap_clinic.params import MAX_DATE, MIN_DATE, parse_date
from patients.selectors import patient_for_user
from sessions import services
from sessions.models import RecordExport, Route
from sessions.records import deidentify, outcomes_report, queue

clinical = roles.role_required(roles.CLINICAL)
# The outcomes report and the research export hold no identifiers: the medical director's
# (providers') and the clinic admin's, never front desk's.
reporting = roles.role_required(roles.REPORTING)


def _export_for_user(request: HttpRequest, pk: int) -> RecordExport:
    roles.check_role(request.user, roles.CLINICAL)
    return get_object_or_404(RecordExport.objects.select_related("patient", "requested_by"), pk=pk)


@clinical
def record_exports(request: HttpRequest, patient_pk: int) -> HttpResponse:
    """The patient's exports (GET) or a new one (POST with ``format``)."""
    patient = patient_for_user(user=request.user, pk=patient_pk, clinical=True)
    if request.method == "POST":
        with service_errors(request):
            export = services.record_export_request(
                patient=patient,
                format=request.POST.get("format", ""),
                by=request.user,
                ip_address=client_ip(request),
                path=request.path,
            )
            queue.enqueue_record_export(export.pk)
            return redirect("records:export_detail", pk=export.pk)
    record_access(request=request, patient_id=patient.pk, what="record exports")
    exports = RecordExport.objects.filter(patient_id=patient.pk).select_related("requested_by")
    return render(
        request,
        "sessions/records/export_list.html",
        {"patient": patient, "exports": exports, "formats": RecordExport.Format.choices},
    )


@clinical
def record_export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One export's progress; htmx polls the status card while the task runs."""
    export = _export_for_user(request, pk)
    polling = bool(request.headers.get("HX-Request"))
    if not polling:
        # The page is logged once; its status card, polled every 2 s, shows no chart content.
        record_access(request=request, patient_id=export.patient_id, what="record export")
    template = (
        "sessions/records/snippets/export_status.html"
        if polling
        else "sessions/records/export_detail.html"
    )
    return render(request, template, {"export": export, "patient": export.patient})


@clinical
def record_export_download(request: HttpRequest, pk: int) -> HttpResponse:
    export = _export_for_user(request, pk)
    with service_errors(request):
        path = services.record_export_file(export)
        record_access(
            request=request,
            patient_id=export.patient_id,
            what=f"record export downloaded ({export.get_format_display()})",
        )
        content_type = "application/pdf" if export.format == "pdf" else "application/fhir+json"
        response = FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=export.download_name,
            content_type=content_type,
        )
        response["Cache-Control"] = "no-store"
        return response
    return redirect("records:export_detail", pk=export.pk)


# --- reports -------------------------------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[date, date, str, list[str]]:
    """The report's period and route from the query string; bad values fall back, with a note."""
    today = timezone.localdate()
    problems = []
    start, end = today - timedelta(days=365), today
    for name in ("start", "end"):
        raw = request.GET.get(name, "").strip()
        if not raw:
            continue
        value = parse_date(raw)
        if value is None:
            problems.append(
                f"“{raw[:20]}” is not a date (YYYY-MM-DD) between {MIN_DATE.year} and "
                f"{MAX_DATE.year}; the default is used."
            )
            continue
        if name == "start":
            start = value
        else:
            end = value
    if start > end:
        problems.append("The period starts after it ends; the dates were swapped.")
        start, end = end, start
    route = request.GET.get("route", "")
    if route not in Route.values:
        route = ""
    return start, end, route, problems


@reporting
def outcomes(request: HttpRequest) -> HttpResponse:
    start, end, route, problems = _period(request)
    report = outcomes_report.outcomes_report(start=start, end=end, route=route)
    return render(
        request,
        "sessions/records/outcomes_report.html",
        {
            "report": report,
            "problems": problems,
            "routes": Route.choices,
            "chart_data": outcomes_report.chart_data(report),
            "query": request.GET.urlencode(),
        },
    )


@reporting
def outcomes_csv(request: HttpRequest) -> HttpResponse:
    start, end, route, _ = _period(request)
    report = outcomes_report.outcomes_report(start=start, end=end, route=route)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="outcomes-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    csv.writer(response).writerows(outcomes_report.csv_rows(report))
    return response


@reporting
def research_export(request: HttpRequest) -> HttpResponse:
    """The de-identified export: the page explains it; POST downloads a fresh CSV."""
    if request.method != "POST":
        return render(
            request, "sessions/records/research_export.html", {"columns": deidentify.COLUMNS}
        )
    rows = deidentify.deidentified_rows()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kap-deidentified.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(deidentify.COLUMNS)
    writer.writerows([row[column] for column in deidentify.COLUMNS] for row in rows)
    return response
