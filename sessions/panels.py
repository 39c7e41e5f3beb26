"""Contexts for the chart's treatment section and the home-page worklists."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kap_clinic import roles
from sessions import selectors


def chart_treatment(request: HttpRequest, patient: Any) -> dict[str, Any]:
    return {"courses": selectors.treatment_for_chart(patient)}


def home_integration(request: HttpRequest) -> dict[str, Any] | None:
    """The clinician's integration follow-ups due or overdue (72 h after a dose)."""
    if not roles.has_role(request.user, roles.CLINICIAN):
        return None
    return {"rows": selectors.integration_worklist(user=request.user)}


def home_holds(request: HttpRequest) -> dict[str, Any]:
    return {"holds": selectors.pending_holds()}
