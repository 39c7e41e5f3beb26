"""Group sessions on the schedule: list, schedule, roster with enrolment and waiting list,
attendance, cancellation. Thin: access check, form, service, redirect.

Front desk, clinicians and providers see rosters, capacity and attendance status (schedule
information); taking attendance is the facilitator's (clinical roles). Notes are in the sessions
app and never shown here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kap_clinic import roles
from kap_clinic.errors import service_errors
from scheduling import group_forms, group_selectors, services

FRONT_OFFICE = roles.FRONT_OFFICE


@roles.role_required(FRONT_OFFICE)
def group_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "scheduling/groups/group_list.html",
        {"meetings": group_selectors.upcoming_meetings()},
    )


@roles.role_required(FRONT_OFFICE)
def group_schedule(request: HttpRequest) -> HttpResponse:
    form = group_forms.MeetingScheduleForm(
        request.POST or None, initial={"date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_errors(form):
            meetings = services.group_meetings_schedule(
                group_type=data["group_type"],
                facilitator=data["facilitator"],
                co_facilitator=data["co_facilitator"],
                starts_at=form.starts_at(),
                count=data["count"],
                interval_days=data["interval_days"],
                room=data["room"],
                by=request.user,
                allow_outside_hours=data["allow_outside_hours"],
            )
            count = len(meetings)
            messages.success(request, f"Scheduled {count} meeting{'s' if count > 1 else ''}.")
            return redirect("scheduling:group_detail", pk=meetings[0].pk)
    return render(request, "scheduling/groups/group_schedule.html", {"form": form})


def _detail(
    request: HttpRequest,
    meeting,
    *,
    enrol_form=None,
    full: bool = False,
    status: int = 200,
) -> HttpResponse:
    # Names, visit and status only, like the calendars and arrivals: not a chart read.
    roster = group_selectors.roster(meeting)
    waiting = group_selectors.waiting(meeting)
    context: dict[str, Any] = {
        "meeting": meeting,
        "roster": roster,
        "waiting": waiting,
        "cancelled": group_selectors.cancelled_places(meeting),
        "series": group_selectors.series_of(meeting),
        "free": max(0, meeting.group_type.capacity - len(roster)),
        "enrol_form": enrol_form or group_forms.EnrolForm(),
        "full": full,
        "clinical": roles.has_role(request.user, roles.CLINICAL),
        "started": meeting.starts_at <= timezone.now(),
    }
    return render(request, "scheduling/groups/group_detail.html", context, status=status)


@roles.role_required(FRONT_OFFICE)
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = group_selectors.meeting_for_user(user=request.user, pk=pk)
    return _detail(request, meeting)


@require_POST
@roles.role_required(FRONT_OFFICE)
def group_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = group_selectors.meeting_for_user(user=request.user, pk=pk)
    form = group_forms.EnrolForm(request.POST)
    if not form.is_valid():
        return _detail(request, meeting, enrol_form=form, status=400)
    data = form.cleaned_data
    patient = data["patient"]
    with service_errors(form):
        if data["scope"] == "series":
            result = services.group_enrol_series(
                meeting=meeting,
                patient=patient,
                by=request.user,
                wait_when_full=data["wait_when_full"],
            )
            text = f"Enrolled in {len(result.enrolled)} meeting(s)"
            if result.waiting:
                text += f"; on the waiting list for {len(result.waiting)} full one(s)"
            messages.success(request, text + ".")
        else:
            services.group_enrol(meeting=meeting, patient=patient, by=request.user)
            messages.success(request, "Enrolled.")
        return redirect("scheduling:group_detail", pk=meeting.pk)
    # Full: offer the waiting list (GroupFull carries the code "full").
    full = form.has_error(NON_FIELD_ERRORS, code="full")
    return _detail(request, meeting, enrol_form=form, full=full, status=409)


@require_POST
@roles.role_required(FRONT_OFFICE)
def group_waitlist_join(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = group_selectors.meeting_for_user(user=request.user, pk=pk)
    form = group_forms.WaitlistJoinForm(request.POST)
    if not form.is_valid():
        return _detail(request, meeting, enrol_form=form, status=400)
    with service_errors(form):
        services.group_waitlist_join(
            meeting=meeting, patient=form.cleaned_data["patient"], by=request.user
        )
        messages.success(request, "Added to the waiting list.")
        return redirect("scheduling:group_detail", pk=meeting.pk)
    return _detail(request, meeting, enrol_form=form, status=409)


def _back(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    if request.POST.get("back") == "home":
        return redirect("home")
    return redirect("scheduling:group_detail", pk=meeting_pk)


@require_POST
@roles.role_required(FRONT_OFFICE)
def group_waitlist_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    entry = group_selectors.waitlist_entry_for_user(user=request.user, pk=pk)
    with service_errors(request):
        services.group_waitlist_enrol(entry=entry, by=request.user)
        messages.success(request, "The waiting patient has the place; their reminders are planned.")
    return _back(request, entry.meeting_id)


@require_POST
@roles.role_required(FRONT_OFFICE)
def group_waitlist_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    entry = group_selectors.waitlist_entry_for_user(user=request.user, pk=pk)
    with service_errors(request):
        services.group_waitlist_withdraw(entry=entry, by=request.user)
        messages.success(request, "Taken off the waiting list.")
    return _back(request, entry.meeting_id)


@roles.role_required(roles.CLINICAL)
def group_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The facilitator's register. Correctable until the group note is signed (the sessions
    app's note page says so; a signed note's attendance is what the note was signed on)."""
    meeting = group_selectors.meeting_for_user(user=request.user, pk=pk)
    seats = group_selectors.roster(meeting)
    form = group_forms.AttendanceForm(request.POST or None, seats=seats)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.group_attendance_record(
                meeting=meeting, statuses=form.statuses(), by=request.user
            )
            messages.success(request, "Attendance saved.")
            return redirect("scheduling:group_detail", pk=meeting.pk)
    return render(
        request,
        "scheduling/groups/group_attendance.html",
        {"meeting": meeting, "form": form, "started": meeting.starts_at <= timezone.now()},
    )


@roles.role_required(FRONT_OFFICE)
def group_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = group_selectors.meeting_for_user(user=request.user, pk=pk)
    form = group_forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.group_meeting_cancel(
                meeting=meeting, reason=form.cleaned_data["reason"], by=request.user
            )
            messages.success(request, "Meeting cancelled; every member's place with it.")
            return redirect("scheduling:group_detail", pk=meeting.pk)
    return render(
        request, "scheduling/groups/group_cancel.html", {"meeting": meeting, "form": form}
    )
