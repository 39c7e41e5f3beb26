from __future__ import annotations

from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from kap_clinic import roles
        from kap_clinic.home import PANELS, Panel
        from patients import sections
        from patients.home import checkins_panel, eligibility_panel, risk_flags_panel

        sections.register()
        for panel in (
            Panel(
                template="patients/snippets/home_risk_flags.html",
                roles=roles.CLINICAL,
                context=risk_flags_panel,
                order=10,
            ),
            Panel(
                template="patients/snippets/home_checkins.html",
                roles=roles.CLINICAL,
                context=checkins_panel,
                order=12,
            ),
            Panel(
                template="patients/snippets/home_eligibility.html",
                roles=frozenset({roles.MEDICAL_PROVIDER}),
                context=eligibility_panel,
                order=30,
            ),
        ):
            if panel not in PANELS:
                PANELS.append(panel)
