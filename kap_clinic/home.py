"""What each role sees on its home page (``/``).

Each entry of PANELS is a worklist: a template under ``templates/`` and a function that returns its
context for the user, or None when the panel is not for them. Apps add theirs in their
``AppConfig.ready``. Below the panels, AREAS: a card per area of the role's work, linking to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from kap_clinic import roles


@dataclass(frozen=True)
class Panel:
    template: str
    roles: frozenset[str]
    context: Callable[[HttpRequest], dict[str, Any] | None] | None = None
    # Lower first: what cannot wait (risk flags, holds) above the day's lists.
    order: int = 100


@dataclass(frozen=True)
class Area:
    """A card at the foot of the home page, linking to the page where that work is done."""

    title: str
    description: str
    url_name: str
    fragment: str = ""


# The areas each role works in. Each card links to a page the role may open: a test asks every
# link on every role's home page for a 200, so a card cannot point at a page that refuses them.
AREAS: dict[str, tuple[Area, ...]] = {
    roles.FRONT_DESK: (
        Area(
            "Patient registry",
            "Register inquiries and patients, find them, update contacts.",
            "patients:list",
        ),
        Area(
            "Schedule",
            "Book consultations and visits, reschedule, handle cancellations.",
            "scheduling:day",
        ),
        Area("Arrivals", "Today's visits in order: check patients in.", "scheduling:arrivals"),
        Area("Reminders", "See which reminders went out and which failed.", "scheduling:reminders"),
    ),
    roles.CLINICIAN: (
        Area(
            "Charts",
            "Intake assessments, measures, consent and the treatment record.",
            "patients:list",
        ),
        Area(
            "Dosing sessions",
            "Preparation checklist, vitals, dissociation, discharge, notes.",
            "sessions:worklist",
        ),
        Area(
            "Integration",
            "Follow-ups within 72 hours of each dosing session.",
            "sessions:worklist",
            "integration",
        ),
        Area("Schedule", "Your visits and the rooms, day by day.", "scheduling:day"),
    ),
    roles.MEDICAL_PROVIDER: (
        Area("Eligibility", "Review intakes and sign eligibility.", "patients:list"),
        Area(
            "Dosing",
            "Authorise doses, acknowledge holds, approve overrides.",
            "sessions:worklist",
        ),
        Area(
            "Controlled substances",
            "Receipts, administrations, witnessed waste and counts.",
            "sessions:ledger",
        ),
    ),
    roles.CLINIC_ADMIN: (
        Area(
            "Users and roles",
            "Staff accounts and their groups, in the Django admin.",
            "admin:auth_user_changelist",
        ),
        Area(
            "Configuration",
            "Rooms, appointment types, dosing protocols, consent texts.",
            "admin:index",
        ),
        Area("Audit", "Who opened which chart, and every change's history.", "access_log"),
    ),
}


def areas_for(user: Any) -> list[tuple[str, list[dict[str, str]]]]:
    """The area cards of each of the user's roles, main role first, with their links."""
    mine = roles.roles_of(user)
    return [
        (
            role,
            [
                {
                    "title": area.title,
                    "description": area.description,
                    "url": reverse(area.url_name) + (f"#{area.fragment}" if area.fragment else ""),
                }
                for area in AREAS[role]
            ],
        )
        for role in roles.ROLE_ORDER
        if role in mine
    ]


PANELS: list[Panel] = []


def panels_for(request: HttpRequest) -> list[dict[str, Any]]:
    mine = roles.roles_of(request.user)
    out = []
    for panel in sorted(PANELS, key=lambda panel: panel.order):
        if not (panel.roles & mine):
            continue
        context = panel.context(request) if panel.context else {}
        if context is not None:
            out.append({"template": panel.template, **context})
    return out
