"""Schedule views: thin — access check, form, service, redirect.

Staff pages are for the front office (front desk, clinicians, medical providers); they show the
patient's name, the visit type and the status, never clinical content. The ``link_*`` views are
the patient's signed reminder links: no login, and they show only the date, time and clinic.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kap_clinic import roles
from kap_clinic.audit import record_access
from kap_clinic.errors import service_errors
from kap_clinic.params import parse_date, parse_id, query_date, query_id
from kap_clinic.redirects import redirect_next
from patients.selectors import patients_pick
from scheduling import availability, forms, links, selectors, services
from scheduling.models import Appointment, AppointmentType

FRONT_OFFICE = roles.FRONT_OFFICE
# A single letter matches half the registry; two narrow it enough to be worth a request. A
# number is an MRN (KAP-000007 may be typed "7"), so it needs no minimum.
PICKER_MIN_CHARS = 2


def _picker_too_short(query: str) -> bool:
    return len(query) < PICKER_MIN_CHARS and not query.isdigit()


# --- calendars -------------------------------------------------------------------------------


@roles.role_required(FRONT_OFFICE)
def day(request: HttpRequest) -> HttpResponse:
    day = query_date(request, "date", default=timezone.localdate())
    by = "room" if request.GET.get("by") == "room" else "clinician"
    calendar = selectors.day_calendar(day=day, by=by)
    return render(
        request,
        "scheduling/day_calendar.html",
        {
            "day": day,
            "by": by,
            "today": timezone.localdate(),
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
            "types": AppointmentType.objects.filter(active=True),
            **calendar,
        },
    )


@roles.role_required(FRONT_OFFICE)
def week(request: HttpRequest) -> HttpResponse:
    day = query_date(request, "date", default=timezone.localdate())
    monday = forms.week_start(day)
    return render(
        request,
        "scheduling/week_calendar.html",
        {
            "monday": monday,
            "sunday": monday + timedelta(days=6),
            "days": selectors.week_calendar(day=day),
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "today": timezone.localdate(),
        },
    )


@roles.role_required(FRONT_OFFICE)
def arrivals(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "scheduling/arrivals_list.html",
        {"today": today, "appointments": selectors.arrivals(day=today)},
    )


# --- booking ---------------------------------------------------------------------------------


def _booking_initial(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    start = request.GET.get("start")
    if start:
        try:
            moment = timezone.localtime(timezone.datetime.fromisoformat(start))
        except (ValueError, OverflowError):  # not a time, naive, or beyond year 1 / 9999
            moment = None
        if moment is not None and parse_date(moment.date().isoformat()):
            initial.update(date=moment.date(), time=moment.time().replace(second=0))
    # "Book appointment" on a patient's page: the picker opens with that patient chosen.
    for name in ("clinician", "room", "type", "patient"):
        if (pk := query_id(request, name)) is not None:
            initial[name] = pk
    return initial


@require_GET
@never_cache
@roles.role_required(FRONT_OFFICE)
def patient_picker(request: HttpRequest) -> HttpResponse:
    """The booking forms' patient picker: current patients matching ``q`` (htmx partial).

    The search term travels in the query string, which every log strips (kap_clinic.logs), as
    for the patient list. Like the patient list, a lookup records no PHI access: it shows the
    registry line (name, date of birth, MRN), and booking opens nothing of the record.
    """
    query = " ".join(request.GET.get("q", "").split())[:100]
    too_short = _picker_too_short(query)
    patients, more = [], False
    if not too_short:
        patients, more = patients_pick(query=query)
    return render(
        request,
        "scheduling/snippets/patient_picker_results.html",
        {
            "patients": patients,
            "more": more,
            "query": query,
            "too_short": too_short,
        },
    )


@roles.role_required(FRONT_OFFICE)
def appointment_book(request: HttpRequest) -> HttpResponse:
    form = forms.BookingForm(request.POST or None, initial=_booking_initial(request))
    slots: list = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common = {
            "type": data["type"],
            "clinician": data["clinician"],
            "starts_at": form.starts_at(),
            "room": data["room"],
            "by": request.user,
            "allow_outside_hours": data["allow_outside_hours"],
        }
        with service_errors(form):
            if data["patient"] is None:
                appointment = services.inquiry_book_consultation(
                    patient_fields=form.new_patient_fields(), **common
                )
            else:
                appointment = services.appointment_book(patient=data["patient"], **common)
            messages.success(request, f"Booked: {appointment}.")
            return redirect("scheduling:appointment_detail", pk=appointment.pk)
        if form.has_error(NON_FIELD_ERRORS, code="outside_hours"):
            form.fields["allow_outside_hours"].widget.attrs["autofocus"] = True
    if form.is_bound and form.errors:
        data = form.cleaned_data
        if data.get("type") and data.get("clinician"):
            # Help pick another time: the clinician's next free starts for this visit type.
            slots = availability.next_available_slots(
                type=data["type"], clinician=data["clinician"], after=timezone.now()
            )
    return render(
        request,
        "scheduling/appointment_book.html",
        {"form": form, "slots": slots, "form_data": request.POST},
    )


@roles.role_required(FRONT_OFFICE)
def next_available(request: HttpRequest) -> HttpResponse:
    """ "Next available" starts for a visit type and clinician (htmx partial or page)."""
    # A partial: an unusable id shows the "choose a type and a clinician" answer, no message.
    type_id = query_id(request, "type", say=False)
    clinician_id = query_id(request, "clinician", say=False)
    type_ = AppointmentType.objects.filter(pk=type_id, active=True).first() if type_id else None
    clinician = selectors.clinicians().filter(pk=clinician_id).first() if clinician_id else None
    slots = []
    if type_ and clinician:
        slots = availability.next_available_slots(
            type=type_, clinician=clinician, after=timezone.now(), limit=10
        )
    return render(
        request,
        "scheduling/snippets/next_available.html",
        {"slots": slots, "type": type_, "clinician": clinician, "asked": bool(type_ and clinician)},
    )


@roles.role_required(FRONT_OFFICE)
def series_book(request: HttpRequest) -> HttpResponse:
    form = forms.SeriesForm(request.POST or None, initial=_booking_initial(request))
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        starts = form.starts()
        if "commit" in request.POST:
            with service_errors(form):
                booked = services.appointment_series_book(
                    patient=data["patient"],
                    type=data["type"],
                    clinician=data["clinician"],
                    starts=starts,
                    by=request.user,
                    allow_outside_hours=data["allow_outside_hours"],
                )
                messages.success(request, f"Booked {len(booked)} visits.")
                return redirect("patients:detail", pk=data["patient"].pk)
        preview = services.series_preview(
            patient=data["patient"], type=data["type"], clinician=data["clinician"], starts=starts
        )
    return render(
        request,
        "scheduling/series_book.html",
        {
            "form": form,
            "preview": preview,
            "can_commit": bool(preview) and not any(item.problem for item in preview),
        },
    )


# --- one appointment -------------------------------------------------------------------------


@roles.role_required(FRONT_OFFICE)
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_for_user(user=request.user, pk=pk)
    record_access(request=request, patient_id=appointment.patient_id, what="appointment")
    integration = []
    if appointment.type.is_dosing and appointment.is_active:
        integration_type = AppointmentType.objects.filter(
            kind=AppointmentType.Kind.INTEGRATION, active=True
        ).first()
        if integration_type is not None:
            integration = [
                (integration_type, slot)
                for slot in availability.integration_slots(
                    dosing=appointment, type=integration_type, clinician=appointment.clinician
                )
            ]
    return render(
        request,
        "scheduling/appointment_detail.html",
        {
            "appointment": appointment,
            "reminders": appointment.reminders.all(),
            "history": appointment.history.select_related("history_user")[:30],
            "badge": selectors.STATUS_BADGES[appointment.status],
            "confirmations": selectors.patient_confirmations(appointment),
            "integration": integration,
            "integration_window": availability.integration_window(appointment)
            if appointment.type.is_dosing
            else None,
            "now": timezone.now(),
        },
    )


@roles.role_required(FRONT_OFFICE)
def appointment_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_for_user(user=request.user, pk=pk)
    start = timezone.localtime(appointment.starts_at)
    form = forms.RescheduleForm(
        request.POST or None,
        initial={
            "date": start.date(),
            "time": start.time(),
            "clinician": appointment.clinician_id,
            "room": appointment.room_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.appointment_reschedule(
                appointment=appointment,
                starts_at=form.starts_at(),
                clinician=form.cleaned_data["clinician"],
                room=form.cleaned_data["room"],
                by=request.user,
                allow_outside_hours=form.cleaned_data["allow_outside_hours"],
            )
            messages.success(request, "Appointment moved; its reminders were moved too.")
            return redirect("scheduling:appointment_detail", pk=appointment.pk)
    return render(
        request,
        "scheduling/appointment_reschedule.html",
        {"form": form, "appointment": appointment},
    )


@roles.role_required(FRONT_OFFICE)
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_for_user(user=request.user, pk=pk)
    form = forms.CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.appointment_cancel(
                appointment=appointment, reason=form.cleaned_data["reason"], by=request.user
            )
            messages.success(request, "Appointment cancelled; its reminders will not go out.")
            return redirect("scheduling:appointment_detail", pk=appointment.pk)
    return render(
        request, "scheduling/appointment_cancel.html", {"form": form, "appointment": appointment}
    )


def _status_action(service, done: str):
    @require_POST
    @roles.role_required(FRONT_OFFICE)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        appointment = selectors.appointment_for_user(user=request.user, pk=pk)
        with service_errors(request):
            service(appointment=appointment, by=request.user)
            messages.success(request, f"{appointment.patient.display_name}: {done}.")
        return redirect_next(request, "scheduling:appointment_detail", pk=appointment.pk)

    return view


appointment_check_in = _status_action(services.appointment_check_in, "checked in")
appointment_complete = _status_action(services.appointment_complete, "visit completed")
appointment_no_show = _status_action(services.appointment_no_show, "recorded as a no-show")


# --- reminders -------------------------------------------------------------------------------


@roles.role_required(FRONT_OFFICE)
def reminders(request: HttpRequest) -> HttpResponse:
    board = selectors.reminders_board(sent_page=parse_id(request.GET.get("sent_page")) or 1)
    return render(request, "scheduling/reminder_list.html", board)


@require_POST
@roles.role_required(FRONT_OFFICE)
def reminder_retry(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = selectors.reminder_for_user(user=request.user, pk=pk)
    with service_errors(request):
        reminder = services.reminder_retry(reminder=reminder, by=request.user)
        if reminder.status == reminder.Status.PENDING:
            messages.success(request, "The reminder will be sent within a minute.")
        else:
            messages.warning(request, f"Still not sendable: {reminder.skip_reason}")
    return redirect("scheduling:reminders")


# --- the patient's signed links (no login) ---------------------------------------------------


def _link_page(
    request: HttpRequest, token: str, purpose: str, form_class=None, action=None
) -> HttpResponse:
    try:
        appointment = links.appointment_for_token(token, purpose=purpose)
    except links.LinkError as error:
        return render(
            request,
            "scheduling/link_invalid.html",
            {"reason": str(error), "clinic_phone": settings.CLINIC_PHONE},
            status=410,
        )
    form = form_class(request.POST or None) if form_class else None
    done = False
    if request.method == "POST" and action is not None and (form is None or form.is_valid()):
        try:
            action(appointment, form)
        except ValidationError as error:
            return render(
                request,
                "scheduling/link_invalid.html",
                {"reason": " ".join(error.messages), "clinic_phone": settings.CLINIC_PHONE},
                status=410,
            )
        done = True
    return render(
        request,
        f"scheduling/link_{purpose}.html",
        {
            "starts_at": timezone.localtime(appointment.starts_at),
            "form": form,
            "done": done,
            "token": token,
            # The manage page offers the other links, each with its own token.
            "links": links.links_for(appointment, absolute=False) if purpose == "manage" else None,
            "asks_preparation": appointment.type.is_dosing,
        },
    )


@login_not_required
@require_GET
def link_manage(request: HttpRequest, token: str) -> HttpResponse:
    return _link_page(request, token, "manage")


@login_not_required
def link_confirm(request: HttpRequest, token: str) -> HttpResponse:
    return _link_page(
        request,
        token,
        "confirm",
        action=lambda appointment, form: services.appointment_confirm(appointment=appointment),
    )


@login_not_required
def link_cancel(request: HttpRequest, token: str) -> HttpResponse:
    return _link_page(
        request,
        token,
        "cancel",
        form_class=forms.PublicCancelForm,
        action=lambda appointment, form: services.appointment_cancel(
            appointment=appointment,
            reason=form.cleaned_data["reason"],
            by=None,
            via=Appointment.Via.LINK,
        ),
    )


@login_not_required
def link_prepare(request: HttpRequest, token: str) -> HttpResponse:
    def record(appointment: Appointment, form) -> None:
        services.appointment_record_preparation(
            appointment=appointment,
            fasting=form.cleaned_data["fasting"],
            escort_name=form.cleaned_data["escort_name"],
            escort_phone=str(form.cleaned_data["escort_phone"] or ""),
        )

    return _link_page(
        request,
        token,
        "prepare",
        form_class=forms.PreparationForm,
        action=record,
    )
