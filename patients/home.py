"""Home-page worklists: suicide-risk results to acknowledge (clinical roles), intakes awaiting
an eligibility decision (medical provider)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from patients import selectors
from patients.models import EligibilityDecision
from patients.selfreport import selectors as selfreport_selectors


def risk_flags_panel(request: HttpRequest) -> dict[str, Any] | None:
    flags = list(selectors.open_risk_flags_for_clinician(request.user)[:50])
    if not flags:
        return None
    return {"risk_flags": flags}


# How many waiting intakes the home page lists, longest waiting first.
HOME_ELIGIBILITY = 25


def eligibility_panel(request: HttpRequest) -> dict[str, Any]:
    waiting = list(selectors.awaiting_eligibility()[: HOME_ELIGIBILITY + 1])
    labels = dict(EligibilityDecision.Decision.choices)
    return {
        "rows": [(p, labels.get(p.last_decision, "")) for p in waiting[:HOME_ELIGIBILITY]],
        "more": len(waiting) > HOME_ELIGIBILITY,
    }


def checkins_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Concerning next-day check-ins not yet reviewed (self-harm, distress, "please call me")."""
    checkins = list(selfreport_selectors.open_checkins_for_clinician(request.user)[:50])
    if not checkins:
        return None
    return {"checkins": checkins}
