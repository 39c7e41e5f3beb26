from __future__ import annotations

from django.apps import AppConfig


class KapClinicConfig(AppConfig):
    name = "kap_clinic"
    verbose_name = "KAP Clinic"

    def ready(self) -> None:
        from kap_clinic import checks, roles  # noqa: F401 - registers the system checks
