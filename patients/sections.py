"""This app's own sections of the chart, registered through ``patients.chart`` like any
other app's (intake 10, eligibility 15, measures 20, outcomes 25, consent 30)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import formats, timezone

from kap_clinic import roles
from kap_clinic.audit import recent_access
from patients import chart, instruments, selectors
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
    latest = selectors.eligibility_latest(patient)
    intake = selectors.latest_signed_intake(patient)
    # An intake signed after the decision un-signs it (selectors.eligibility_is_signed).
    newer = latest is not None and intake is not None and intake.signed_at > latest.signed_at
    return {
        "latest": latest,
        "has_signed_intake": intake is not None,
        "newer_intake": intake if newer else None,
        "can_sign": roles.has_role(request.user, roles.MEDICAL_PROVIDER),
    }


def measures_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    latest = selectors.latest_measures(patient)
    measures = list(
        selectors.measures_for_chart(patient).order_by("-taken_at", "-id")[: MEASURE_HISTORY + 1]
    )
    return {
        "latest": [
            {"instrument": instrument, "result": latest.get(code)}
            for code, instrument in instruments.INSTRUMENTS.items()
        ],
        "recent": measures[:MEASURE_HISTORY],
        "more": len(measures) > MEASURE_HISTORY,
    }


def outcomes(patient: Patient) -> dict[str, Any] | None:
    """PHQ-9, GAD-7 and PCL-5 over time: the table rows, the markers registered by other
    apps (dosing days) and the data the charts are drawn from (``static/js/outcomes.js``,
    passed with ``json_script``). None when the patient has none of these results."""
    rows = selectors.outcomes_for_chart(patient)
    if not any(row.results for row in rows):
        return None
    markers = chart.outcome_markers(patient)
    # A line needs two points; with fewer the table says it all.
    charted = [row for row in rows if len(row.results) >= 2]
    # Charts of the latest results only (selectors.OUTCOME_POINTS): the markers of their span.
    starts = [row.window_start for row in charted]
    if charted and None not in starts:
        markers = [m for m in markers if m.at >= min(starts)]
    return {
        "rows": rows,
        "markers": markers,
        "charted": charted,
        "chart_data": {
            "timeZone": settings.TIME_ZONE,
            "charts": [_chart_series(row) for row in charted],
            "markers": [{"x": _ms(m.at), "label": m.label} for m in markers],
        },
    }


def _chart_series(row: selectors.OutcomeRow) -> dict[str, Any]:
    return {
        "code": row.instrument.code,
        "name": row.instrument.name,
        "max": row.instrument.max_total,
        "bands": [{"low": b.low, "high": b.high, "label": b.label} for b in row.bands],
        "points": [
            {
                "x": _ms(m.taken_at),
                "y": m.total,
                "baseline": m is row.baseline,
                "label": f"{_day(m.taken_at)}: {m.result_label}"
                + (" (baseline)" if m is row.baseline else ""),
            }
            for m in row.results
        ],
    }


def _ms(at: Any) -> int:
    return int(at.timestamp() * 1000)


def _day(at: Any) -> str:
    return formats.date_format(timezone.localtime(at), "M j, Y")


def outcomes_context(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    found = outcomes(patient)
    return None if found is None else {"outcomes": found}


def consent_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    document = selectors.current_consent_document()
    current = selectors.consent_current(patient)
    return {
        "document": document,
        "current": current,
        "consents": list(selectors.consents_for_chart(patient)),
    }


# How many entries the chart's "who viewed this chart" section shows.
CHART_ACCESS_LOG_LIMIT = 15


def access_log_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    return {"access_events": recent_access(patient.pk, limit=CHART_ACCESS_LOG_LIMIT)}


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
        key="outcomes",
        title="Outcomes",
        template="patients/snippets/chart_outcomes.html",
        context=outcomes_context,
        order=25,
    )
    chart.register_section(
        key="consent",
        title="Consent",
        template="patients/snippets/chart_consent.html",
        context=consent_context,
        order=30,
    )
    # Providers see who opened the chart (issue 6); the full log is the clinic admin's.
    chart.register_section(
        key="access_log",
        title="Who viewed this chart",
        template="kap_clinic/snippets/access_log.html",
        context=access_log_context,
        order=90,
        roles={roles.MEDICAL_PROVIDER},
    )
