"""The top navigation: one entry per area, shown only to the roles that may use it.

Apps add their entries here as their views arrive; the role sets must match the views' own checks
(the role-matrix test holds them to it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from kap_clinic import roles


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]


NAV: tuple[NavItem, ...] = (
    NavItem("Home", "home", roles.STAFF),
    NavItem("Patients", "patients:list", roles.FRONT_OFFICE),
    NavItem("Schedule", "scheduling:day", roles.FRONT_OFFICE),
    NavItem("Sessions", "sessions:worklist", roles.CLINICAL),
    NavItem("Ledger", "sessions:ledger", frozenset({roles.MEDICAL_PROVIDER})),
    NavItem("Reminders", "scheduling:reminders", roles.FRONT_OFFICE),
    NavItem(
        "Outcomes",
        "records:outcomes",
        frozenset({roles.MEDICAL_PROVIDER, roles.CLINIC_ADMIN}),
    ),
    NavItem("Access log", "access_log", frozenset({roles.CLINIC_ADMIN})),
    NavItem("Admin", "admin:index", frozenset({roles.CLINIC_ADMIN})),
)


def nav_for(request: HttpRequest) -> list[dict[str, object]]:
    mine = roles.roles_of(request.user)
    items = []
    for item in NAV:
        if not (item.roles & mine):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active})
    # Nested areas (/schedule/ and /schedule/reminders/): only the closest match is active.
    matches = [item for item in items if item["active"]]
    if len(matches) > 1:
        closest = max(matches, key=lambda item: len(str(item["url"])))
        for item in matches:
            item["active"] = item is closest
    return items
