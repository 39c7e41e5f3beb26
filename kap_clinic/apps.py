from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.http import HttpRequest

# How many entries the chart's "who viewed this chart" section shows.
CHART_ACCESS_LOG_LIMIT = 15


def chart_access_log_context(request: HttpRequest, patient: Any) -> dict[str, Any]:
    from kap_clinic.audit import recent_access

    return {"access_events": recent_access(patient.pk, limit=CHART_ACCESS_LOG_LIMIT)}


class KapClinicConfig(AppConfig):
    name = "kap_clinic"
    verbose_name = "KAP Clinic"

    def ready(self) -> None:
        from kap_clinic import checks, roles  # noqa: F401 - registers the system checks
        from patients.chart import register_section

        # Providers see who opened the chart (issue 6); the full log is the clinic admin's.
        register_section(
            key="access_log",
            title="Who viewed this chart",
            template="kap_clinic/snippets/access_log.html",
            context=chart_access_log_context,
            order=90,
            roles={roles.MEDICAL_PROVIDER},
        )
