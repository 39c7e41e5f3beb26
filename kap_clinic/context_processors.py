from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from kap_clinic import roles
from kap_clinic.navigation import nav_for


def clinic(request: HttpRequest) -> dict[str, Any]:
    """Clinic name, the user's role(s) and the navigation their role may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"clinic_name": settings.CLINIC_NAME, "nav_items": [], "user_roles": frozenset()}
    mine = roles.roles_of(user)
    return {
        "clinic_name": settings.CLINIC_NAME,
        "user_roles": mine,
        "user_role": roles.primary_role(user),
        "is_front_desk": roles.FRONT_DESK in mine,
        "is_clinical": bool(mine & roles.CLINICAL),
        "is_provider": roles.MEDICAL_PROVIDER in mine,
        "is_clinic_admin": roles.CLINIC_ADMIN in mine,
        "nav_items": nav_for(request),
        "idle_timeout_seconds": settings.SESSION_IDLE_TIMEOUT,
    }
