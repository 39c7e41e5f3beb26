"""The group note pages: write, sign, add addenda. Clinical roles only; every member whose
part the page shows is recorded in the access log."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kap_clinic import roles
from kap_clinic.audit import record_access_many
from kap_clinic.errors import service_errors
from sessions import group_forms, group_selectors, services

clinical = roles.role_required(roles.CLINICAL)


def _render(
    request: HttpRequest, page, *, form=None, sign_form=None, addendum_form=None, status=200
):
    record_access_many(request=request, patient_ids=[p.pk for p in page.members], what="group note")
    initial = {}
    if page.note is not None:
        initial = {"themes": page.note.themes, "practices": page.note.practices}
        initial.update({f"private_{pk}": text for pk, text in page.private.items()})
    return render(
        request,
        "sessions/groups/group_note.html",
        {
            "page": page,
            "meeting": page.meeting,
            "note": page.note,
            "form": form or group_forms.GroupNoteForm(initial=initial, members=page.members),
            "sign_form": sign_form or group_forms.SignForm(),
            "addendum_form": addendum_form or group_forms.GroupAddendumForm(members=page.members),
            "rows": [
                (p, page.attendance.get(p.pk, ""), page.private.get(p.pk, "")) for p in page.members
            ],
        },
        status=status,
    )


@clinical
def group_note(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    meeting = group_selectors.meeting_for_clinician(user=request.user, pk=meeting_pk)
    page = group_selectors.note_page(meeting)
    if request.method != "POST":
        return _render(request, page)
    form = group_forms.GroupNoteForm(request.POST, members=page.members)
    if form.is_valid():
        with service_errors(form):
            services.group_note_save(
                meeting=meeting,
                themes=form.cleaned_data["themes"],
                practices=form.cleaned_data["practices"],
                private=form.private(),
                by=request.user,
            )
            messages.success(request, "Group note saved.")
            return redirect("sessions:group_note", meeting_pk=meeting.pk)
    return _render(request, page, form=form, status=400)


@require_POST
@clinical
def group_note_sign(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    meeting = group_selectors.meeting_for_clinician(user=request.user, pk=meeting_pk)
    page = group_selectors.note_page(meeting)
    sign_form = group_forms.SignForm(request.POST)
    if page.note is None:
        sign_form.add_error(None, "Write and save the note before signing.")
        return _render(request, page, sign_form=sign_form, status=400)
    sign_form.is_valid()
    with service_errors(sign_form):
        services.group_note_sign(
            note=page.note,
            by=request.user,
            names_confirmed=sign_form.cleaned_data.get("names_confirmed", False),
        )
        messages.success(request, "Group note signed.")
        return redirect("sessions:group_note", meeting_pk=meeting.pk)
    return _render(request, page, sign_form=sign_form, status=400)


@require_POST
@clinical
def group_note_addendum(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    meeting = group_selectors.meeting_for_clinician(user=request.user, pk=meeting_pk)
    page = group_selectors.note_page(meeting)
    form = group_forms.GroupAddendumForm(request.POST, members=page.members)
    if form.is_valid() and page.note is not None:
        with service_errors(form):
            services.group_note_addendum_add(
                note=page.note,
                text=form.cleaned_data["text"],
                patient=form.member(),
                by=request.user,
            )
            messages.success(request, "Addendum added.")
            return redirect("sessions:group_note", meeting_pk=meeting.pk)
    elif page.note is None:
        form.add_error(None, "There is no note to add to yet.")
    return _render(request, page, addendum_form=form, status=400)
