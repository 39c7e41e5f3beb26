"""Patient registry (front office) and the clinical chart (clinical roles).

Every view: role check and patient lookup through a selector → form → service → redirect.
Every page that shows a patient records the access (kap_clinic.audit).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from kap_clinic import roles
from kap_clinic.audit import client_ip, record_access
from kap_clinic.errors import service_errors
from kap_clinic.params import parse_id
from kap_clinic.redirects import next_path
from patients import chart, contraindications, forms, instruments, sections, selectors, services
from patients.models import (
    Consent,
    EligibilityDecision,
    Intake,
    MeasureResult,
    Patient,
    RiskFlag,
)

PAGE_SIZE = 25
# The measures page lists a long-term patient's hundreds of results a page at a time.
MEASURES_PAGE_SIZE = 50


def patient_view(
    allowed: frozenset[str], *, what: str, model: type[models.Model] = Patient
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """``role_required`` for a view of one patient's record (``pk`` of ``model``): a refusal
    is recorded in the access log against that patient (kap_clinic.audit)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        checked = roles.role_required(allowed)(view)

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return checked(request, *args, **kwargs)
            except PermissionDenied:
                _record_refusal(request, model, kwargs.get("pk"), what)
                raise

        wrapped.allowed_roles = checked.allowed_roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _record_refusal(
    request: HttpRequest, model: type[models.Model], pk: int | None, what: str
) -> None:
    if pk is None or not request.user.is_authenticated:
        return
    field = "pk" if model is Patient else "patient_id"
    patient_id = model.objects.filter(pk=pk).values_list(field, flat=True).first()
    if patient_id is not None:
        record_access(request=request, patient_id=patient_id, what=what, allowed=False)


def _patient(request: HttpRequest, pk: int, *, what: str, clinical: bool = False) -> Patient:
    """The patient for this request, with the access recorded."""
    patient = selectors.patient_for_user(user=request.user, pk=pk, clinical=clinical)
    record_access(request=request, patient_id=patient.pk, what=what)
    return patient


# --- registry (front office) -------------------------------------------------------------------


@roles.role_required(roles.FRONT_OFFICE)
def patient_list(request: HttpRequest) -> HttpResponse:
    form = forms.PatientSearchForm(request.GET or None)
    query, archived = "", False
    if form.is_valid():
        query = form.cleaned_data["q"]
        archived = form.cleaned_data["archived"]
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    if sort not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    results = selectors.patients_search(query=query, sort=sort, include_archived=archived)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    base = request.GET.copy()
    base.pop("page", None)
    base.pop("sort", None)
    columns = [
        ("name", "Name"),
        ("mrn", "MRN"),
        ("dob", "Date of birth"),
        ("status", "Status"),
        ("created", "Registered"),
    ]
    sort_links = []
    for key, label in columns:
        params = base.copy()
        params["sort"] = f"-{key}" if sort == key else key
        direction = "asc" if sort == key else "desc" if sort == f"-{key}" else ""
        sort_links.append(
            {
                "label": label,
                "url": f"?{params.urlencode()}",
                "dir": direction,
                # Upright on a tablet the table would scroll sideways; "Registered" matters least.
                "wide_only": key == "created",
            }
        )
    page_params = request.GET.copy()
    page_params.pop("page", None)
    return render(
        request,
        "patients/patient_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "sort_links": sort_links,
            "page_query": page_params.urlencode(),
        },
    )


@roles.role_required(roles.FRONT_OFFICE)
def patient_create(request: HttpRequest) -> HttpResponse:
    form = forms.PatientCreateForm(request.POST or None)
    duplicates: list[Patient] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = list(
            selectors.possible_duplicates(
                legal_first_name=data["legal_first_name"],
                legal_last_name=data["legal_last_name"],
                date_of_birth=data["date_of_birth"],
                phone=data.get("phone") or "",
                email=data.get("email") or "",
            )[:10]
        )
        if duplicates and not data["confirm_not_duplicate"]:
            form.add_error(
                None,
                "This looks like a patient who is already registered. Open them below, or "
                "confirm this is a different person to save.",
            )
        else:
            with service_errors(form):
                patient = services.patient_create(by=request.user, **form.service_fields())
                messages.success(request, f"{patient.display_name} registered as {patient.mrn}.")
                return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/patient_create.html", {"form": form, "duplicates": duplicates})


