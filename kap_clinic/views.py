from __future__ import annotations

import csv
import math
from collections.abc import Iterator

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kap_clinic import audit, mfa, roles, sessions
from kap_clinic.forms import AccessLogFilterForm, TokenForm
from kap_clinic.home import areas_for, panels_for
from kap_clinic.models import AccessEvent
from kap_clinic.redirects import next_path

ACCESS_LOG_PAGE_SIZE = 50
CSV_BATCH = 1000


@roles.role_required(roles.STAFF)
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "kap_clinic/home.html",
        {"areas": areas_for(request.user), "panels": panels_for(request)},
    )


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


def _next_url(request: HttpRequest) -> str:
    return next_path(request) or resolve_url(settings.LOGIN_REDIRECT_URL)


def _code_error(request: HttpRequest) -> str:
    locked_until = mfa.retry_after(request.user)
    if locked_until is not None:
        wait = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
        return (
            f"That code was not accepted: after a wrong code, wait {wait} "
            f"second{pluralize(wait)} before the next try."
        )
    return "That code was not accepted. Check that the time on your phone is right."


@never_cache
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Enrol (or replace) an authenticator app: scan the QR code, type a code to confirm."""
    user = request.user
    if mfa.has_device(user) and not mfa.is_verified(user):
        # Replacing a second factor needs the current one: a stolen password is not enough.
        return redirect(f"{reverse('mfa_verify')}?{request.GET.urlencode()}")
    device = mfa.pending_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.device_confirm(request=request, device=device, token=form.cleaned_data["token"]):
            messages.success(request, "Two-factor sign-in is set up.")
            return redirect(_next_url(request))
        form.add_error("token", _code_error(request))
    return render(
        request,
        "registration/mfa_setup.html",
        {
            "form": form,
            "qr_svg": mfa.qr_svg(device),
            "secret": mfa.base32_secret(device),
            "enrolled": mfa.has_device(user),
            "next": _next_url(request),
        },
    )


@never_cache
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The second step after the password: a code from the authenticator app."""
    user = request.user
    if not mfa.has_device(user):
        return redirect(f"{reverse('mfa_setup')}?{request.GET.urlencode()}")
    if mfa.is_verified(user):
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.verify(request=request, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _code_error(request))
    return render(
        request, "registration/mfa_verify.html", {"form": form, "next": _next_url(request)}
    )


@never_cache
def my_sessions(request: HttpRequest) -> HttpResponse:
    """The signed-in user's sessions (browsers and tablets), and "sign out the others"."""
    if request.method == "POST":
        ended = sessions.end_other_sessions(user=request.user, keep=request.session.session_key)
        messages.success(request, f"Signed out {ended} other session{pluralize(ended)}.")
        return redirect("my_sessions")
    return render(
        request,
        "registration/sessions.html",
        {
            "user_sessions": sessions.active_sessions(user=request.user),
            "current_key": request.session.session_key,
        },
    )
