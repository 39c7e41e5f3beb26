"""Test data for treatment and the ledger, built through the services so every rule applies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from django.contrib.auth.models import Group, User
from django.utils import timezone

from conftest import PASSWORD
from kap_clinic import roles
from patients import services as patient_services
from patients.models import ConsentDocument, Patient
from patients.tests.factories import (
    CSSRS_NONE,
    PHQ9_MODERATE,
    PatientFactory,
    make_consent_document,
    make_intake,
    make_measure,
)
from scheduling import services as scheduling_services
from scheduling.models import Appointment, AppointmentType, Room
from scheduling.tests.factories import AppointmentTypeFactory, RoomFactory
from sessions import selectors, services
from sessions.models import DosingProtocol, DosingSession, Lot, Registrant, TreatmentCourse

D = Decimal


def protocol(route: str = "iv") -> DosingProtocol:
    return DosingProtocol.objects.get(route=route)


def ready_patient(
    *, by: User, screen: dict[str, str] | None = None, override_reason: str = ""
) -> Patient:
    """Signed intake, signed "eligible" and a current consent: ready for a course.

    ``screen`` sets contraindication answers (the rest are "no"); an absolute "yes" needs the
    provider's ``override_reason`` at eligibility, and ``by`` must then be a medical provider.
    """
    patient = PatientFactory()
    make_intake(patient, by=by, sign=True, screen=screen)
    patient_services.eligibility_sign(
        patient=patient,
        decision="eligible",
        note="Meets criteria.",
        by=by,
        override_reason=override_reason,
    )
    document = ConsentDocument.objects.order_by("-published_at").first() or (
        make_consent_document()
    )
    patient_services.consent_sign(
        patient=patient,
        document=document,
        typed_name=patient.legal_name,
        sms_consent=False,
        by=by,
    )
    return patient


def make_course(
    *, by: User, route: str = "iv", planned: int = 6, patient: Patient | None = None
) -> TreatmentCourse:
    return services.course_start(
        patient=patient or ready_patient(by=by),
        protocol=protocol(route),
        planned_sessions=planned,
        starts_on=timezone.localdate(),
        by=by,
    )


def make_session(*, by: User, course: TreatmentCourse | None = None, **kw) -> DosingSession:
    course = course or make_course(by=by, **kw)
    return services.session_plan(course=course, scheduled_for=timezone.now(), by=by)


def prepare(session: DosingSession, *, by: User, vitals: tuple[int, int] = (122, 78)):
    """Tick the checklist, take today's PHQ-9 and C-SSRS, and a pre-dose reading."""
    patient = session.course.patient
    make_measure(patient, "phq9", PHQ9_MODERATE, by=by)
    make_measure(patient, "cssrs", CSSRS_NONE, by=by)
    services.checklist_update(
        session=session,
        by=by,
        fasting_confirmed=True,
        escort_name="Jamie Doe",
        escort_phone="+1 734 555 0199",
        medications_reviewed=True,
        pregnancy_test="not_applicable",
        intention_set=True,
        contraindications_reconfirmed="nothing_new",
    )
    services.vitals_record(
        session=session, systolic=vitals[0], diastolic=vitals[1], heart_rate=72, spo2=98, by=by
    )
    return DosingSession.objects.get(pk=session.pk)


# A well-formed DEA number (check digit 3): (1 + 3 + 5) + 2 × (2 + 4 + 6) = 33.
DEA_NUMBER = "FK1234563"
SUPPLIER_DEA_NUMBER = "RH1234563"


def make_registrant(**kw) -> Registrant:
    number = kw.pop("dea_number", DEA_NUMBER)
    values = {
        "name": "KAP Clinic Ann Arbor",
        "address": "100 Main Street, Ann Arbor, MI 48104",
        "schedules": "2, 2N, 3, 3N, 4, 5",
        "expires_on": timezone.localdate() + dt.timedelta(days=700),
    }
    values.update(kw)
    registrant, _ = Registrant.objects.get_or_create(dea_number=number, defaults=values)
    return registrant


