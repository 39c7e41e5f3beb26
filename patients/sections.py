"""This app's own sections of the chart, registered through ``patients.chart`` like any
other app's (intake 10, eligibility 15, measures 20, consent 30)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kap_clinic import roles
from patients import chart, instruments, selectors, services
from patients.models import Intake, Patient

MEASURE_HISTORY = 12


def intake_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    intakes = list(
        Intake.objects.filter(patient_id=patient.pk)
        .select_related("created_by", "signed_by")
        .order_by("-created_at", "-id")
    )
    return {
        "intakes": intakes,
        "has_draft": any(not intake.is_signed for intake in intakes),
    }


def eligibility_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    return {
        "latest": selectors.eligibility_latest(patient),
        "has_signed_intake": selectors.latest_signed_intake(patient) is not None,
        "can_sign": roles.has_role(request.user, roles.MEDICAL_PROVIDER),
    }


def measures_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    measures = list(selectors.measures_for_chart(patient).order_by("-taken_at", "-id"))
    latest: dict[str, Any] = {}
    for measure in measures:
        latest.setdefault(measure.code, measure)
    return {
        "latest": [
            {"instrument": instrument, "result": latest.get(code)}
            for code, instrument in instruments.INSTRUMENTS.items()
        ],
        "recent": measures[:MEASURE_HISTORY],
        "more": len(measures) > MEASURE_HISTORY,
    }


def consent_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    document = services.current_consent_document()
    current = selectors.consent_current(patient)
    return {
        "document": document,
        "current": current,
        "consents": list(selectors.consents_for_chart(patient)),
    }


def register() -> None:
    chart.register_section(
        key="intake",
        title="Intake assessment",
        template="patients/snippets/chart_intake.html",
        context=intake_context,
        order=10,
    )
    chart.register_section(
        key="eligibility",
        title="Eligibility",
        template="patients/snippets/chart_eligibility.html",
        context=eligibility_context,
        order=15,
    )
    chart.register_section(
        key="measures",
        title="Measures",
        template="patients/snippets/chart_measures.html",
        context=measures_context,
        order=20,
    )
    chart.register_section(
        key="consent",
        title="Consent",
        template="patients/snippets/chart_consent.html",
        context=consent_context,
        order=30,
    )
