"""The demo clinic's treatment record (``manage.py seed_demo``): a ketamine lot and one treatment
course for each patient the patients' demo put on a course stage (in treatment, maintenance after
a completed course, discharged after one), plus Robin Ellery, whose IV course has a missed
integration visit. ``COURSES`` says when each course's dosing sessions are, in clinic days from
today: the ones before today took place, today's and later ones are booked and planned.

Every visit goes through the schedule (``scheduling.demo.visit_book``): a preparation visit before
the first dose, each dosing visit with its ``DosingSession``, and an integration visit the next
clinic day. A dosing session that took place has its checklist, pre-dose PHQ-9, GAD-7 and C-SSRS,
a dose drawn from the demo lot, vitals every 15 minutes, CADSS-6, discharge, and a note signed
that day; an integration visit that took place has its follow-up. Every record is dated when it
happened (the services' ``at=``/``taken_at=`` arguments), so the chart reads in order.

This demo runs before the schedule's, which fills the rest of the week around these visits.

The ledger belongs to one DEA registrant (the clinic), with its initial inventory (zero, the
day before the first receipt), the demo lot every dose is drawn from, and a second lot of
10 mg/mL that expires within 30 days, whose count came out 2.5 mg short and was resolved with an
explanation, a witness and a correction.

Idempotent, and written once: when the demo lot exists, nothing is added.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from kap_clinic.demo import at, clinic_day
from patients import contraindications, instruments
from patients import demo as patients_demo
from patients import services as patient_services
from patients.models import ConsentDocument, Intake, MeasureResult, Patient
from scheduling import demo as schedule
from scheduling import services as scheduling_services
from scheduling.models import Appointment, AppointmentType, Room
from sessions import ledger_demo, services
from sessions.models import DosingProtocol, DosingSession, Lot, TreatmentCourse

LOT_NUMBER = ledger_demo.LOT_NUMBER
MAINTENANCE, DISCHARGED = Patient.Status.MAINTENANCE, Patient.Status.DISCHARGED


@dataclass(frozen=True)
class Course:
    first_name: str
    last_name: str
    route: str
    # Clinic days (Monday to Friday) of the dosing sessions, counted from today (0).
    days: tuple[int, ...]
    # The patient's status once the course is over ("" while it runs).
    then: str = ""
    # The session whose integration visit the patient missed (0: none).
    missed: int = 0
    # How much of the baseline PHQ-9 each session takes off: most respond, some slowly.
    response: float = 0.12


def _every_other(first: int, count: int = 6) -> tuple[int, ...]:
    """Six sessions over two to three weeks (DESIGN.md): every other clinic day."""
    return tuple(range(first, first + 2 * count, 2))


COURSES: tuple[Course, ...] = (
    # Missed the integration visit after session 3 (the overdue follow-up on the home page);
    # session 4 is today.
    Course("Robin", "Ellery", "iv", (-8, -6, -4, 0, 2, 4), missed=3, response=0.2),
    Course("Nora", "Abernathy", "iv", _every_other(-2)),
    Course("Samuel", "Adeyemi", "im", _every_other(-9)),
    Course("Leah", "Johansson", "iv", _every_other(-5), response=0.05),
    Course("River", "Callahan", "im", _every_other(-8)),
    Course("Victor", "Ramírez", "iv", _every_other(1)),  # the first dose is tomorrow
    Course("Hannah", "Becker", "iv", _every_other(-64), then=MAINTENANCE),
    Course("Omar", "Haddad", "im", _every_other(-61), then=MAINTENANCE),
    Course("Ruth", "Feldman", "iv", _every_other(-57), then=MAINTENANCE),
    Course("Theo", "Vasquez", "iv", _every_other(-124), then=DISCHARGED),
    Course("Ingrid", "Solberg", "im", _every_other(-118), then=DISCHARGED),
)

# Dosing visits in the infusion rooms: (who gives the dose, hour, minute), tried in order.
DOSING_SLOTS = (
    ("nurse", 9, 0),
    ("provider", 9, 0),
    ("provider2", 9, 30),
    ("nurse", 12, 30),
    ("provider", 12, 30),
    ("provider2", 13, 0),
)
# Integration and preparation visits in the therapy room, around the schedule demo's
# preparation visits at 9:00 and 14:00.
INTEGRATION_TIMES = ((11, 0), (13, 0), (15, 30), (16, 30))
PREPARATION_TIMES = ((10, 0), (12, 0), (16, 30))

ROBIN = {"legal_first_name": "Robin", "legal_last_name": "Ellery"}
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
_BASELINE = {
    instruments.PHQ9: [3, 3, 2, 2, 2, 2, 1, 1, 0],  # 16
    instruments.GAD7: [2, 2, 1, 1, 1, 1, 1],
    instruments.PCL5: [1] * 20,
    instruments.CSSRS: {"q1": False, "q2": False, "q6": False},
}
_CSSRS_NONE = {"q1": False, "q2": False, "q6": False}

INTENTIONS = (
    "self-compassion",
    "letting go of the inner critic",
    "reconnecting with my body",
    "curiosity instead of fear",
    "trusting the process",
    "carrying this forward",
)
NOTES = (
    "First session. Anxious at the start; settled with music and breathing. Moderate "
    "dissociation at the peak, felt 'far away but safe'. Tolerated well.",
    "Less apprehensive. Vivid imagery of childhood home; some tearfulness, then calm. "
    "Described the inner critic as 'quieter'.",
    "Deeper dissociation; brief nausea passed without treatment. Spoke afterwards about grief "
    "for lost years. Grounded well before discharge.",
    "Calm throughout. Reports mood lifting between sessions, sleeping better. Reflective after "
    "the peak; wants to reconnect with friends.",
    "Settled quickly. Themes of acceptance. Some fatigue after; alert and oriented by discharge.",
    "Final session of the course. Peaceful; reviewed the course together and planned "
    "maintenance and integration.",
)
FOLLOW_UPS = (
    (
        "Distance from the inner critic; grief for lost years",
        "Felt 'held' rather than judged",
        "Journal daily; walk with partner; next dosing as planned",
    ),
    (
        "Body awareness; old patterns of over-working",
        "Noticed tension before it became panic",
        "Breathing practice twice a day; talk to manager about hours",
    ),
    (
        "Reconnecting with friends; fear of relapse",
        "Mood steadier across the week",
        "Keep the routine; bring the journal to the next session",
    ),
)


@transaction.atomic
def seed(*, staff: dict[str, User], now: dt.datetime) -> None:
    if Lot.objects.filter(lot_number=LOT_NUMBER).exists():
        return  # written once: see the module's docstring
    types = schedule.seed_configuration(staff)
    today = timezone.localdate(now)
    first_dose = at(clinic_day(today, min(c.days[0] for c in COURSES)), 9)
    lot = ledger_demo.seed_ledger(
        staff=staff, now=now, received_at=first_dose - dt.timedelta(days=21)
    )
    diary = _Diary()
    courses = []
    for plan in COURSES:
        patient = _patient(plan, staff=staff, now=now, today=today)
        if patient is not None:
            courses.append(_start(plan, patient, staff=staff, types=types, now=now, diary=diary))
    # Every course's sessions in the order they happen, so the ledger's entries (and each
    # course's session numbers) follow the calendar.
    visits = sorted(
        (clinic_day(today, offset), order, number)
        for order, (plan, _course) in enumerate(courses)
        for number, offset in enumerate(plan.days, start=1)
    )
    for day, order, number in visits:
        plan, course = courses[order]
        _session(plan, course, number, day, lot=lot, staff=staff, types=types, now=now, diary=diary)
    for plan, course in courses:
        _after(plan, course, by=_therapist(course.patient, staff))


# --- the patient and the course --------------------------------------------------------------


def _patient(plan: Course, *, staff, now: dt.datetime, today: dt.date) -> Patient | None:
    """The patients' demo's person for the course, or Robin (made here); None when the patients'
    demo did not run."""
    if (plan.first_name, plan.last_name) == (ROBIN["legal_first_name"], ROBIN["legal_last_name"]):
        robin = Patient.objects.filter(**ROBIN, date_of_birth=DOB).first()
        first_dose = at(clinic_day(today, plan.days[0]), 9)
        return robin or _eligible_robin(staff=staff, now=now, first_dose=first_dose)
    born = {
        (first, last): dt.date.fromisoformat(dob)
        for first, last, _preferred, dob, *_rest in patients_demo.PEOPLE
    }.get((plan.first_name, plan.last_name))
    return Patient.objects.filter(
        legal_first_name=plan.first_name, legal_last_name=plan.last_name, date_of_birth=born
    ).first()


def _eligible_robin(*, staff, now: dt.datetime, first_dose: dt.datetime) -> Patient:
    """Robin's path to the course: registered, two weeks later the intake with its baseline
    measures (four weeks before the first dose), eligibility three clinic days after, consent the
    day after that."""
    clinician, provider = staff["clinician"], staff["provider"]
    intake_day = clinic_day(timezone.localdate(first_dose), -20)
    intake_at = at(intake_day, 10)
    patient = patient_services.patient_create(
        by=staff["frontdesk"],
        at=at(clinic_day(intake_day, -10), 11, 15),
        **ROBIN,
        date_of_birth=DOB,
        email="robin.ellery@example.org",
        emergency_contact_name="Sam Ellery",
        emergency_contact_phone="+17345550142",
        primary_clinician=clinician,
    )
    intake = patient_services.intake_start(patient=patient, by=clinician, at=intake_at)
    screen = {c.code: contraindications.NO for c in contraindications.CONTRAINDICATIONS}
    intake = patient_services.intake_update(intake=intake, by=clinician, screen=screen, **_INTAKE)
    for code, answers in _BASELINE.items():
        patient_services.measure_record(
            patient=patient,
            code=code,
            answers=answers,
            by=clinician,
            intake=intake,
            taken_at=intake_at + dt.timedelta(minutes=30),
        )
    patient_services.intake_sign(
        intake=intake, by=clinician, at=intake_at + dt.timedelta(hours=1.5)
    )
    patient_services.eligibility_sign(
        patient=patient,
        decision="eligible",
        note="TRD, no contraindications.",
        by=provider,
        at=at(clinic_day(intake_day, 3), 12),
    )
    document = ConsentDocument.objects.order_by("-published_at", "-id").first()
    if document is None or document.published_at is None or document.published_at > now:
        document = ConsentDocument.objects.create(
            version="demo-1",
            body="I understand the risks and benefits of ketamine-assisted psychotherapy.",
            published_at=now - dt.timedelta(days=400),
        )
    patient_services.consent_sign(
        patient=patient,
        document=document,
        typed_name=patient.legal_name,
        sms_consent=False,
        by=clinician,
        at=at(clinic_day(intake_day, 4), 10, 30),
    )
    return patient


def _therapist(patient: Patient, staff: dict[str, User]) -> User:
    """Who sits with the patient, writes the note and holds the integration visits: their
    primary clinician when a therapist, else a therapist."""
    therapists = [staff["clinician"], staff["therapist2"]]
    return next((t for t in therapists if t.pk == patient.primary_clinician_id), therapists[1])


def _start(
    plan: Course,
    patient: Patient,
    *,
    staff: dict[str, User],
    types: dict[str, AppointmentType],
    now: dt.datetime,
    diary: _Diary,
) -> tuple[Course, TreatmentCourse]:
    therapist = _therapist(patient, staff)
    first_day = clinic_day(timezone.localdate(now), plan.days[0])
    course = services.course_start(
        patient=patient,
        protocol=DosingProtocol.objects.get(route=plan.route),
        planned_sessions=len(plan.days),
        starts_on=first_day,
        by=therapist,
    )
    # Preparation (intention setting) two clinic days before the first dose.
    _book_first(
        (
            (therapist, at(clinic_day(first_day, -2), hour, minute))
            for hour, minute in PREPARATION_TIMES
        ),
        patient=patient,
        type=types["preparation"],
        by=staff["frontdesk"],
        now=now,
        diary=diary,
    )
    return plan, course


def _after(plan: Course, course: TreatmentCourse, *, by: User) -> None:
    """A course that is over leaves the patient in maintenance, or discharged after it."""
    if not plan.then:
        return
    patient = course.patient
    patient_services.patient_set_status(patient=patient, status=MAINTENANCE, by=by)
    if plan.then == DISCHARGED:
        patient_services.patient_set_status(patient=patient, status=DISCHARGED, by=by)


# --- one session: its visits and its record --------------------------------------------------


def _session(
    plan: Course,
    course: TreatmentCourse,
    number: int,
    day: dt.date,
    *,
    lot: Lot,
    staff: dict[str, User],
    types: dict[str, AppointmentType],
    now: dt.datetime,
    diary: _Diary,
) -> None:
    patient = course.patient
    therapist = _therapist(patient, staff)
    today = timezone.localdate(now)
    dosing = _book_first(
        _dosing_slots(day, staff=staff, now=now, today=today),
        patient=patient,
        type=types["dosing"],
        by=staff["frontdesk"],
        now=now,
        diary=diary,
    )
    session = services.session_plan(course=course, appointment=dosing, by=dosing.clinician)
    if dosing.status == Appointment.Status.COMPLETED:
        session = _document(session, plan, number, lot=lot, therapist=therapist, staff=staff)
    elif dosing.starts_at > now and timezone.localdate(dosing.starts_at) == today:
        # Today's patients answered the reminder's links: fasting, and who takes them home.
        scheduling_services.appointment_confirm(appointment=dosing, now=now)
        scheduling_services.appointment_record_preparation(
            appointment=dosing,
            fasting=True,
            escort_name=patient.emergency_contact_name,
            escort_phone=str(patient.emergency_contact_phone),
            now=now,
        )
    next_day = clinic_day(day, 1)
    integration = _book_first(
        (
            (who, at(next_day, hour, minute))
            for who in dict.fromkeys((therapist, staff["clinician"], staff["therapist2"]))
            for hour, minute in INTEGRATION_TIMES
        ),
        patient=patient,
        type=types["integration"],
        by=staff["frontdesk"],
        now=now,
        diary=diary,
        missed=number == plan.missed,
    )
    if session.is_dosed and integration.status == Appointment.Status.COMPLETED:
        themes, insights, plan_text = FOLLOW_UPS[number % len(FOLLOW_UPS)]
        last = number == len(plan.days)
        services.follow_up_record(
            session=session,
            themes=themes,
            insights=insights,
            plan=plan_text,
            by=integration.clinician,
            held_at=integration.starts_at,
            # The course's outcome: a repeat PHQ-9 after the last session (DESIGN.md, step 8).
            phq9=_lowered(_baseline(patient, instruments.PHQ9), plan, number + 1) if last else None,
        )


def _dosing_slots(day: dt.date, *, staff, now: dt.datetime, today: dt.date) -> Iterator:
    """Today's dosing visits from half an hour after seeding (so the worklist has them still to
    come, whatever the time); other days' at the clinic's dosing times."""
    if day != today:
        for name, hour, minute in DOSING_SLOTS:
            yield staff[name], at(day, hour, minute)
        return
    local = timezone.localtime(now).replace(second=0, microsecond=0)
    first = local + dt.timedelta(minutes=30 + 15 - local.minute % 15)
    names = ("nurse", "provider", "provider2")
    # Arrivals a quarter of an hour apart, one per nurse or provider; then anyone, any time.
    for step, name in enumerate(names):
        yield staff[name], first + dt.timedelta(minutes=15 * step)
    for step in range(12):
        for name in names:
            yield staff[name], first + dt.timedelta(minutes=15 * step)


class _Diary:
    """The times this demo has booked, so it does not offer the schedule a clinician or a room
    it knows is taken: every refused booking costs a round of queries."""

    def __init__(self) -> None:
        self.rooms = Counter(Room.objects.filter(active=True).values_list("kind", flat=True))
        self.clinicians: set[tuple[int, dt.datetime]] = set()
        self.in_use: Counter[tuple[str, dt.datetime]] = Counter()

    def may_be_free(self, clinician: User, type: AppointmentType, starts_at: dt.datetime) -> bool:
        return (clinician.pk, starts_at) not in self.clinicians and (
            self.in_use[(type.room_kind, starts_at)] < self.rooms[type.room_kind]
        )

    def add(self, appointment: Appointment) -> None:
        self.clinicians.add((appointment.clinician_id, appointment.starts_at))
        self.in_use[(appointment.type.room_kind, appointment.starts_at)] += 1


def _book_first(
    slots: Iterable[tuple[User, dt.datetime]],
    *,
    patient: Patient,
    type: AppointmentType,
    by: User,
    now: dt.datetime,
    diary: _Diary,
    missed: bool = False,
) -> Appointment:
    """Book the first (clinician, start) the schedule accepts."""
    for clinician, starts_at in slots:
        if not diary.may_be_free(clinician, type, starts_at):
            continue
        try:
            appointment = schedule.visit_book(
                patient=patient,
                type=type,
                clinician=clinician,
                starts_at=starts_at,
                by=by,
                now=now,
                missed=missed,
            )
        except scheduling_services.SchedulingError:
            continue
        diary.add(appointment)
        return appointment
    raise RuntimeError(f"The demo found no free time for {type.name} ({patient.mrn}).")


def _document(session: DosingSession, plan: Course, number: int, *, lot, therapist, staff):
    """The record of a dosing session that took place, in the order the clinic writes it."""
    patient = session.course.patient
    appointment = session.appointment
    nurse = appointment.clinician
    provider = staff["provider2"] if nurse.pk == staff["provider"].pk else staff["provider"]
    arrived = appointment.starts_at
    for code in (instruments.PHQ9, instruments.GAD7):
        patient_services.measure_record(
            patient=patient,
            code=code,
            answers=_lowered(_baseline(patient, code), plan, number),
            by=therapist,
            taken_at=arrived + dt.timedelta(minutes=5),
        )
    patient_services.measure_record(
        patient=patient,
        code=instruments.CSSRS,
        answers=_CSSRS_NONE,
        by=therapist,
        taken_at=arrived + dt.timedelta(minutes=5),
    )
    services.checklist_update(
        session=session,
        by=nurse,
        fasting_confirmed=True,
        escort_name=patient.emergency_contact_name,
        escort_phone=str(patient.emergency_contact_phone),
        medications_reviewed=True,
        pregnancy_test="negative"
        if patient.sex_assigned_at_birth == Patient.Sex.FEMALE and patient.age < 50
        else "not_applicable",
        intention_set=True,
        contraindications_reconfirmed="nothing_new",
    )
    shift = patient.pk % 4  # people's blood pressure differs a little
    services.vitals_record(
        session=session,
        systolic=124 + shift,
        diastolic=78 + shift,
        heart_rate=72 + shift,
        spo2=98,
        by=nurse,
        taken_at=arrived + dt.timedelta(minutes=10),
    )
    start = arrived + dt.timedelta(minutes=20)
    weight = _weight(patient)
    services.dose_record(
        session=session,
        weight_kg=weight,
        mg_per_kg=session.course.protocol.default_mg_per_kg,
        lot=lot,
        administered_by=nurse,
        supervising_provider=provider,
        by=nurse,
        started_at=start,
    )
    iv = plan.route == "iv"
    readings = (
        (138, 86, 88),
        (142, 88, 90),
        (136, 84, 84),
        (130, 82, 80),
        (127, 81, 77),
        (126, 80, 76),
    )
    for (systolic, diastolic, heart_rate), after in zip(
        readings, (15, 30, 45, 60, 75, 90), strict=True
    ):
        if iv and after == 45:
            services.dose_end(session=session, by=nurse, ended_at=start + dt.timedelta(minutes=40))
        services.vitals_record(
            session=session,
            systolic=systolic + shift,
            diastolic=diastolic + shift,
            heart_rate=heart_rate,
            spo2=97,
            by=nurse,
            taken_at=start + dt.timedelta(minutes=after),
        )
    if plan.route == "im" and number == 2:
        services.adverse_event_record(
            session=session,
            by=nurse,
            kind="nausea",
            severity="mild",
            onset_at=start + dt.timedelta(minutes=25),
            description="Nauseated at the peak; no vomiting.",
            action_taken="Ondansetron 4 mg orally; settled within 20 minutes.",
            resolved_at=start + dt.timedelta(minutes=45),
        )
    services.cadss_record(
        session=session,
        answers=[2, 2, 1, 1, 2, 0] if number < 4 else [1, 2, 1, 0, 1, 0],
        by=therapist,
        taken_at=start + dt.timedelta(minutes=50),
    )
    # Discharge after the protocol's observation time (60 min after an IV infusion ends, 90
    # after an IM injection); the note is signed before the visit's end.
    discharged_at = start + dt.timedelta(minutes=105 if iv else 95)
    services.session_discharge(
        session=session,
        criteria=dict.fromkeys(services.DISCHARGE_CRITERIA, True),
        escort_name=patient.emergency_contact_name,
        by=nurse,
        # Modified Aldrete: walking steadily, breathing freely, fully awake (Aldrete 1995).
        activity=2,
        respiration=2,
        consciousness=2,
        at=discharged_at,
    )
    services.note_save(
        session=session,
        text=f"Intention: {INTENTIONS[number - 1]}. {NOTES[number - 1]} Discharged home with "
        f"{patient.emergency_contact_name}.",
        by=therapist,
    )
    return services.session_sign(
        session=session, by=therapist, at=discharged_at + dt.timedelta(minutes=15)
    )


# --- measures ---------------------------------------------------------------------------------


def _baseline(patient: Patient, code: str) -> list[int]:
    measure = (
        MeasureResult.objects.filter(patient=patient, code=code, intake__isnull=False)
        .order_by("taken_at", "id")
        .first()
    )
    return list(measure.answers) if measure else list(_BASELINE[code])


def _weight(patient: Patient) -> Decimal:
    intake = (
        Intake.objects.filter(patient=patient, status=Intake.Status.SIGNED)
        .order_by("-signed_at")
        .first()
    )
    return intake.weight_kg if intake and intake.weight_kg else WEIGHT


def _lowered(answers: list[int], plan: Course, number: int) -> list[int]:
    """The baseline answers as they stand before session ``number``: the highest items come down
    until the total has fallen by ``plan.response`` for each session so far."""
    fraction = max(0.15, 1 - plan.response * (number - 1))
    target = round(sum(answers) * fraction)
    out = list(answers)
    while sum(out) > target:
        highest = max(range(len(out)), key=lambda i: (out[i], -i))
        out[highest] -= 1
    return out
