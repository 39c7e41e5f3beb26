from __future__ import annotations

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from kap_clinic import home, roles
        from patients import chart, hooks
        from scheduling import group_selectors, selectors, selfreport_views, services

        # A contact change in the registry re-plans the upcoming visits' reminders.
        hooks.reminder_details_changed.register(services.reminders_replan_for_patient)
        hooks.reminder_details_changed.register(services.patient_messages_replan_for_patient)
        panel = home.Panel(
            template="scheduling/snippets/home_arrivals.html",
            roles=roles.FRONT_OFFICE,
            context=selectors.home_arrivals_context,
            order=40,
        )
        # A freed group place: the first on that meeting's waiting list is offered it.
        offers = home.Panel(
            template="scheduling/groups/home_offers.html",
            roles=frozenset({roles.FRONT_DESK}),
            context=group_selectors.home_offers_context,
            order=35,
        )
        for entry in (panel, offers):
            if entry not in home.PANELS:
                home.PANELS.append(entry)
        chart.register_front_desk_section(
            key="groups",
            title="Groups",
            template="scheduling/groups/patient_groups.html",
            context=group_selectors.patient_section_context,
            order=55,
        )
        call_list = home.Panel(
            template="scheduling/snippets/home_call_list.html",
            roles=roles.FRONT_OFFICE,
            context=selfreport_views.call_list_panel,
            order=45,
        )
        if call_list not in home.PANELS:
            home.PANELS.append(call_list)
        chart.register_section(
            key="self_report",
            title="Self-report",
            template="scheduling/snippets/chart_self_report.html",
            context=selfreport_views.section_context,
            order=22,
            roles=roles.CLINICAL,
        )
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
