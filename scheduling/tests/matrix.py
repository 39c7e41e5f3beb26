"""Role-matrix declarations for the scheduling app (format: kap_clinic/tests/matrix_format.md).

Nothing here is clinical: the schedule shows patient name, visit type and status only, so every
front-office role may use it. The patient's signed reminder links need no login at all.
"""

from __future__ import annotations

from typing import Any

from kap_clinic import roles
from kap_clinic.tests.role_matrix import EVERYONE, Case, Ctx
from patients.tests.factories import PatientFactory
from scheduling import links
from scheduling.models import AppointmentType, Room
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
}
