from __future__ import annotations

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from kap_clinic import home, roles
        from patients import chart
        from scheduling import selectors

        panel = home.Panel(
            template="scheduling/snippets/home_arrivals.html",
            roles=roles.FRONT_OFFICE,
            context=selectors.home_arrivals_context,
            order=40,
        )
        if panel not in home.PANELS:
            home.PANELS.append(panel)
        chart.register_front_desk_section(
            key="appointments",
            title="Appointments",
            template="scheduling/snippets/patient_appointments.html",
            context=selectors.patient_section_context,
            order=50,
        )
        chart.register_section(
            key="appointments",
            title="Appointments",
            template="scheduling/snippets/patient_appointments.html",
            context=selectors.patient_section_context,
            order=50,
        )
