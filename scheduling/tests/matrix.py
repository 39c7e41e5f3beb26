"""Role-matrix declarations for the scheduling app (format: kap_clinic/tests/matrix_format.md).

Nothing here is clinical: the schedule shows patient name, visit type and status only, so every
front-office role may use it. The patient's signed reminder links need no login at all.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from kap_clinic import roles
from kap_clinic.tests.role_matrix import EVERYONE, Case, Ctx
from patients import services as patient_services
from patients.tests.factories import PatientFactory, UserFactory
from scheduling import links, services
from scheduling.models import Appointment, AppointmentType, Room
from scheduling.tests import group_factories
from scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    RoomFactory,
    clinician_user,
    full_week_hours,
    tomorrow_at,
)


def appointment(ctx: Ctx) -> dict[str, Any]:
    return {"pk": AppointmentFactory().pk}


def dosing_token(purpose: str):
    """URL kwargs: a token for ``purpose`` (each link page takes only its own)."""

    def kwargs(ctx: Ctx) -> dict[str, Any]:
        RoomFactory(name="Matrix infusion", kind=Room.Kind.INFUSION)
        dosing = AppointmentTypeFactory(
            name="Matrix dosing", kind=AppointmentType.Kind.DOSING, room_kind=Room.Kind.INFUSION
        )
        return {"token": links.make_token(AppointmentFactory(type=dosing), purpose)}

    return kwargs


def appointment_patient(ctx: Ctx) -> dict[str, Any]:
    return {"pk": PatientFactory().pk}


def signed_safety_plan(ctx: Ctx) -> dict[str, Any]:
    clinician = ctx.personas["clinician"]
    plan = patient_services.safety_plan_save(
        patient=PatientFactory(), by=clinician, warning_signs="Not sleeping"
    )
    return {"pk": patient_services.safety_plan_sign(plan=plan, by=clinician).pk}


def reminder(ctx: Ctx) -> dict[str, Any]:
    return {"pk": AppointmentFactory().reminders.first().pk}


def booking(ctx: Ctx) -> dict[str, Any]:
    RoomFactory(name="Matrix consult", kind=Room.Kind.CONSULT)
    clinician = clinician_user()
    full_week_hours(clinician)
    start = tomorrow_at(10, days=2)
    return {
        "patient": PatientFactory().pk,
        "type": AppointmentTypeFactory().pk,
        "clinician": clinician.pk,
        "date": start.date().isoformat(),
        "time": "10:00",
    }


# Each persona's meeting at its own time: they share the one group room.
_group_slots = itertools.count(0)


def _group_start():
    return tomorrow_at(7, days=5) + timedelta(hours=2 * next(_group_slots))


def group_meeting(ctx: Ctx) -> dict[str, Any]:
    return {"pk": group_factories.meeting(starts_at=_group_start()).pk}


def group_meeting_started(ctx: Ctx) -> dict[str, Any]:
    meeting, _seats = group_factories.started_meeting(members=[PatientFactory()])
    return {"pk": meeting.pk}


def group_attendance_body(ctx: Ctx) -> dict[str, Any]:
    seat = Appointment.objects.get(group_meeting_id=ctx.kwargs["pk"])
    return {f"seat_{seat.pk}": "present"}


def group_enrol_body(ctx: Ctx) -> dict[str, Any]:
    return {"patient": PatientFactory().pk, "scope": "meeting"}


def group_schedule_body(ctx: Ctx) -> dict[str, Any]:
    kind = group_factories.group_type(name="Matrix circle")
    start = _group_start()
    return {
        "group_type": kind.pk,
        "facilitator": clinician_user().pk,
        "date": start.date().isoformat(),
        "time": start.strftime("%H:%M"),
        "count": 2,
        "interval_days": 7,
        "allow_outside_hours": "on",
    }


def waitlist_entry(ctx: Ctx) -> dict[str, Any]:
    kind = group_factories.group_type(name="Matrix small circle", capacity=2)
    meeting = group_factories.meeting(kind=kind, starts_at=_group_start())
    for _ in range(2):
        services.group_enrol(meeting=meeting, patient=PatientFactory(), by=UserFactory())
    entry = services.group_waitlist_join(
        meeting=meeting, patient=PatientFactory(), by=UserFactory()
    )
    return {"pk": entry.pk}


FRONT_OFFICE = roles.FRONT_OFFICE

MATRIX = {
    "scheduling:day": [
        Case(allowed=FRONT_OFFICE),
        Case(allowed=FRONT_OFFICE, query={"by": "room", "date": "2026-01-05"}),
    ],
    "scheduling:week": Case(allowed=FRONT_OFFICE),
    "scheduling:arrivals": Case(allowed=FRONT_OFFICE),
    "scheduling:appointment_book": [
        Case(allowed=FRONT_OFFICE),
        Case(method="post", allowed=FRONT_OFFICE, data=lambda ctx: booking(ctx)),
    ],
    "scheduling:series_book": [
        Case(allowed=FRONT_OFFICE),
        Case(method="post", allowed=FRONT_OFFICE),
    ],
    "scheduling:next_available": Case(allowed=FRONT_OFFICE),
    # The booking forms' patient picker: the same roles as booking. The PHI-in-logs test puts a
    # patient's name in "q" and runs this lookup.
    "scheduling:patient_picker": [
        Case(allowed=FRONT_OFFICE),
        Case(allowed=FRONT_OFFICE, query={"q": "smith"}),
    ],
    "scheduling:appointment_detail": Case(allowed=FRONT_OFFICE, kwargs=appointment),
    "scheduling:appointment_reschedule": [
        Case(allowed=FRONT_OFFICE, kwargs=appointment),
        Case(method="post", allowed=FRONT_OFFICE, kwargs=appointment),
    ],
    "scheduling:appointment_cancel": [
        Case(allowed=FRONT_OFFICE, kwargs=appointment),
        Case(method="post", allowed=FRONT_OFFICE, kwargs=appointment, data={"reason": "Matrix"}),
    ],
    "scheduling:appointment_check_in": Case(
        method="post", allowed=FRONT_OFFICE, kwargs=appointment
    ),
    "scheduling:appointment_complete": Case(
        method="post", allowed=FRONT_OFFICE, kwargs=appointment
    ),
    "scheduling:appointment_no_show": Case(method="post", allowed=FRONT_OFFICE, kwargs=appointment),
    "scheduling:reminders": Case(allowed=FRONT_OFFICE),
    "scheduling:reminder_retry": Case(method="post", allowed=FRONT_OFFICE, kwargs=reminder),
    # The patient's signed links: anyone holding a valid token (no login).
    "scheduling:link_manage": Case(allowed=EVERYONE, kwargs=dosing_token("manage")),
    "scheduling:link_confirm": [
        Case(allowed=EVERYONE, kwargs=dosing_token("confirm")),
        Case(method="post", allowed=EVERYONE, kwargs=dosing_token("confirm")),
    ],
    "scheduling:link_cancel": [
        Case(allowed=EVERYONE, kwargs=dosing_token("cancel")),
        Case(
            method="post",
            allowed=EVERYONE,
            kwargs=dosing_token("cancel"),
            data={"reason": "Away"},
        ),
    ],
    "scheduling:link_prepare": [
        Case(allowed=EVERYONE, kwargs=dosing_token("prepare")),
        Case(
            method="post",
            allowed=EVERYONE,
            kwargs=dosing_token("prepare"),
            data={"fasting": "on", "escort_name": "Kim", "escort_phone": "+17345550111"},
        ),
    ],
    # Group sessions: roster, capacity, waiting list and attendance status are schedule
    # information for the whole front office; taking attendance is the facilitator's.
    "scheduling:group_list": Case(allowed=FRONT_OFFICE),
    "scheduling:group_schedule": [
        Case(allowed=FRONT_OFFICE),
        Case(method="post", allowed=FRONT_OFFICE, data=group_schedule_body),
    ],
    "scheduling:group_detail": Case(allowed=FRONT_OFFICE, kwargs=group_meeting),
    "scheduling:group_enrol": Case(
        method="post", allowed=FRONT_OFFICE, kwargs=group_meeting, data=group_enrol_body
    ),
    "scheduling:group_waitlist_join": Case(
        method="post", allowed=FRONT_OFFICE, kwargs=group_meeting, data=group_enrol_body
    ),
    "scheduling:group_attendance": [
        Case(allowed=roles.CLINICAL, kwargs=group_meeting_started, clinical=True),
        Case(
            method="post",
            allowed=roles.CLINICAL,
            kwargs=group_meeting_started,
            data=group_attendance_body,
            clinical=True,
        ),
    ],
    "scheduling:group_cancel": [
        Case(allowed=FRONT_OFFICE, kwargs=group_meeting),
        Case(method="post", allowed=FRONT_OFFICE, kwargs=group_meeting, data={"reason": "Ill"}),
    ],
    "scheduling:group_waitlist_enrol": Case(
        method="post", allowed=FRONT_OFFICE, kwargs=waitlist_entry
    ),
    "scheduling:group_waitlist_withdraw": Case(
        method="post", allowed=FRONT_OFFICE, kwargs=waitlist_entry
    ),
    # Self-report: what is sent to a patient, and when, is clinical.
    "scheduling:questionnaire_send": Case(
        method="post",
        allowed=roles.CLINICAL,
        kwargs=appointment_patient,
        data={"instruments": ["phq9"]},
        clinical=True,
    ),
    "scheduling:intake_forms_send": Case(
        method="post", allowed=roles.CLINICAL, kwargs=appointment_patient, clinical=True
    ),
    "scheduling:selfreport_switches": Case(
        method="post",
        allowed=roles.CLINICAL,
        kwargs=appointment_patient,
        data={"before_visits": "on"},
        clinical=True,
    ),
    "scheduling:safety_plan_send": Case(
        method="post", allowed=roles.CLINICAL, kwargs=signed_safety_plan, clinical=True
    ),
    "scheduling:call_list": Case(allowed=FRONT_OFFICE),
}
