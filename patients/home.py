"""The clinician's home-page worklist: suicide-risk results awaiting acknowledgement."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from patients import selectors


def risk_flags_panel(request: HttpRequest) -> dict[str, Any] | None:
    flags = list(selectors.open_risk_flags_for_clinician(request.user)[:50])
    if not flags:
        return None
    return {"risk_flags": flags}
