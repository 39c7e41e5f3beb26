from __future__ import annotations

from typing import Any

from django.core.checks import Error, register


@register()
def check_mfa_required_roles(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from kap_clinic import roles
    from kap_clinic.mfa import unknown_role_names

    unknown = unknown_role_names()
    if not unknown:
        return []
    return [
        Error(
            f"MFA_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}.",
            hint=f'Use "all", "none" or a comma-separated list of: {", ".join(roles.ALL_ROLES)}.',
            id="kap_clinic.E001",
        )
    ]
