"""Role-matrix declarations for the sessions app (format: kap_clinic/tests/matrix_format.md).

Front desk, clinic admin and outsiders get 403 everywhere here; the ledger's entries and writes
are for medical providers, its balances for clinical roles.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from kap_clinic import roles
from kap_clinic.tests.role_matrix import PROVIDER, Case, Ctx
from patients.tests.factories import PatientFactory
from scheduling import services as scheduling
from scheduling.tests.group_factories import started_meeting
from sessions import services
from sessions.models import GroupNote
from sessions.tests.factories import (
    dose,
    make_course,
    make_lot,
    make_registrant,
    make_session,
    prepare,
    witnessed,
)
from sessions.tests.records_matrix import RECORDS_MATRIX

_lot_numbers = itertools.count(1)
PROVIDERS = frozenset({roles.MEDICAL_PROVIDER})


def _staff(ctx: Ctx):
    return ctx.personas[PROVIDER]


def patient(ctx: Ctx) -> dict[str, Any]:
    return {"patient_pk": PatientFactory().pk}


def course(ctx: Ctx) -> dict[str, Any]:
    return {"pk": make_course(by=_staff(ctx)).pk}


def session(ctx: Ctx) -> dict[str, Any]:
    return {"pk": make_session(by=_staff(ctx)).pk}


def hold(ctx: Ctx) -> dict[str, Any]:
    planned = make_session(by=_staff(ctx))
    reading = services.vitals_record(
        session=planned, systolic=150, diastolic=95, heart_rate=80, spo2=98, by=_staff(ctx)
    )
    return {"pk": reading.pk}


def alert(ctx: Ctx) -> dict[str, Any]:
    """A reading during the dose with SpO₂ 88: an open alert."""
    staff = _staff(ctx)
    dosed = dose(
        prepare(make_session(by=staff), by=staff),
        by=staff,
        lot=make_lot(by=staff, number=f"A-{next(_lot_numbers)}"),
        provider=staff,
    )
    reading = services.vitals_record(
        session=dosed, systolic=130, diastolic=80, heart_rate=80, spo2=88, by=staff
    )
    return {"pk": reading.pk}


def lot(ctx: Ctx) -> dict[str, Any]:
    return {"pk": make_lot(by=_staff(ctx), number=f"M-{next(_lot_numbers)}").pk}


def discrepancy(ctx: Ctx) -> dict[str, Any]:
    found = make_lot(by=_staff(ctx), number=f"M-{next(_lot_numbers)}")
    count = services.ledger_count(
        lot=found, counted_mg=found.received_mg - 50, by=_staff(ctx), **witnessed()
    )
    return {"pk": count.discrepancy.pk}


def inventory(ctx: Ctx) -> dict[str, Any]:
    registrant = make_registrant(dea_number="BM1234563", name="Second site")
    taken = registrant.inventories.first() or services.inventory_take(
        registrant=registrant,
        kind="initial",
        taken_on=timezone.localdate(),
        as_of="opening",
        counts={},
        by=_staff(ctx),
    )
    return {"pk": taken.pk}


def vitals_body(ctx: Ctx) -> dict[str, Any]:
    return {"systolic": 120, "diastolic": 80, "heart_rate": 70, "spo2": 98}


def reason(ctx: Ctx) -> dict[str, Any]:
    return {"reason": "Matrix check"}


def clinical_get(kwargs=None, **kw) -> Case:
    return Case(allowed=roles.CLINICAL, kwargs=kwargs, clinical=True, **kw)


def group_meeting(ctx: Ctx) -> dict[str, Any]:
    meeting, _seats = started_meeting(members=[PatientFactory()])
    return {"meeting_pk": meeting.pk}


def group_meeting_noted(ctx: Ctx) -> dict[str, Any]:
    meeting, seats = started_meeting(members=[PatientFactory()])
    scheduling.group_attendance_record(
        meeting=meeting, statuses={seats[0].pk: "present"}, by=_staff(ctx)
    )
    services.group_note_save(
        meeting=meeting, themes="Shared themes", practices="", private={}, by=_staff(ctx)
    )
    return {"meeting_pk": meeting.pk}


def group_meeting_signed(ctx: Ctx) -> dict[str, Any]:
    kwargs = group_meeting_noted(ctx)
    note = GroupNote.objects.get(meeting_id=kwargs["meeting_pk"])
    services.group_note_sign(note=note, by=_staff(ctx))
    return kwargs


def clinical_post(kwargs, data=None) -> Case:
    return Case(method="post", allowed=roles.CLINICAL, kwargs=kwargs, data=data, clinical=True)


MATRIX = {
    "sessions:worklist": clinical_get(),
    "sessions:course_create": [clinical_get(patient), clinical_post(patient)],
    "sessions:course_detail": [clinical_get(course), clinical_post(course)],
    "sessions:course_stop": clinical_post(course, reason),
    "sessions:session_detail": clinical_get(session),
    "sessions:session_link_appointment": clinical_post(session),
    # POST-only actions: an empty or invalid body re-shows the page with errors (400), which is
    # ALLOWED; roles without access get 403 before anything is read.
    "sessions:checklist_update": clinical_post(session),
    "sessions:checklist_override": Case(
        method="post",
        allowed=PROVIDERS,
        kwargs=session,
        data={"item": "fasting", "reason": "Matrix check"},
        clinical=True,
        # A clinician may open the form's page but the service refuses the override: 403.
    ),
    "sessions:vitals_add": clinical_post(session, vitals_body),
    "sessions:hold_acknowledge": Case(
        method="post", allowed=PROVIDERS, kwargs=hold, data=reason, clinical=True
    ),
    "sessions:dose_preview": clinical_post(
        session, {"weight": "70", "weight_unit": "kg", "mg_per_kg": "0.5"}
    ),
    "sessions:vitals_live": clinical_get(session),
    "sessions:screens_review": clinical_post(session, reason),
    "sessions:alert_acknowledge": clinical_post(alert, reason),
    "sessions:dose_record": clinical_post(session),
    "sessions:dose_end": clinical_post(session),
    "sessions:adverse_event_add": clinical_post(session),
    "sessions:cadss_record": clinical_post(session),
    "sessions:discharge": clinical_post(session),
    "sessions:session_abort": clinical_post(session, reason),
    "sessions:note_save": clinical_post(session, {"note": "Draft"}),
    "sessions:addendum_add": clinical_post(session, {"text": "Later"}),
    "sessions:follow_up_create": [clinical_get(session), clinical_post(session)],
    "sessions:ledger": [
        clinical_get(),
        Case(method="post", allowed=PROVIDERS, clinical=True),
    ],
    "sessions:lot_detail": [
        Case(allowed=PROVIDERS, kwargs=lot, clinical=True),
        Case(method="post", allowed=PROVIDERS, kwargs=lot, data={"action": "count"}, clinical=True),
    ],
    "sessions:inventory": Case(allowed=PROVIDERS, clinical=True),
    # The group note: clinical content (every member's private part) for clinical roles only.
    "sessions:group_note": [
        clinical_get(group_meeting),
        clinical_post(group_meeting, {"themes": "Shared", "practices": ""}),
    ],
    "sessions:group_note_sign": clinical_post(group_meeting_noted),
    "sessions:group_note_addendum": clinical_post(group_meeting_signed, {"text": "Later"}),
    "sessions:lot_destroy": [
        Case(allowed=PROVIDERS, kwargs=lot, clinical=True),
        Case(method="post", allowed=PROVIDERS, kwargs=lot, clinical=True),
    ],
    "sessions:discrepancy_detail": [
        Case(allowed=PROVIDERS, kwargs=discrepancy, clinical=True),
        Case(
            method="post",
            allowed=PROVIDERS,
            kwargs=discrepancy,
            data={"action": "loss"},
            clinical=True,
        ),
    ],
    "sessions:inventories": Case(allowed=PROVIDERS, clinical=True),
    "sessions:inventory_take": [
        Case(allowed=PROVIDERS, clinical=True),
        Case(method="post", allowed=PROVIDERS, clinical=True),
    ],
    "sessions:inventory_detail": Case(allowed=PROVIDERS, kwargs=inventory, clinical=True),
    "sessions:ledger_report": Case(allowed=PROVIDERS, clinical=True),
    "sessions:ledger_report_csv": Case(
        allowed=PROVIDERS,
        kwargs=lambda ctx: {"part": "reconciliation"},
        clinical=True,
    ),
}

# Records out (sessions.records, namespace "records"): exports, outcomes, research export.
MATRIX.update(RECORDS_MATRIX)
