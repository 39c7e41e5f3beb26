from __future__ import annotations

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from kap_clinic import home, roles
        from patients import chart, hooks
        from scheduling import selectors, services

        # A contact change in the registry re-plans the upcoming visits' reminders.
        hooks.reminder_details_changed.register(services.reminders_replan_for_patient)
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
