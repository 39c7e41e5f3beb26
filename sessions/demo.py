"""The demo clinic's treatment record: a ketamine lot, and a patient in an IV course with three
completed, signed sessions (vitals every 15 minutes, CADSS-6, discharge), two integration
follow-ups, one follow-up overdue, and the next session planned for today.

Idempotent: the lot is found by its number and the patient by name and date of birth; a patient
who already has a course is left as it is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction

from patients import contraindications
from patients import services as patient_services
from patients.models import ConsentDocument, Patient
from sessions import services
from sessions.models import DosingProtocol, Lot, TreatmentCourse

LOT_NUMBER = "DEMO-KET-0426"
PATIENT = {"legal_first_name": "Robin", "legal_last_name": "Ellery"}
DOB = dt.date(1984, 3, 9)
WEIGHT = Decimal("72.4")

_INTAKE = {
    "diagnoses": "Major depressive disorder, recurrent, severe without psychotic features",
    "prior_treatments": "Sertraline, venlafaxine, bupropion augmentation; CBT two years",
    "failed_antidepressant_trials": 3,
    "hospitalisations": "None",
    "substance_use": "Alcohol 2-3 drinks a week",
    "medical_history": "None significant",
    "medications": "Bupropion XL 300 mg",
    "allergies": "None known",
    "bp_systolic": 124,
    "bp_diastolic": 78,
    "heart_rate": 72,
    "spo2": 98,
    "weight_kg": WEIGHT,
    "height_cm": Decimal("171.0"),
}
_PHQ9 = ([3, 3, 2, 2, 2, 2, 1, 1, 0], [2, 2, 2, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1, 0, 0, 0])
_CSSRS_NONE = {"q1": False, "q2": False, "q6": False}


@transaction.atomic
def seed(*, staff: dict[str, User], now: dt.datetime) -> None:
    provider, clinician, nurse = staff["provider"], staff["clinician"], staff["nurse"]
    lot = Lot.objects.filter(lot_number=LOT_NUMBER).first() or services.lot_receive(
        lot_number=LOT_NUMBER,
        supplier="Hikma Pharmaceuticals",
        concentration_mg_per_ml=Decimal("50"),
        vial_volume_ml=Decimal("10"),
        vial_count=10,
        expires_on=(now + dt.timedelta(days=400)).date(),
        received_at=now - dt.timedelta(days=30),
        by=provider,
    )
    patient = Patient.objects.filter(**PATIENT, date_of_birth=DOB).first()
    if patient is None:
        patient = _eligible_patient(now=now, provider=provider, clinician=clinician)
    if TreatmentCourse.objects.filter(patient=patient).exists():
        return
    course = services.course_start(
        patient=patient,
        protocol=DosingProtocol.objects.get(route="iv"),
        planned_sessions=6,
        starts_on=(now - dt.timedelta(days=10)).date(),
        by=clinician,
    )
    for number, days_ago in enumerate((10, 7, 4)):
        _completed_session(
            course=course,
            start=(now - dt.timedelta(days=days_ago)).replace(hour=14, minute=0),
            phq9=_PHQ9[number],
            follow_up=days_ago > 4,  # the last one's follow-up is overdue on the home page
            lot=lot,
            clinician=clinician,
            nurse=nurse,
            provider=provider,
        )
    services.session_plan(course=course, scheduled_for=now + dt.timedelta(hours=1), by=nurse)


def _eligible_patient(*, now: dt.datetime, provider: User, clinician: User) -> Patient:
    patient = patient_services.patient_create(
        by=clinician,
        **PATIENT,
        date_of_birth=DOB,
        email="robin.ellery@example.org",
        primary_clinician=clinician,
    )
    intake = patient_services.intake_start(patient=patient, by=clinician)
    screen = {c.code: contraindications.NO for c in contraindications.CONTRAINDICATIONS}
    intake = patient_services.intake_update(intake=intake, by=clinician, screen=screen, **_INTAKE)
    for code, answers in (
        ("phq9", _PHQ9[0]),
        ("gad7", [2, 2, 1, 1, 1, 1, 1]),
        ("pcl5", [1] * 20),
        ("cssrs", _CSSRS_NONE),
    ):
        patient_services.measure_record(
            patient=patient, code=code, answers=answers, by=clinician, intake=intake
        )
    patient_services.intake_sign(intake=intake, by=clinician)
    patient_services.eligibility_sign(
        patient=patient, decision="eligible", note="TRD, no contraindications.", by=provider
    )
    document = ConsentDocument.objects.order_by("-published_at", "-id").first()
    if document is None or document.published_at is None or document.published_at > now:
        document = ConsentDocument.objects.create(
            version="demo-1",
            body="I understand the risks and benefits of ketamine-assisted psychotherapy.",
            published_at=now - dt.timedelta(days=60),
        )
    patient_services.consent_sign(
        patient=patient,
        document=document,
        typed_name=patient.legal_name,
        sms_consent=False,
        by=clinician,
    )
    return patient


def _completed_session(*, course, start, phq9, follow_up, lot, clinician, nurse, provider):
    patient = course.patient
    session = services.session_plan(course=course, scheduled_for=start, by=nurse)
    before = start - dt.timedelta(minutes=20)
    patient_services.measure_record(
        patient=patient, code="phq9", answers=phq9, by=clinician, taken_at=before
    )
    patient_services.measure_record(
        patient=patient, code="cssrs", answers=_CSSRS_NONE, by=clinician, taken_at=before
    )
    services.checklist_update(
        session=session,
        by=nurse,
        fasting_confirmed=True,
        escort_name="Sam Ellery",
        escort_phone="+1 734 555 0142",
        medications_reviewed=True,
        pregnancy_test="not_applicable",
        intention_set=True,
        contraindications_reconfirmed="nothing_new",
    )
    services.vitals_record(
        session=session,
        systolic=126,
        diastolic=80,
        heart_rate=74,
        spo2=98,
        by=nurse,
        taken_at=start - dt.timedelta(minutes=5),
    )
    services.dose_record(
        session=session,
        weight_kg=WEIGHT,
        mg_per_kg=Decimal("0.5"),
        lot=lot,
        administered_by=nurse,
        supervising_provider=provider,
        by=nurse,
        started_at=start,
    )
    readings = ((138, 86, 88), (142, 88, 90), (136, 84, 84), (130, 82, 80), (126, 80, 76))
    for i, (systolic, diastolic, hr) in enumerate(readings, start=1):
        if i == 3:
            services.dose_end(session=session, by=nurse, ended_at=start + dt.timedelta(minutes=40))
        services.vitals_record(
            session=session,
            systolic=systolic,
            diastolic=diastolic,
            heart_rate=hr,
            spo2=97,
            by=nurse,
            taken_at=start + dt.timedelta(minutes=15 * i),
        )
    services.cadss_record(
        session=session,
        answers=[2, 2, 1, 1, 2, 0],
        by=clinician,
        taken_at=start + dt.timedelta(minutes=50),
    )
    services.session_discharge(
        session=session,
        criteria=dict.fromkeys(services.DISCHARGE_CRITERIA, True),
        escort_name="Sam Ellery",
        by=nurse,
        at=start + dt.timedelta(minutes=105),
    )
    services.note_save(
        session=session,
        text="Intention: self-compassion. Moderate dissociation, settled with music. "
        "Tolerated well; discharged home with partner.",
        by=clinician,
    )
    services.session_sign(session=session, by=clinician)
    if follow_up:
        services.follow_up_record(
            session=session,
            themes="Distance from the inner critic; grief for lost years",
            insights="Felt 'held' rather than judged",
            plan="Journal daily; walk with partner; next dosing as planned",
            by=clinician,
            held_at=start + dt.timedelta(days=1),
        )
