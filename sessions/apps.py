from __future__ import annotations

from django.apps import AppConfig


class SessionsConfig(AppConfig):
    # django.contrib.sessions already owns the label "sessions".
    name = "sessions"
    label = "clinic_sessions"
    verbose_name = "Ketamine sessions"

    def ready(self) -> None:
        from kap_clinic import roles
        from kap_clinic.home import PANELS, Panel
        from patients.chart import register_outcome_markers, register_section
        from scheduling import hooks
        from sessions import panels, services
        from sessions.records import panels as record_panels
        from sessions.records import parts as record_parts

        # A planned session takes its booked visit's new time when the visit is rescheduled.
        hooks.appointment_rescheduled.register(services.session_follow_appointment)

        register_section(
            key="treatment",
            title="Treatment",
            template="sessions/snippets/chart_treatment.html",
            context=panels.chart_treatment,
            order=40,
            roles=roles.CLINICAL,
        )
        # The parts of a patient's exported record (sessions.records.registry).
        record_parts.register()
        register_section(
            key="records",
            title="Record export",
            template="sessions/records/snippets/chart_records.html",
            context=record_panels.chart_records,
            order=95,
            roles=roles.CLINICAL,
        )
        # Dosing days on the patients app's outcome charts, so that app never imports this one.
        register_outcome_markers(key="dosing", markers=panels.outcome_markers)
        for panel in (
            Panel(
                "sessions/snippets/home_holds.html",
                frozenset({roles.MEDICAL_PROVIDER}),
                panels.home_holds,
                order=20,
            ),
            Panel(
                "sessions/snippets/home_sessions_today.html",
                roles.CLINICAL,
                panels.home_sessions_today,
                order=50,
            ),
            Panel(
                "sessions/snippets/home_integration.html",
                roles.CLINICAL,
                panels.home_integration,
                order=60,
            ),
        ):
            if panel not in PANELS:
                PANELS.append(panel)
