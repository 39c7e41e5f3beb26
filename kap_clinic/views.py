from __future__ import annotations

import csv
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kap_clinic import audit, roles
from kap_clinic.forms import AccessLogFilterForm
from kap_clinic.home import AREAS, panels_for
from kap_clinic.models import AccessEvent

ACCESS_LOG_PAGE_SIZE = 50
CSV_BATCH = 1000


@roles.role_required(roles.STAFF)
def home(request: HttpRequest) -> HttpResponse:
    mine = roles.roles_of(request.user)
    areas = [(role, AREAS[role]) for role in roles.ROLE_ORDER if role in mine]
    return render(request, "kap_clinic/home.html", {"areas": areas, "panels": panels_for(request)})


@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """The idle-logout warning's "Stay signed in" button: any request resets the idle clock."""
    return HttpResponse(status=204)


@roles.role_required(roles.CLINIC_ADMIN)
def access_log(request: HttpRequest) -> HttpResponse:
    """The PHI access log for review: who looked at which chart, when, from where."""
    form = AccessLogFilterForm(request.GET or None)
    if not form.is_bound:
        events = audit.access_events()
    elif form.is_valid():
        events = audit.access_events(**form.filters())
    else:
        events = AccessEvent.objects.none()
    page = Paginator(events, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    labels = audit.patient_labels(event.patient_id for event in page)
    rows = [(event, labels.get(event.patient_id, "")) for event in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "kap_clinic/access_log.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@roles.role_required(roles.CLINIC_ADMIN)
def access_log_csv(request: HttpRequest) -> HttpResponse:
    form = AccessLogFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "kap_clinic/access_log.html",
            {"form": form, "page": None, "rows": [], "query": ""},
            status=400,
        )
    events = audit.access_events(**form.filters()) if form.is_bound else audit.access_events()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell starting with these as a formula (CSV injection, OWASP).
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _csv_rows(events) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(
        ["time", "user", "user name", "patient id", "patient", "what", "allowed", "ip", "path"]
    )
    batch: list = []
    for event in events.iterator(chunk_size=CSV_BATCH):
        batch.append(event)
        if len(batch) == CSV_BATCH:
            yield from _csv_batch(writer, batch)
            batch = []
    yield from _csv_batch(writer, batch)


def _csv_batch(writer, events: list) -> Iterator[str]:
    labels = audit.patient_labels(event.patient_id for event in events)
    for event in events:
        user = event.user
        yield writer.writerow(
            [
                _csv_cell(value)
                for value in (
                    timezone.localtime(event.at).isoformat(timespec="seconds"),
                    user.username if user else "",
                    user.get_full_name() if user else "",
                    event.patient_id,
                    labels.get(event.patient_id, ""),
                    event.what,
                    "yes" if event.allowed else "refused",
                    event.ip_address or "",
                    event.path,
                )
            ]
        )
