"""The patient's self-report pages, opened from a signed link on a phone: no login (the
signature, the nonce, the expiry and single use are the check; ``patients.selfreport.tokens``).

A page shows the patient only their first name and the clinic. A used, expired or altered link
says so and stores nothing.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kap_clinic.audit import client_ip
from kap_clinic.errors import service_errors
from patients import instruments
from patients.forms_selfreport import CheckInForm, ConsentByLinkForm, IntakeByLinkForm
from patients.models import SelfReportLink
from patients.selfreport import questions
from patients.selfreport.tokens import LinkError, link_for_token
from patients.services import selfreport as services
from patients.services.selfreport_intake import (
    consent_needed,
    consent_sign_by_link,
    intake_submit_by_link,
)


def _base(link: SelfReportLink | None) -> dict:
    first = ""
    if link is not None:
        first = link.patient.preferred_name or link.patient.legal_first_name
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "crisis_text": settings.SELF_REPORT_CRISIS_TEXT,
        "first_name": first,
    }


def _refuse(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request,
        "patients/selfreport/link_invalid.html",
        {**_base(None), "reason": reason},
        status=410,
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def selfreport_start(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = link_for_token(token)
    except LinkError as error:
        return _refuse(request, str(error))
    if link.purpose == SelfReportLink.Purpose.CHECKIN:
        return _checkin(request, token, link)
    if link.purpose == SelfReportLink.Purpose.INTAKE:
        return _intake(request, token, link)
    if link.purpose == SelfReportLink.Purpose.SAFETY_PLAN:
        return render(
            request,
            "patients/selfreport/safety_plan.html",
            {**_base(link), "plan": link.safety_plan},
        )
    step = services.current_step(link)
    if step is None:  # cannot happen for an unused questionnaire link; be safe
        return _refuse(request, "There is nothing left to answer. Thank you.")
    started = any(link.progress.get(code) for code in link.instruments)
    return render(
        request,
        "patients/selfreport/start.html",
        {
            **_base(link),
            "token": token,
            "step": step,
            "started": started,
            "parts": len(link.instruments),
            "risk": link.risk_at is not None,
        },
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def selfreport_item(request: HttpRequest, token: str, code: str, key: str) -> HttpResponse:
    try:
        link = link_for_token(token)
    except LinkError as error:
        return _refuse(request, str(error))
    if link.purpose != SelfReportLink.Purpose.QUESTIONNAIRE or code not in link.instruments:
        return _refuse(request, "This link is not valid. Please call the clinic.")
    if code in link.recorded:
        return redirect("patients:selfreport_start", token=token)
    error = ""
    if request.method == "POST":
        answer = forms.Form(data={})  # carries a refused answer's message back to the page
        try:
            with service_errors(answer):
                link, _measure = services.selfreport_answer(
                    link=link, code=code, key=key, value=request.POST.get("value")
                )
                if link.used_at is not None:
                    return render(
                        request,
                        "patients/selfreport/done.html",
                        {**_base(link), "risk": link.risk_at is not None},
                    )
                step = services.current_step(link)
                assert step is not None  # noqa: S101 - unused link has a step left
                return redirect("patients:selfreport_item", token=token, code=step[0], key=step[1])
        except LinkError as refusal:
            return _refuse(request, str(refusal))
        error = " ".join(answer.non_field_errors())
    answers = link.progress.get(code, {})
    screen = questions.item(code, key, answers)
    if screen is None:
        step = services.current_step(link)
        return redirect("patients:selfreport_item", token=token, code=step[0], key=step[1])
    keys = questions.item_keys(code, answers)
    position = keys.index(key)
    back = keys[position - 1] if position else None
    part = link.instruments.index(code) + 1
    return render(
        request,
        "patients/selfreport/item.html",
        {
            **_base(link),
            "token": token,
            "item": screen,
            "chosen": answers.get(key),
            "back": back,
            "part": part,
            "parts": len(link.instruments),
            "percent": int(100 * position / len(keys)),
            "error": error,
            "risk": link.risk_at is not None,
            "is_cssrs": code == instruments.CSSRS,
        },
        status=400 if error else 200,
    )


def _checkin(request: HttpRequest, token: str, link: SelfReportLink) -> HttpResponse:
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with service_errors(form):
                checkin = services.checkin_submit(link=link, answers=form.cleaned_data)
                return render(
                    request,
                    "patients/selfreport/done.html",
                    {
                        **_base(link),
                        "risk": checkin.thoughts_of_self_harm,
                        "call_back": checkin.please_call or checkin.concerning,
                        "checkin": True,
                    },
                )
        except LinkError as refusal:
            return _refuse(request, str(refusal))
    return render(
        request,
        "patients/selfreport/checkin.html",
        {**_base(link), "form": form, "token": token},
        status=400 if form.errors else 200,
    )


def _intake(request: HttpRequest, token: str, link: SelfReportLink) -> HttpResponse:
    if "intake" in link.recorded:
        return _consent(request, token, link)
    form = IntakeByLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields, screen, contact = form.split()
        try:
            with service_errors(form):
                intake_submit_by_link(link=link, fields=fields, screen=screen, contact=contact)
                link.refresh_from_db()
                if link.used_at is None:  # the consent is next
                    return redirect("patients:selfreport_start", token=token)
                return render(
                    request, "patients/selfreport/done.html", {**_base(link), "risk": False}
                )
        except LinkError as refusal:
            return _refuse(request, str(refusal))
    return render(
        request,
        "patients/selfreport/intake.html",
        {**_base(link), "form": form, "token": token},
        status=400 if form.errors else 200,
    )


def _consent(request: HttpRequest, token: str, link: SelfReportLink) -> HttpResponse:
    document = consent_needed(link.patient)
    if document is None:
        return _refuse(request, "There is nothing to sign. Thank you.")
    form = ConsentByLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with service_errors(form):
                consent_sign_by_link(
                    link=link,
                    typed_name=form.cleaned_data["typed_name"],
                    sms_consent=form.cleaned_data["sms_consent"],
                    ip_address=client_ip(request),
                )
                return render(
                    request,
                    "patients/selfreport/done.html",
                    {**_base(link), "risk": False, "signed": True},
                )
        except LinkError as refusal:
            return _refuse(request, str(refusal))
    return render(
        request,
        "patients/selfreport/consent.html",
        {**_base(link), "form": form, "document": document},
        status=400 if form.errors else 200,
    )
