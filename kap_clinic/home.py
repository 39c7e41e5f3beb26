"""What each role sees on its home page (``/``).

Each entry is a panel: a template under ``templates/`` and a function that returns its context for
the user, or None when the panel is not for them. Apps add their worklists here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from kap_clinic import roles


@dataclass(frozen=True)
class Panel:
    template: str
    roles: frozenset[str]
    context: Callable[[HttpRequest], dict[str, Any]] | None = None


# The areas each role works in, until the apps' worklists fill the page.
AREAS: dict[str, tuple[tuple[str, str], ...]] = {
    roles.FRONT_DESK: (
        ("Patient registry", "Register inquiries and patients, find them, update contacts."),
        ("Schedule", "Book consultations and visits, check patients in, handle cancellations."),
        ("Reminders", "See which reminders went out and which failed."),
    ),
    roles.CLINICIAN: (
        ("Charts", "Intake assessments, measures, consent and the treatment record."),
        ("Dosing sessions", "Preparation checklist, vitals, dissociation, discharge, notes."),
        ("Integration", "Follow-ups within 72 hours of each dosing session."),
    ),
    roles.MEDICAL_PROVIDER: (
        ("Eligibility", "Review intakes and sign eligibility."),
        ("Dosing", "Authorise doses, acknowledge holds, approve overrides."),
        ("Controlled substances", "Receipts, administrations, witnessed waste and counts."),
    ),
    roles.CLINIC_ADMIN: (
        ("Users and roles", "Staff accounts and their groups, in the Django admin."),
        ("Configuration", "Rooms, appointment types, dosing protocols, consent texts."),
        ("Audit", "Who opened which chart, and every change's history."),
    ),
}

PANELS: list[Panel] = []


def panels_for(request: HttpRequest) -> list[dict[str, Any]]:
    mine = roles.roles_of(request.user)
    out = []
    for panel in PANELS:
        if not (panel.roles & mine):
            continue
        context = panel.context(request) if panel.context else {}
        if context is not None:
            out.append({"template": panel.template, **context})
    return out
