"""Contexts for the chart's treatment section and the home-page worklists."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kap_clinic import roles
from patients.chart import OutcomeMarker
from sessions import ledger_selectors, selectors

# The newest courses the chart shows session by session; older ones are a line each, linking to
# their course page (issue 15: a chart as quick with 27 courses as with one).
CHART_FULL_COURSES = 2


def chart_treatment(request: HttpRequest, patient: Any) -> dict[str, Any]:
    return {"courses": selectors.treatment_for_chart(patient, full=CHART_FULL_COURSES)}


def outcome_markers(patient: Any) -> list[OutcomeMarker]:
    """Each dose given, for the outcome charts: did the scores move after the sessions?"""
    return [
        OutcomeMarker(at=session.dose_started_at, label=f"Session {session.number}")
        for session in selectors.dosed_sessions(patient)
    ]


# How many sessions the home page lists; the sessions page has them all.
HOME_SESSIONS = 15


def home_sessions_today(request: HttpRequest) -> dict[str, Any]:
    """Today's dosing sessions, and earlier ones still open (in progress, note unsigned)."""
    sessions = list(selectors.sessions_worklist()[: HOME_SESSIONS + 1])
    return {"sessions": sessions[:HOME_SESSIONS], "more": len(sessions) > HOME_SESSIONS}


def home_integration(request: HttpRequest) -> dict[str, Any] | None:
    """The clinician's integration follow-ups due or overdue (72 h after a dose)."""
    if not roles.has_role(request.user, roles.CLINICIAN):
        return None
    return {"rows": selectors.integration_worklist(user=request.user)}


def home_holds(request: HttpRequest) -> dict[str, Any]:
    return {
        "holds": selectors.pending_holds(),
        "alerts": selectors.open_alerts(),
        "findings": selectors.pending_contraindication_findings(),
    }


def home_ledger(request: HttpRequest) -> dict[str, Any]:
    """The controlled-substance worklist: open discrepancies and their DEA dates, expired stock
    to destroy, the registration's expiry, and the next inventory."""
    return {"worklist": ledger_selectors.ledger_worklist()}