def ledger_witness() -> User:
    """A clinician who witnesses ledger entries in tests (password ``PASSWORD``)."""
    user, created = User.objects.get_or_create(
        username="ledger_witness", defaults={"first_name": "Wanda", "last_name": "Witness"}
    )
    if created:
        user.set_password(PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=roles.CLINICIAN))
    return user


def witnessed(**kw) -> dict:
    """Witness arguments for a ledger service call."""
    return {"witness": kw.get("witness") or ledger_witness(), "witness_password": PASSWORD}


def make_lot(*, by: User, number: str = "KET-001", vials: int = 10, **kw) -> Lot:
    values = {
        "registrant": kw.pop("registrant", None) or make_registrant(),
        "ndc": "0143-9508-10",
        "supplier_dea_number": SUPPLIER_DEA_NUMBER,
        "invoice_number": "INV-1001",
        **witnessed(),
        "supplier": "Hospira",
        "concentration_mg_per_ml": D("50"),
        "vial_volume_ml": D("10"),
        "vial_count": vials,
        "expires_on": timezone.localdate() + dt.timedelta(days=365),
    }
    values.update(kw)
    return services.lot_receive(lot_number=number, by=by, **values)


def dose(
    session: DosingSession, *, by: User, lot: Lot, provider: User, weight="70", rate="0.5", **kw
) -> DosingSession:
    return services.dose_record(
        session=session,
        weight_kg=D(weight),
        mg_per_kg=D(rate),
        lot=lot,
        administered_by=by,
        supervising_provider=provider,
        by=kw.pop("recorded_by", by),
        **kw,
    )


VISIT_ROOMS = {
    AppointmentType.Kind.DOSING: Room.Kind.INFUSION,
    AppointmentType.Kind.INTEGRATION: Room.Kind.THERAPY,
    AppointmentType.Kind.CONSULTATION: Room.Kind.CONSULT,
}


def book_visit(
    patient: Patient, *, by: User, starts_at: dt.datetime, kind: str = "dosing"
) -> Appointment:
    """A booked visit of ``kind`` through the scheduling service (one room per kind)."""
    room_kind = VISIT_ROOMS[kind]
    RoomFactory(name=f"Test {room_kind}", kind=room_kind)
    visit_type = AppointmentTypeFactory(
        name=f"Test {kind}", kind=kind, duration_minutes=60, room_kind=room_kind
    )
    return scheduling_services.appointment_book(
        patient=patient,
        type=visit_type,
        clinician=by,
        starts_at=starts_at,
        by=by,
        allow_outside_hours=True,
    )


def plan_booked_session(course: TreatmentCourse, *, by: User, starts_at: dt.datetime):
    """A dosing visit booked and a session planned on it."""
    visit = book_visit(course.patient, by=by, starts_at=starts_at)
    return services.session_plan(course=course, appointment=visit, by=by)


def discharge(
    session: DosingSession, *, by: User, at: dt.datetime | None = None, **kw
) -> DosingSession:
    """Discharge at ``at`` (default: the end of the minimum observation), with the clock there
    and a calm reading five minutes before, the Aldrete items at 2 unless given."""
    session = DosingSession.objects.get(pk=session.pk)
    at = at or session.observed_until
    with time_machine.travel(at + dt.timedelta(seconds=30), tick=False):
        if kw.pop("reading", True):
            services.vitals_record(
                session=session,
                systolic=120,
                diastolic=78,
                heart_rate=70,
                spo2=98,
                by=by,
                taken_at=at - dt.timedelta(minutes=5),
            )
        args = {
            "criteria": dict.fromkeys(services.DISCHARGE_CRITERIA, True),
            "escort_name": "Jamie Doe",
            "activity": 2,
            "respiration": 2,
            "consciousness": 2,
        }
        args.update(kw)
        return services.session_discharge(session=session, by=by, at=at, **args)


def override_open_items(session: DosingSession, *, by: User, reason: str) -> DosingSession:
    """A provider overrides every open checklist item that may be overridden, one by one."""
    for item in selectors.checklist_items(session):
        if item.blocks and item.overridable and not item.hard_stop:
            services.checklist_override(session=session, item=item.key, reason=reason, by=by)
    return DosingSession.objects.get(pk=session.pk)