@patient_view(roles.FRONT_OFFICE, what="demographics")
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Demographics and contacts, plus sections other apps register (appointments). Seen by
    front desk: no clinical content here."""
    patient = _patient(request, pk, what="demographics")
    return render(
        request,
        "patients/patient_detail.html",
        {"patient": patient, "sections": chart.front_desk_sections(request, patient)},
    )


@patient_view(roles.FRONT_OFFICE, what="demographics edit")
def patient_update(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, what="demographics edit")
    form = forms.PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.patient_update(patient=patient, by=request.user, **form.service_fields())
            messages.success(request, "Patient details saved.")
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/patient_update.html", {"form": form, "patient": patient})


@require_POST
@patient_view(roles.FRONT_OFFICE, what="archive")
def patient_archive(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, what="archive")
    if request.POST.get("restore"):
        services.patient_unarchive(patient=patient, by=request.user)
        messages.success(request, f"{patient.display_name} is back in the registry.")
    else:
        services.patient_archive(patient=patient, by=request.user)
        messages.success(
            request,
            f"{patient.display_name} archived. The record is kept; find them with "
            "“Include archived”.",
        )
    return redirect("patients:detail", pk=patient.pk)


# --- the clinical chart -----------------------------------------------------------------------


@patient_view(roles.CLINICAL, what="chart")
def patient_chart(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, what="chart", clinical=True)
    intake = selectors.latest_intake(patient)
    return render(
        request,
        "patients/patient_chart.html",
        {
            "patient": patient,
            "intake": intake,
            "flags": selectors.active_flags(patient),
            "eligibility": selectors.eligibility_latest(patient),
            "status_form": forms.StatusForm(patient=patient),
            "sections": chart.chart_sections(request, patient),
        },
    )


@require_POST
@patient_view(roles.CLINICAL, what="status")
def patient_status(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, what="status", clinical=True)
    form = forms.StatusForm(request.POST, patient=patient)
    if form.is_valid():
        with service_errors(request):
            services.patient_set_status(
                patient=patient, status=form.cleaned_data["status"], by=request.user
            )
            messages.success(request, f"Status set to {patient.get_status_display()}.")
    else:
        messages.error(request, "That status change is not allowed from here.")
    return redirect("patients:chart", pk=patient.pk)


# --- intake -----------------------------------------------------------------------------------


def _intake(request: HttpRequest, pk: int, *, what: str) -> Intake:
    intake = selectors.intake_for_user(user=request.user, pk=pk)
    record_access(request=request, patient_id=intake.patient_id, what=what)
    return intake


@require_POST
@patient_view(roles.CLINICAL, what="intake")
def intake_start(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, what="intake", clinical=True)
    intake = services.intake_start(patient=patient, by=request.user)
    return redirect("patients:intake_edit", pk=intake.pk)


@patient_view(roles.CLINICAL, what="intake", model=Intake)
def intake_detail(request: HttpRequest, pk: int) -> HttpResponse:
    intake = _intake(request, pk, what="intake")
    intake = selectors.intakes_with_addenda(intake.patient).get(pk=intake.pk)
    return render(
        request,
        "patients/intake_detail.html",
        {
            "intake": intake,
            "patient": intake.patient,
            "screen": _screen_rows(intake),
            "measures": intake.measures.select_related("entered_by").order_by("code"),
            "missing": [] if intake.is_signed else selectors.intake_missing(intake),
            "addendum_form": forms.AddendumForm(),
        },
    )


def _screen_rows(intake: Intake) -> list[dict[str, Any]]:
    answers = {a.item: a for a in intake.screen.all()}
    return [
        {"item": item, "answer": answers.get(item.code)}
        for item in contraindications.CONTRAINDICATIONS
    ]


@patient_view(roles.CLINICAL, what="intake edit", model=Intake)
def intake_edit(request: HttpRequest, pk: int) -> HttpResponse:
    intake = _intake(request, pk, what="intake edit")
    if intake.is_signed:
        messages.info(request, "This intake is signed and locked. Add an addendum instead.")
        return redirect("patients:intake_detail", pk=intake.pk)
    form = forms.IntakeForm(request.POST or None, instance=intake)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.intake_update(
                intake=intake,
                by=request.user,
                screen=form.screen_answers(),
                screen_notes=form.screen_notes(),
                **form.service_fields(),
            )
            messages.success(request, "Intake draft saved.")
            next_measure = request.POST.get("measure")
            if next_measure in selectors.BASELINE_MEASURES:
                url = reverse("patients:measure_create", args=[intake.patient_id, next_measure])
                return redirect(f"{url}?intake={intake.pk}")
            if "save_and_review" in request.POST:
                return redirect("patients:intake_detail", pk=intake.pk)
            return redirect("patients:intake_edit", pk=intake.pk)
    taken = {m.code: m for m in intake.measures.order_by("taken_at")}
    baseline = [
        {"code": code, "name": instruments.INSTRUMENTS[code].name, "result": taken.get(code)}
        for code in selectors.BASELINE_MEASURES
    ]
    return render(
        request,
        "patients/intake_edit.html",
        {"form": form, "intake": intake, "patient": intake.patient, "baseline": baseline},
    )


@require_POST
@patient_view(roles.CLINICAL, what="intake sign", model=Intake)
def intake_sign(request: HttpRequest, pk: int) -> HttpResponse:
    intake = _intake(request, pk, what="intake sign")
    with service_errors(request):
        services.intake_sign(intake=intake, by=request.user)
        messages.success(request, "Intake signed. It is now locked; later changes are addenda.")
    return redirect("patients:intake_detail", pk=intake.pk)


@require_POST
@patient_view(roles.CLINICAL, what="intake addendum", model=Intake)
def intake_addendum(request: HttpRequest, pk: int) -> HttpResponse:
    intake = _intake(request, pk, what="intake addendum")
    form = forms.AddendumForm(request.POST)
    if form.is_valid():
        with service_errors(request):
            services.intake_add_addendum(
                intake=intake, text=form.cleaned_data["text"], by=request.user
            )
            messages.success(request, "Addendum added.")
    else:
        messages.error(request, "An addendum needs some text.")
    return redirect("patients:intake_detail", pk=intake.pk)


# --- measures -----------------------------------------------------------------------------------


@patient_view(roles.CLINICAL, what="measures")
def measure_list(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, what="measures", clinical=True)
    return render(
        request,
        "patients/measure_list.html",
        {
            "patient": patient,
            "measures": Paginator(
                selectors.measures_for_chart(patient).order_by("-taken_at", "-id"),
                MEASURES_PAGE_SIZE,
            ).get_page(request.GET.get("page")),
            "instruments": instruments.INSTRUMENTS.values(),
            "outcomes": sections.outcomes(patient),
        },
    )


@patient_view(roles.CLINICAL, what="measure entry")
def measure_create(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    patient = _patient(request, pk, what="measure entry", clinical=True)
    if code not in instruments.INSTRUMENTS:
        raise Http404("No such measure.")
    intake = None
    intake_pk = parse_id(request.GET.get("intake") or request.POST.get("intake"))
    if intake_pk is not None:
        intake = selectors.intake_for_user(user=request.user, pk=intake_pk)
        if intake.patient_id != patient.pk or intake.is_signed:
            intake = None
    # Where the clinician came from (the dosing session's "Record now"), if it is a page here.
    back = next_path(request)
    form = forms.MeasureForm(request.POST or None, code=code)
    if request.method == "POST" and form.is_valid():
        with service_errors(form, also=(ValueError,)):
            measure = services.measure_record(
                patient=patient,
                code=code,
                answers=form.answers(),
                by=request.user,
                taken_at=form.cleaned_data.get("taken_at"),
                intake=intake,
            )
            messages.success(
                request,
                f"{form.instrument.name} saved: {measure.result_label or 'recorded'}.",
            )
            if measure.has_suicide_risk:
                messages.warning(
                    request,
                    "Suicide risk flagged: the chart shows a banner until a clinician "
                    "acknowledges it.",
                )
            if back:
                return redirect(back)
            if intake is not None:
                return redirect("patients:intake_edit", pk=intake.pk)
            return redirect("patients:measure_detail", pk=measure.pk)
    return render(
        request,
        "patients/measure_create.html",
        {
            "form": form,
            "patient": patient,
            "instrument": form.instrument,
            "intake": intake,
            "next": back,
        },
    )


@patient_view(roles.CLINICAL, what="measure", model=MeasureResult)
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    measure = selectors.measure_for_user(user=request.user, pk=pk)
    record_access(request=request, patient_id=measure.patient_id, what="measure")
    instrument = measure.instrument
    if measure.code == instruments.CSSRS:
        labels = dict(zip(instrument.keys, instrument.items, strict=True))
        rows = [
            (labels[key], {True: "Yes", False: "No"}.get(measure.answers.get(key), "Not asked"))
            for key in instrument.keys
        ]
    else:
        options = dict(instrument.options)
        rows = [
            (f"{n}. {text}", f"{value} — {options.get(value, '?')}")
            for n, (text, value) in enumerate(
                zip(instrument.items, measure.answers, strict=False), start=1
            )
        ]
    return render(
        request,
        "patients/measure_detail.html",
        {"measure": measure, "patient": measure.patient, "rows": rows},
    )


@patient_view(roles.CLINICAL, what="risk flag", model=RiskFlag)
def risk_flag_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    flag = selectors.risk_flag_for_user(user=request.user, pk=pk)
    record_access(request=request, patient_id=flag.patient_id, what="risk flag")
    if not flag.is_open:
        messages.info(request, "This flag was already acknowledged.")
        return redirect("patients:chart", pk=flag.patient_id)
    form = forms.AcknowledgeFlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.risk_flag_acknowledge(
                flag=flag, note=form.cleaned_data["note"], by=request.user
            )
            messages.success(request, "Suicide-risk flag acknowledged.")
            return redirect("patients:chart", pk=flag.patient_id)
    return render(
        request,
        "patients/riskflag_acknowledge.html",
        {"form": form, "flag": flag, "patient": flag.patient},
    )


# --- eligibility ----------------------------------------------------------------------------------


@patient_view(frozenset({roles.MEDICAL_PROVIDER}), what="eligibility")
def eligibility_create(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, what="eligibility", clinical=True)
    intake = selectors.latest_signed_intake(patient)
    form = forms.EligibilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.eligibility_sign(
                patient=patient,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
                override_reason=form.cleaned_data["override_reason"],
                by=request.user,
            )
            messages.success(request, "Eligibility decision signed.")
            return redirect("patients:chart", pk=patient.pk)
    return render(
        request,
        "patients/eligibility_create.html",
        {
            "form": form,
            "patient": patient,
            "intake": intake,
            "screen": _screen_rows(intake) if intake else [],
            "absolute_yes": selectors.absolute_contraindications_present(intake) if intake else [],
            "history": EligibilityDecision.objects.filter(patient=patient).select_related(
                "signed_by"
            ),
        },
    )


# --- consent --------------------------------------------------------------------------------------


@patient_view(roles.CLINICAL, what="consent")
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, what="consent", clinical=True)
    document = selectors.current_consent_document()
    form = forms.ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if document is None:
            form.add_error(None, "No consent document is published yet (ask the clinic admin).")
        else:
            with service_errors(form):
                services.consent_sign(
                    patient=patient,
                    document=document,
                    typed_name=form.cleaned_data["typed_name"],
                    sms_consent=form.cleaned_data["sms_consent"],
                    by=request.user,
                    ip_address=client_ip(request),
                )
                messages.success(request, f"Consent v{document.version} signed.")
                return redirect("patients:chart", pk=patient.pk)
    return render(
        request,
        "patients/consent_create.html",
        {"form": form, "patient": patient, "document": document},
    )


@patient_view(roles.CLINICAL, what="consent", model=Consent)
def consent_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consent = selectors.consent_for_user(user=request.user, pk=pk)
    record_access(request=request, patient_id=consent.patient_id, what="consent")
    form = forms.RevokeConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.consent_revoke(
                consent=consent, note=form.cleaned_data["note"], by=request.user
            )
            messages.success(request, "Consent revoked.")
            return redirect("patients:chart", pk=consent.patient_id)
    current = selectors.current_consent_document()
    return render(
        request,
        "patients/consent_detail.html",
        {
            "consent": consent,
            "patient": consent.patient,
            "form": form,
            "is_current_version": current is not None and current.pk == consent.document_id,
        },
    )


@require_POST
@patient_view(roles.CLINICAL, what="sms consent")
def sms_consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, what="sms consent", clinical=True)
    services.sms_consent_withdraw(patient=patient, by=request.user)
    messages.success(request, "SMS consent withdrawn; text reminders are off.")
    return redirect(reverse("patients:chart", kwargs={"pk": patient.pk}) + "#consent")
