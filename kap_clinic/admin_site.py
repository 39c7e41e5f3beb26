"""The Django admin site, requiring a verified second factor when ``MFA_ADMIN_REQUIRED``.

``MFARequiredMiddleware`` sends an unverified user to the verification page first; this check is
the second wall, so the admin stays closed even if the middleware were removed from settings.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class ClinicAdminSite(admin.AdminSite):
    site_header = "KAP Clinic administration"
    site_title = "KAP Clinic admin"

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if settings.MFA_ADMIN_REQUIRED:
            return bool(getattr(request.user, "is_verified", lambda: False)())
        return True


class ClinicAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``ClinicAdminSite`` as ``admin.site``."""

    default_site = "kap_clinic.admin_site.ClinicAdminSite"
